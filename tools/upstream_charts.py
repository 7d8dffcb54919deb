"""The upstream charts and CRDs at the pins, for the tests: found beside the checkout, or fetched and checked.

    python -m tools.upstream_charts where     # which directory the tests would read, or why none
    python -m tools.upstream_charts fetch     # pull every pinned chart and CRD into the cache now

Order: ``$UPSTREAM_REFERENCE`` (a directory laid out like ``../shared/reference/upstream``),
else ``../shared/reference/upstream`` beside the checkout, else a cache
(``$GPU_EKS_CHART_CACHE``, default ``~/.cache/gpu-eks/charts``) that ``fetch`` fills on a
machine with internet: ``helm pull`` of each chart below at its pinned version, its digest
checked, and the CRDs from their upstream tags, each checked by sha256. The cache is laid out
like the reference directory (``charts/<name>-<version>/`` whole charts; ``<chart>/Chart.yaml``,
``values.yaml`` and ``crds/``; ``index.json`` written last, so a half-filled cache is never
used) and lives in a folder named after a hash of the pins, so a moved pin fetches afresh.

Digests. A chart served from an HTTP repository is checked against the ``digest:`` its
repository's ``index.yaml`` publishes (the sha256 of the .tgz), read from each repository's
gh-pages branch (commit named per pin). An OCI chart is checked against its manifest digest,
which ``helm pull`` prints. For kueue 0.19.2 that digest is the one Kubernetes' image
promoter serves (kubernetes/k8s.io PR #9856, registry.k8s.io/images/k8s-staging-kueue/
images.yaml). For kubeflow-trainer 2.3.0 (ghcr.io) no published digest could be found (not in
the trainer repository, its release notes or issues, nor in any public lockfile the search
tools hold): it is trusted on first use. The digest the first pull prints is recorded in the
cache's ``trusted-digests.json``, said on the terminal, and every later pull must match it.
Refusing instead would leave every clone without a Trainer render, the very gap these tests
close; and what is at stake is a test result, not a cluster (the platform stack pulls the
chart from the registry itself).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from cluster_config import charts
from tools import helm_binary

ROOT = Path(__file__).resolve().parents[1]

SIBLING_REFERENCE = ROOT.parent / "shared" / "reference" / "upstream"
TIMEOUT_SECONDS = 60


@dataclass(frozen=True, kw_only=True)
class ChartPin:
    name: str
    version: str
    repository: str  # https://... (an index.yaml repository) or oci://...
    digest: str | None  # sha256 of the .tgz, or the OCI manifest digest; None: trusted on first use
    source: str  # where the digest was read


@dataclass(frozen=True, kw_only=True)
class FilePin:
    path: str  # inside the reference directory
    url: str
    sha256: str


def _autoscaler(version: str, digest: str) -> ChartPin:
    return ChartPin(
        name="cluster-autoscaler",
        version=version,
        repository=charts.CLUSTER_AUTOSCALER.repository,
        digest=digest,
        source="kubernetes/autoscaler gh-pages index.yaml (02bb9bcc7, 2026-03)",
    )


CHART_PINS: tuple[ChartPin, ...] = (
    ChartPin(
        name="kubeflow-trainer",
        version=charts.KUBEFLOW_TRAINER.version,
        repository=charts.KUBEFLOW_TRAINER.repository,
        digest=None,
        source="none published (see the module docstring): trusted on first use",
    ),
    ChartPin(
        name="nvidia-device-plugin",
        version=charts.NVIDIA_DEVICE_PLUGIN.version,
        repository=charts.NVIDIA_DEVICE_PLUGIN.repository,
        digest="8f01067500e712508fe55fe060b6f895814dc7efc1cb96323db2ce4f777f6e96",
        source="NVIDIA/k8s-device-plugin gh-pages index.yaml (bf584288e, 2026-08-20)",
    ),
    ChartPin(
        name="aws-efa-k8s-device-plugin",
        version=charts.EFA_DEVICE_PLUGIN.version,
        repository=charts.EFA_DEVICE_PLUGIN.repository,
        digest="078610ef669714f39be77d133674c7721fb3ca123213b3d6b16938c8c0d2e034",
        source="aws/eks-charts gh-pages index.yaml (c7f9ea5, 2026-08-03)",
    ),
    _autoscaler("9.37.0", "38fa4bde60e5ca26bdecdbb980546b1f036f331123c63e0079c459d882d7a783"),
    _autoscaler("9.44.0", "0a7c00cf31351aac6fb36349b413ffd7735bad25a6cf6606433653696000488c"),
    _autoscaler("9.46.6", "bb8519b88085d7aaa8cdd23e3ac7a3e5dcfeaf4857e4bab4cfd2b584d8148c2d"),
    _autoscaler("9.51.0", "c2d1619c92bc61eb83ad99ee9ac21d01864a2ce4b7ac924e811d3ce44ce22cad"),
    _autoscaler("9.53.0", "dc86f3aaa0b3b19670de76c7e2f9b08ebfeb718208c89e9d3dc683a8c05fac38"),
    # 9.59.0 (2026-07-21) is newer than the stored index; the digest is the one two unrelated
    # public repositories pin for the release asset the index points at (.../releases/download/
    # cluster-autoscaler-chart-9.59.0/cluster-autoscaler-9.59.0.tgz).
    ChartPin(
        name="cluster-autoscaler",
        version="9.59.0",
        repository=charts.CLUSTER_AUTOSCALER.repository,
        digest="90276dafe65cf5d4328ef8313baf6cfb9d130683e0c9f3c28a03b4d8a9ed8f6e",
        source="sha256 of the release asset, as two independent public lockfiles record it",
    ),
    ChartPin(
        name="kueue",
        version=charts.KUEUE.version,
        repository=charts.KUEUE.repository,
        digest="sha256:ab436c33ef6c6b9b9e95b633e618bca0e0e436d6581d3b27bd12fc8a8026ab34",
        source="kubernetes/k8s.io PR #9856 (Kueue: Promote v0.19.2), k8s-staging-kueue/images.yaml",
    ),
    # The charts behind the EKS add-ons (EKS installs them unpinned; these are the releases
    # the reference copies hold, see its SOURCES.md).
    ChartPin(
        name="eks-node-monitoring-agent",
        version="1.7.0",
        repository="https://aws.github.io/eks-node-monitoring-agent",
        digest="848c7ed459153c54062a0b155972130cb84fd7b68ede47ec08b4bd0cbe43c81c",
        source="aws/eks-node-monitoring-agent gh-pages index.yaml (98764fe, 2026-08-04)",
    ),
    ChartPin(
        name="amazon-cloudwatch-observability",
        version="6.4.0",
        repository="https://aws-observability.github.io/helm-charts",
        digest="6e57b841b0b90c80a5cf4ae4d7c76c88db44ecfd61d8db062d2393ded1120e0a",
        source="aws-observability/helm-charts gh-pages index.yaml (f513983, 2026-08-06)",
    ),
    ChartPin(
        name="aws-mountpoint-s3-csi-driver",
        version="2.7.0",
        repository="https://awslabs.github.io/mountpoint-s3-csi-driver",
        digest="6249eee0ba8dc9368e4f53e864a65a4561f443cf3aeb46df05b18641ba9135cb",
        source="awslabs/mountpoint-s3-csi-driver gh-pages index.yaml (30d890e, 2026-06-12)",
    ),
    ChartPin(
        name="aws-fsx-csi-driver",
        version="1.17.0",
        repository="https://kubernetes-sigs.github.io/aws-fsx-csi-driver",
        digest="dedcc71b5efc7f93fed6c0feaf73eacab4de869a6d07228c6df4c48373b0d315",
        source="kubernetes-sigs/aws-fsx-csi-driver gh-pages index.yaml (ea637587, 2026-04-21)",
    ),
)

_TRAINER = f"https://raw.githubusercontent.com/kubeflow/trainer/v{charts.KUBEFLOW_TRAINER.version}/manifests/base/crds"
_KUEUE = f"https://raw.githubusercontent.com/kubernetes-sigs/kueue/v{charts.KUEUE.version}/config/components/crd/bases"
# The sha256 of each file at its upstream tag (the reference copies are unchanged upstream files).
FILE_PINS: tuple[FilePin, ...] = (
    *(
        FilePin(
            path=f"kubeflow-trainer/crds/trainer.kubeflow.org_{name}.yaml",
            url=f"{_TRAINER}/trainer.kubeflow.org_{name}.yaml",
            sha256=sha,
        )
        for name, sha in (
            ("clustertrainingruntimes", "ec84dc3388fcdbe8c61d3c247a773d14458dd9438e995bea8e50d2a18080eef9"),
            ("trainingruntimes", "69b8dbdf60a18e28cddcc2b8dfc4ce72a943e14b531b9389d593118faee4919f"),
            ("trainjobs", "a742cafc5b5582640c7e0b7467c024fc237256fbca5ba0a9f0531dfb66d64416"),
        )
    ),
    *(
        FilePin(path=f"kueue/crds/kueue.x-k8s.io_{name}.yaml", url=f"{_KUEUE}/kueue.x-k8s.io_{name}.yaml", sha256=sha)
        for name, sha in (
            ("admissionchecks", "2bf4003c0a3ea3d6ceab940c7a271ad211372dab59d2739acfa8b2bdb0724acb"),
            ("clusterqueues", "e0a5fc9b370c70f3d993d4f599865817338ecf94187b30b15b12ff33c579bd55"),
            ("cohorts", "61fbe5ec55d45e7fae2d65321fb32517b197257ab78ad55316673183aac911c2"),
            ("localqueues", "dd10ef8d3578e7212fa52763549e7b6be0949793a5b924495fcd293330109fed"),
            ("provisioningrequestconfigs", "0399b2689d7468c64a1ef4e3c8bf9603c261a152f822b6698903b23f69e790dc"),
            ("resourceflavors", "19e339c47e9ca3fa2c9eeddd27715a512f765c4794ed859733408a9715720173"),
            ("topologies", "f703575d3bb64d26f6e839f831e01646367ed41a89b3abf163f8e842ca1c4d2b"),
            ("workloadpriorityclasses", "0b755726aab05b8def9a53ee15b201eed3846bcffd1ff5528fed123f4ae03519"),
        )
    ),
    # The node monitoring agent's add-on configuration schema sits beside its chart upstream.
    FilePin(
        path="charts/eks-node-monitoring-agent-1.7.0.configuration.schema.json",
        url="https://raw.githubusercontent.com/aws/eks-node-monitoring-agent/v1.7.0/charts/configuration.schema.json",
        sha256="cf9829b3a720bc0b0a8b5b806af5fed258b6fae12bc313f6dddbc4a49725c35a",
    ),
)

# The reference directory's per-chart folders: folder -> (whole chart directory, subchart or None).
SUMMARY_FOLDERS = {
    "kubeflow-trainer": (f"kubeflow-trainer-{charts.KUBEFLOW_TRAINER.version}", None),
    "jobset": (f"kubeflow-trainer-{charts.KUBEFLOW_TRAINER.version}", "jobset"),
    "nvidia-device-plugin": (f"nvidia-device-plugin-{charts.NVIDIA_DEVICE_PLUGIN.version}", None),
    "aws-efa-k8s-device-plugin": (f"aws-efa-k8s-device-plugin-{charts.EFA_DEVICE_PLUGIN.version}", None),
    "cluster-autoscaler": (f"cluster-autoscaler-{charts.CLUSTER_AUTOSCALER.version}", None),
    "kueue": (f"kueue-{charts.KUEUE.version}", None),
}


class FetchError(Exception):
    """A download failed, or what came does not match its pin."""


def reference_dir() -> tuple[Path | None, str]:
    """A reference directory named by UPSTREAM_REFERENCE or beside the checkout, and how it was found."""
    configured = os.environ.get("UPSTREAM_REFERENCE")
    if configured:
        path = Path(configured)
        if (path / "index.json").is_file():
            return path, f"UPSTREAM_REFERENCE={configured}"
        return None, f"UPSTREAM_REFERENCE={configured} has no index.json"
    if (SIBLING_REFERENCE / "index.json").is_file():
        return SIBLING_REFERENCE, f"{SIBLING_REFERENCE} (beside the checkout)"
    return None, f"UPSTREAM_REFERENCE is unset and {SIBLING_REFERENCE} does not exist"


def _pins_key(chart_pins=CHART_PINS, file_pins=FILE_PINS) -> str:
    text = json.dumps([[asdict(p) for p in chart_pins], [asdict(p) for p in file_pins]], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def cache_root() -> Path:
    configured = os.environ.get("GPU_EKS_CHART_CACHE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "gpu-eks" / "charts"


def cache_dir(chart_pins=CHART_PINS, file_pins=FILE_PINS) -> Path:
    return cache_root() / f"upstream-{_pins_key(chart_pins, file_pins)}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _helm_env(home: Path) -> dict[str, str]:
    """helm's caches and config in a scratch directory: a pull adds no repository to the user's helm."""
    return {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def _extract(tgz: Path, dest: Path) -> Path:
    """A chart package's single top folder, unpacked to ``dest``."""
    with tempfile.TemporaryDirectory(prefix="chart-") as tmp, tarfile.open(tgz) as archive:
        archive.extractall(tmp, filter="data")
        (top,) = [p for p in Path(tmp).iterdir() if p.is_dir()]
        shutil.rmtree(dest, ignore_errors=True)
        shutil.move(str(top), dest)
    return dest


def pull(pin: ChartPin, dest: Path, helm: Path, trusted: dict[str, str]) -> str:
    """Pulls one chart into ``dest`` (charts/<name>-<version>) and returns a line saying how it was checked."""
    with tempfile.TemporaryDirectory(prefix="helm-pull-") as tmp:
        work = Path(tmp)
        if pin.repository.startswith("oci://"):
            command = [str(helm), "pull", f"{pin.repository}/{pin.name}", "--version", pin.version, "-d", str(work)]
        else:
            command = [str(helm), "pull", pin.name, "--repo", pin.repository, "--version", pin.version, "-d", str(work)]
        proc = subprocess.run(command, capture_output=True, text=True, env=_helm_env(work / "home"), timeout=TIMEOUT_SECONDS)
        if proc.returncode != 0:
            raise FetchError(f"helm pull {pin.name} {pin.version} from {pin.repository}: {proc.stderr.strip()[-800:]}")
        (tgz,) = work.glob("*.tgz")
        key = f"{pin.name}-{pin.version}"
        if pin.repository.startswith("oci://"):
            match = re.search(r"^Digest: (sha256:[0-9a-f]{64})$", proc.stdout + proc.stderr, re.M)
            if not match:
                raise FetchError(f"helm pull {key} printed no manifest digest")
            digest = match.group(1)
            expected = pin.digest or trusted.get(key)
            how = f"manifest digest {digest}"
            if expected is None:
                trusted[key] = digest
                how += " trusted on first use (no published digest; recorded in trusted-digests.json)"
            elif digest != expected:
                raise FetchError(
                    f"{key}: manifest digest {digest}, expected {expected} "
                    f"({pin.source if pin.digest else 'recorded on first use'})"
                )
        else:
            digest = _sha256(tgz)
            if digest != pin.digest:
                raise FetchError(f"{key}: sha256 {digest}, expected {pin.digest} ({pin.source})")
            how = f"sha256 {digest[:12]}... as {pin.source}"
        _extract(tgz, dest)
    return f"{key}: {how}"


def download(pin: FilePin, dest: Path) -> None:
    try:
        with urllib.request.urlopen(pin.url, timeout=TIMEOUT_SECONDS) as response:
            data = response.read()
    except OSError as error:
        raise FetchError(f"{pin.url}: {error}") from error
    digest = hashlib.sha256(data).hexdigest()
    if digest != pin.sha256:
        raise FetchError(f"{pin.url}: sha256 {digest}, expected {pin.sha256}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)


def _summary_folder(target: Path, chart_dir: Path, subchart: str | None) -> None:
    """<folder>/Chart.yaml and values.yaml, as the reference directory has them, from a pulled chart."""
    target.mkdir(parents=True, exist_ok=True)
    source = chart_dir
    if subchart:
        packed = sorted((chart_dir / "charts").glob(f"{subchart}-*.tgz"))
        source = _extract(packed[0], target / ".subchart") if packed else chart_dir / "charts" / subchart
    for name in ("Chart.yaml", "values.yaml"):
        shutil.copy2(source / name, target / name)
    shutil.rmtree(target / ".subchart", ignore_errors=True)


def fetch(
    dest: Path | None = None,
    *,
    helm: Path | None = None,
    chart_pins=CHART_PINS,
    file_pins=FILE_PINS,
    summary_folders=SUMMARY_FOLDERS,
    log=print,
) -> Path:
    """Fills ``dest`` (default: the cache for these pins) and returns it; raises FetchError."""
    dest = dest or cache_dir(chart_pins, file_pins)
    helm = helm or helm_binary.find("helm")
    if helm is None:
        raise FetchError(helm_binary.why_missing("helm"))
    trust_file = dest.parent / "trusted-digests.json"
    trusted = json.loads(trust_file.read_text()) if trust_file.is_file() else {}
    (dest / "index.json").unlink(missing_ok=True)
    for pin in chart_pins:
        log(f"    {pull(pin, dest / 'charts' / f'{pin.name}-{pin.version}', helm, trusted)}")
    for pin in file_pins:
        download(pin, dest / pin.path)
    log(f"    {len(file_pins)} CRD and schema files from their upstream tags, sha256 checked")
    for folder, (chart_dir, subchart) in summary_folders.items():
        _summary_folder(dest / folder, dest / "charts" / chart_dir, subchart)
    trust_file.parent.mkdir(parents=True, exist_ok=True)
    trust_file.write_text(json.dumps(trusted, indent=1, sort_keys=True) + "\n")
    index = {
        "fetched_by": "tools/upstream_charts.py",
        "charts": [asdict(p) for p in chart_pins],
        "crds": [p.path for p in file_pins if "/crds/" in p.path],
    }
    (dest / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return dest


_FETCH_FAILED: dict[Path, str] = {}


def upstream_dir(*, fetch_missing: bool = True) -> tuple[Path | None, str]:
    """The directory the tests read, and how it was found; or None and every reason why not."""
    found, how = reference_dir()
    if found is not None:
        return found, how
    cached = cache_dir()
    if (cached / "index.json").is_file():
        return cached, f"the chart cache {cached}"
    if not fetch_missing:
        return None, f"{how}; the chart cache {cached} is empty"
    if cached not in _FETCH_FAILED:
        try:
            print(f"\nfetching the pinned charts and CRDs into {cached} (see tools/upstream_charts.py):", file=sys.stderr)
            return fetch(cached, log=lambda line: print(line, file=sys.stderr)), f"the chart cache {cached}, fetched now"
        except (FetchError, OSError, subprocess.TimeoutExpired) as error:
            _FETCH_FAILED[cached] = str(error)
    return None, f"{how}; and fetching the pinned charts failed: {_FETCH_FAILED[cached]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("where", "fetch"))
    args = parser.parse_args(argv)
    if args.command == "where":
        found, how = upstream_dir(fetch_missing=False)
        print(f"{found}: {how}" if found else f"none: {how}")
        return 0 if found else 1
    try:
        print(f"fetched into {fetch()}")
    except FetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
