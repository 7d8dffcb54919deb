"""Every chart the synthesized stacks install, rendered with the real ``helm template``.

For one synth (tests/conftest.py's ``synth``):

- each ``helm_release`` of the platform stack with exactly the values documents and ``set``
  entries the stack passes, in its namespace, at the cluster's Kubernetes version. A
  repository chart comes from the upstream reference (tests/upstream.py), a local chart from
  the asset the synth copied into the stack folder. A ``set`` value that is a Terraform
  reference (known only at apply time) becomes a placeholder of the entry's type.
- each EKS add-on of the cluster stack whose chart is in the reference, with its
  ``configuration_values`` and what EKS itself sets (``ADDONS``); the others are listed with
  the reason they are not rendered (``NOT_RENDERED_ADDONS``).

Renders are cached by their inputs (a chart directory by its content): a release that is the
same in several configurations is rendered once, and a render whose inputs did not change since
an earlier session is read from disk (``render_cache``). Renders run in parallel (as many helm
processes as cores, two to four).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from cluster_config import charts, names
from tests.upstream import chart_dir, require_reference, unavailable
from tools import helm_binary

HELM_TIMEOUT_SECONDS = 300
WORKERS = max(2, min(4, os.cpu_count() or 2))
TERRAFORM_EXPRESSION = re.compile(r"\$\{|%\{")


@lru_cache(maxsize=None)
def helm() -> Path:
    found = helm_binary.find("helm")
    if found is None:
        unavailable(helm_binary.why_missing("helm"))
    return found


@lru_cache(maxsize=None)
def kubectl() -> Path:
    found = helm_binary.find("kubectl")
    if found is None:
        unavailable(helm_binary.why_missing("kubectl"))
    return found


class RenderError(Exception):
    """helm exited non-zero, or the inputs cannot be rendered faithfully."""


# ---------------------------------------------------------------------------
# What EKS installs as add-ons, and how.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddonChart:
    chart: str
    version: str  # the release in the reference; EKS picks its own add-on version
    namespace: str
    # Values EKS sets itself beyond the configuration_values, by name ("clusterName", "region").
    eks_values: tuple[str, ...] = ()


# Namespaces: where each add-on's documentation installs it (EKS user guide: "Detect node health
# issues" for the monitoring agent in kube-system; "Amazon CloudWatch Observability agent" for
# amazon-cloudwatch; the Mountpoint and FSx CSI driver add-on pages for kube-system).
ADDONS = {
    "eks-node-monitoring-agent": AddonChart(
        chart="eks-node-monitoring-agent", version="1.7.0", namespace=names.KUBE_SYSTEM_NAMESPACE
    ),
    # The chart refuses to render without clusterName and region (its templates: ".Values.clusterName
    # is required"); the add-on takes neither as configuration, so EKS fills them in: the CloudWatch
    # user guide installs the add-on with only --cluster-name, and the Helm chart with
    # --set clusterName=... --set region=... ("Install the CloudWatch agent with the Amazon
    # CloudWatch Observability EKS add-on or the Helm chart"; the chart's README, line 17).
    "amazon-cloudwatch-observability": AddonChart(
        chart="amazon-cloudwatch-observability",
        version="6.4.0",
        namespace=names.CLOUDWATCH_NAMESPACE,
        eks_values=("clusterName", "region"),
    ),
    "aws-mountpoint-s3-csi-driver": AddonChart(
        chart="aws-mountpoint-s3-csi-driver", version="2.7.0", namespace=names.KUBE_SYSTEM_NAMESPACE
    ),
    "aws-fsx-csi-driver": AddonChart(chart="aws-fsx-csi-driver", version="1.17.0", namespace=names.KUBE_SYSTEM_NAMESPACE),
}
NOT_RENDERED_ADDONS = {
    "vpc-cni": "its public chart (aws/eks-charts aws-vpc-cni) is not among the reference charts",
    "kube-proxy": "EKS installs its own manifest; there is no public chart of it",
    "coredns": "EKS installs its own manifest; there is no public chart of it",
    "eks-pod-identity-agent": "its public chart (aws/eks-pod-identity-agent) is not among the reference charts",
}
# Releases whose chart the reference does not hold, and why.
NOT_RENDERED_CHARTS = {
    charts.NEURON.name: (
        f"neuron-helm-chart {charts.NEURON.version} is not in the reference charts: its pin could not be "
        "confirmed from any upstream snapshot (cluster_config/charts.py, NEURON; reference SOURCES.md)"
    ),
}


# ---------------------------------------------------------------------------
# One helm template.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HelmInput:
    """Everything that decides a render, as helm sees it."""

    release: str
    namespace: str
    chart_dir: Path
    kube_version: str
    values: tuple[str, ...]  # YAML documents, in -f order
    sets: tuple[tuple[str, str, str], ...] = ()  # (flag, name, value): --set, --set-string, --set-literal

    def key(self) -> str:
        payload = json.dumps(
            [
                self.release,
                self.namespace,
                _tree_hash(self.chart_dir),
                self.kube_version,
                list(self.values),
                [list(s) for s in self.sets],
            ]
        )
        return hashlib.sha256(payload.encode()).hexdigest()

    def args(self, values_files: list[Path]) -> list[str]:
        out = [self.release, str(self.chart_dir), "--namespace", self.namespace, "--kube-version", self.kube_version]
        for path in values_files:
            out += ["--values", str(path)]
        for flag, name, value in self.sets:
            out += [flag, f"{name}={value}"]
        return out


@lru_cache(maxsize=None)
def _tree_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run_helm(command: str, given: HelmInput, extra: tuple[str, ...]) -> str:
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        files = []
        for index, text in enumerate(given.values):
            path = Path(tmp) / f"values-{index}.yaml"
            path.write_text(text)
            files.append(path)
        args = given.args(files)
        if command == "lint":
            args = args[1:]  # helm lint takes no release name
        proc = subprocess.run([str(helm()), command, *args, *extra], capture_output=True, text=True, timeout=HELM_TIMEOUT_SECONDS)
    if proc.returncode != 0:
        raise RenderError(
            f"helm {command} {given.release} ({given.chart_dir}) failed:\n{proc.stderr.strip() or proc.stdout.strip()}"
        )
    return proc.stdout


# libyaml's parser: the renders hold several MB of CRDs, which the pure-Python one takes ~10x longer to read.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[str, tuple[tuple[dict, ...], tuple[str, ...]]] = {}
_LINTED: set[str] = set()
_LOCK = threading.Lock()
# Every CustomResourceDefinition any render produced, by its name (<plural>.<group>). Kept once
# here rather than in each render: the Trainer and Kueue CRDs alone are megabytes.
CRDS: dict[str, dict] = {}


def render_cache() -> Path:
    """Where renders are kept between runs: ``$GPU_EKS_RENDER_CACHE``, else ~/.cache/gpu-eks/renders."""
    configured = os.environ.get("GPU_EKS_RENDER_CACHE")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gpu-eks" / "renders"
    return Path(configured) if configured else base


@lru_cache(maxsize=None)
def _helm_identity() -> str:
    """The helm binary's own sha256: a render kept from another helm is never reused."""
    return hashlib.sha256(helm().read_bytes()).hexdigest()


def template_text(given: HelmInput) -> str:
    """``helm template`` with the chart's CRDs included. The output is kept on disk under the
    hash of everything that decides it (the helm binary, the chart's files, values, set entries,
    namespace, release name, Kubernetes version), so an unchanged render is not run again in the
    next session, nor in the mutation tool's copies; any change to an input is a new render."""
    extra = ("--include-crds",)
    key = hashlib.sha256(f"{_helm_identity()} template {' '.join(extra)} {given.key()}".encode()).hexdigest()
    path = render_cache() / key[:2] / f"{key}.yaml.gz"
    try:
        return zlib.decompress(path.read_bytes()).decode()
    except (OSError, zlib.error):
        pass
    text = _run_helm("template", given, extra)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(zlib.compress(text.encode(), 1))
        partial.replace(path)
    except OSError:
        pass  # a read-only home only costs the next session a render
    return text


def template(given: HelmInput) -> tuple[tuple[dict, ...], tuple[str, ...]]:
    """(the objects other than CRDs, the names of the CRDs) that ``helm template`` renders,
    parsed once per distinct input. The objects are shared: do not modify them."""
    key = given.key()
    with _LOCK:
        if key in _PARSED:
            return _PARSED[key]
    objects, crds = [], []
    for doc in yaml.load_all(template_text(given), Loader=_LOADER):
        if not doc:
            continue
        if doc.get("kind") == "CustomResourceDefinition" and doc.get("apiVersion", "").startswith("apiextensions.k8s.io/"):
            crds.append(doc["metadata"]["name"])
            with _LOCK:
                CRDS.setdefault(doc["metadata"]["name"], doc)
        else:
            objects.append(doc)
    with _LOCK:
        _PARSED[key] = (tuple(objects), tuple(crds))
    return _PARSED[key]


def lint(given: HelmInput) -> None:
    """``helm lint --strict``: warnings fail too."""
    key = given.key()
    if key not in _LINTED:
        _run_helm("lint", given, ("--strict",))
        _LINTED.add(key)


# What a chart generates afresh on every render: the CloudWatch chart's webhook certificates
# (genCA/genSignedCert into Secret data and the webhooks' caBundle).
_GENERATED = re.compile(r"^(\s*)(caBundle|ca\.crt|tls\.crt|tls\.key): \S+$", re.M)


def normalized(text: str) -> str:
    """A render without its generated certificates, so two renders can be compared."""
    return _GENERATED.sub(r"\1\2: (generated)", text)


# ---------------------------------------------------------------------------
# From a synth to helm inputs.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Source:
    """What a render is of: a Helm release of the platform stack, or an EKS add-on."""

    kind: str  # "helm_release" or "eks_addon"
    name: str
    chart: str
    version: str | None
    local: bool  # a chart of this repository (charts/)

    def __str__(self) -> str:
        return f"{'release' if self.kind == 'helm_release' else 'add-on'} {self.name}"


@dataclass(frozen=True, kw_only=True)
class Render:
    source: Source
    given: HelmInput
    objects: tuple[dict, ...] = field(hash=False)  # everything but CRDs
    crds: tuple[str, ...] = ()  # the CRDs it renders, by name (their bodies are in CRDS)


@dataclass(frozen=True, kw_only=True)
class NotRendered:
    source: str
    reason: str


@dataclass(kw_only=True)
class ConfigRender:
    config: str
    cluster_name: str
    region: str
    kube_version: str
    renders: list[Render]
    not_rendered: list[NotRendered]
    errors: list[str]
    seconds: float = 0.0

    def objects(self):
        """(source, object) for every rendered object."""
        for render in self.renders:
            for obj in render.objects:
                yield render.source, obj


def _placeholder(name: str, kind: str) -> str:
    """A stand-in for a value only Terraform knows at apply time, of the entry's type."""
    if kind not in ("string", "literal", "auto", ""):
        raise RenderError(f"set {name}: unknown type {kind!r}")
    return "tf-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _set_flag(kind: str) -> str:
    # The helm provider's set.type: "string" is --set-string, "literal" --set-literal, else --set.
    return {"string": "--set-string", "literal": "--set-literal"}.get(kind, "--set")


def release_input(stack_dir: Path, release: dict, kube_version: str) -> tuple[Source, HelmInput | None, str | None]:
    """A platform-stack helm_release as helm input; or None and why it cannot be rendered."""
    local = "repository" not in release
    source = Source(
        kind="helm_release", name=release["name"], chart=release["chart"], version=release.get("version"), local=local
    )
    if local:
        directory = (stack_dir / release["chart"]).resolve()
        if not (directory / "Chart.yaml").is_file():
            raise RenderError(f"{source}: the stack's chart asset {directory} has no Chart.yaml")
    else:
        if release["chart"] in NOT_RENDERED_CHARTS:
            return source, None, NOT_RENDERED_CHARTS[release["chart"]]
        directory = chart_dir(release["chart"], str(release["version"]))
        if directory is None:
            raise RenderError(
                f"{source}: chart {release['chart']} {release['version']} is not in the upstream "
                f"reference ({require_reference() / 'charts'})"
            )
    values = tuple(release.get("values") or ())
    for text in values:
        if TERRAFORM_EXPRESSION.search(text):
            raise RenderError(f"{source}: its values hold a Terraform expression, which only an apply can resolve")
    sets = []
    for entry in release.get("set") or ():
        kind = entry.get("type", "")
        value = str(entry["value"])
        if TERRAFORM_EXPRESSION.search(value):
            value = _placeholder(entry["name"], kind)
        sets.append((_set_flag(kind), entry["name"], value))
    given = HelmInput(
        release=release["name"],
        namespace=release.get("namespace", "default"),
        chart_dir=directory,
        kube_version=kube_version,
        values=values,
        sets=tuple(sets),
    )
    return source, given, None


def addon_input(addon: dict, *, cluster_name: str, region: str, kube_version: str) -> tuple[Source, HelmInput | None, str | None]:
    name = addon["addon_name"]
    if name in NOT_RENDERED_ADDONS:
        return Source(kind="eks_addon", name=name, chart=name, version=None, local=False), None, NOT_RENDERED_ADDONS[name]
    if name not in ADDONS:
        raise RenderError(f"add-on {name}: neither in ADDONS nor in NOT_RENDERED_ADDONS of tests/render.py; say which")
    spec = ADDONS[name]
    source = Source(kind="eks_addon", name=name, chart=spec.chart, version=spec.version, local=False)
    directory = chart_dir(spec.chart, spec.version)
    if directory is None:
        raise RenderError(f"{source}: chart {spec.chart} {spec.version} is not in the upstream reference")
    configuration = addon.get("configuration_values")
    if configuration and TERRAFORM_EXPRESSION.search(configuration):
        raise RenderError(f"{source}: configuration_values hold a Terraform expression, which only an apply can resolve")
    known = {"clusterName": cluster_name, "region": region}
    eks = {key: known[key] for key in spec.eks_values}
    values = tuple(text for text in (yaml.safe_dump(eks) if eks else None, configuration) if text)
    given = HelmInput(release=name, namespace=spec.namespace, chart_dir=directory, kube_version=kube_version, values=values)
    return source, given, None


def _cluster(cluster_stack: dict) -> tuple[str, str]:
    (cluster,) = cluster_stack["resource"]["aws_eks_cluster"].values()
    return cluster["name"], cluster["version"]


def _region(cluster_stack: dict) -> str:
    (aws,) = cluster_stack["provider"]["aws"]
    return aws["region"]


_RENDERS: dict[str, ConfigRender] = {}


def render_config(result, label: str) -> ConfigRender:
    """Renders every release and add-on of one synth (``Synth`` of tests/conftest.py), once per session."""
    key = str(result.outdir)
    if key in _RENDERS:
        return _RENDERS[key]
    started = time.monotonic()
    helm()
    cluster_stack = result.stack("cluster")
    cluster_name, kube_version = _cluster(cluster_stack)
    region = _region(cluster_stack)
    jobs: list[tuple[Source, HelmInput]] = []
    not_rendered: list[NotRendered] = []
    errors: list[str] = []

    def add(made):
        source, given, reason = made
        if given is None:
            not_rendered.append(NotRendered(source=str(source), reason=reason))
        else:
            jobs.append((source, given))

    platform = [(name, s) for name, s in result.stacks.items() if name.endswith("-platform")]
    for stack_name, stack in platform:
        for release in stack.get("resource", {}).get("helm_release", {}).values():
            try:
                add(release_input(result.outdir / "stacks" / stack_name, release, kube_version))
            except RenderError as error:
                errors.append(str(error))
    for addon in cluster_stack["resource"].get("aws_eks_addon", {}).values():
        try:
            add(addon_input(addon, cluster_name=cluster_name, region=region, kube_version=kube_version))
        except RenderError as error:
            errors.append(str(error))

    def run(job):
        source, given = job
        try:
            objects, crds = template(given)
            if source.local:
                lint(given)
            return Render(source=source, given=given, objects=objects, crds=crds), None
        except (RenderError, subprocess.TimeoutExpired, yaml.YAMLError) as error:
            return None, f"{source}: {error}"

    renders = []
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for render, error in pool.map(run, jobs):
            if error:
                errors.append(error)
            else:
                renders.append(render)
    out = ConfigRender(
        config=label,
        cluster_name=cluster_name,
        region=region,
        kube_version=kube_version,
        renders=renders,
        not_rendered=not_rendered,
        errors=errors,
        seconds=time.monotonic() - started,
    )
    _RENDERS[key] = out
    return out


def rendered_configs() -> list[ConfigRender]:
    """Every configuration rendered so far this session, in the order they were."""
    return list(_RENDERS.values())


# ---------------------------------------------------------------------------
# Values keys that change nothing.
# ---------------------------------------------------------------------------


def leaves(values, path=()):
    """Paths to every scalar and list in a values tree (a map is walked into)."""
    if isinstance(values, dict) and values:
        for key, value in values.items():
            yield from leaves(value, (*path, key))
    elif path:
        yield path


PROBE = "render-probe"


def perturbed(value):
    """A different value of the same kind: a flipped bool, a bumped number, a changed string,
    a list with one more element (a copy of its last)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return f"{value}-{PROBE}"
    if isinstance(value, list):
        return [*value, copy.deepcopy(value[-1]) if value else PROBE]
    if isinstance(value, dict):  # an empty map
        return {PROBE: PROBE}
    if value is None:
        return PROBE
    raise TypeError(f"cannot perturb {value!r}")


def with_leaf(values: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(values)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def ignored_keys(given: HelmInput, document: int = -1) -> list[str]:
    """Keys of the values document at ``document`` that the chart ignores: setting each to
    another value of its kind leaves the rendered objects as they were. A perturbation that
    makes the render fail counts as read."""
    base = normalized(template_text(given))
    values = yaml.safe_load(given.values[document]) or {}
    paths = list(leaves(values))

    def check(path):
        documents = list(given.values)
        documents[document] = yaml.safe_dump(with_leaf(values, path, perturbed(_get(values, path))), sort_keys=True)
        try:
            changed = normalized(template_text(HelmInput(**{**given.__dict__, "values": tuple(documents)}))) != base
        except RenderError:
            changed = True
        return None if changed else ".".join(map(str, path))

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return [p for p in pool.map(check, paths) if p]


def _get(values: dict, path: tuple):
    for key in path:
        values = values[key]
    return values


# ---------------------------------------------------------------------------
# Is every rendered object valid?
# ---------------------------------------------------------------------------


def _cache_schema_reads() -> None:
    """kubernetes-validate reads its schema files from disk on every call, a version's
    _definitions.json (several MB) included, which makes a check take ~80 ms. The files are
    read-only package data, so the reads are cached (to ~10 ms a check); results do not change."""
    from kubernetes_validate import utils

    if not hasattr(utils.schema_contents, "cache_info"):
        utils.schema_contents = lru_cache(maxsize=None)(utils.schema_contents)


_BUILTIN: dict[tuple[str, str], tuple[str, ...]] = {}


def builtin_errors(obj: dict, kube_version: str) -> tuple[str, ...]:
    """kubernetes-validate, strict (unknown fields are errors), at the cluster's version."""
    import kubernetes_validate

    _cache_schema_reads()
    key = (hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest(), kube_version)
    if key not in _BUILTIN:
        try:
            kubernetes_validate.validate(obj, kube_version, strict=True)
            errors: tuple[str, ...] = ()
        except kubernetes_validate.ValidationError as error:
            errors = (f"{'.'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}",)
        except kubernetes_validate.SchemaNotFoundError as error:
            errors = (error.message,)
        _BUILTIN[key] = errors
    return _BUILTIN[key]


def crd_index(extra: list[dict]) -> dict[tuple[str, str], dict]:
    """(group, kind) -> CRD: the ones the charts rendered, then the reference's for the rest."""
    index: dict[tuple[str, str], dict] = {}
    for crd in [*CRDS.values(), *extra]:
        index.setdefault((crd["spec"]["group"], crd["spec"]["names"]["kind"]), crd)
    return index


def group_of(obj: dict) -> str:
    api_version = obj.get("apiVersion", "")
    return api_version.split("/")[0] if "/" in api_version else ""


# ---------------------------------------------------------------------------
# Kueue's webhook rules, which no CRD schema expresses (tests/kueue_rules.py).
# ---------------------------------------------------------------------------

KUEUE_WEBHOOK_KINDS = ("ClusterQueue", "Cohort", "LocalQueue", "ResourceFlavor", "Topology")


# ---------------------------------------------------------------------------
# The example TrainJobs.
# ---------------------------------------------------------------------------


def kustomize(directory: Path) -> list[dict]:
    """``kubectl kustomize`` of a directory, as parsed objects."""
    proc = subprocess.run(
        [str(kubectl()), "kustomize", str(directory)], capture_output=True, text=True, timeout=HELM_TIMEOUT_SECONDS
    )
    if proc.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} failed:\n{proc.stderr.strip()}")
    return [doc for doc in yaml.load_all(proc.stdout, Loader=_LOADER) if doc]


# ---------------------------------------------------------------------------
# The configurations rendered: every example, and variants that switch options.
# ---------------------------------------------------------------------------


def _all_kinds(data: dict) -> None:
    """Every kind of group in one cluster: AL2023 NVIDIA with EFA (the default's a10g), a Spot
    group of two L4 types across zones, Bottlerocket NVIDIA, Trainium; FSx and checkpoints on;
    a team with quota on two GPU groups; the periodic health recheck on, but for l4, and l40s
    on its own schedule."""
    data["health_check"] = {"recheck": True}
    data["gpu_node_groups"] += [
        {
            "name": "l4",
            "instance_types": ["g6.12xlarge", "g6.24xlarge"],
            "capacity_type": "spot",
            "max_size": 2,
            "efa": False,
            "health_check": {"recheck": False},
        },
        {
            "name": "l40s",
            "instance_type": "g6e.12xlarge",
            "ami_type": "bottlerocket",
            "max_size": 1,
            "availability_zone": "us-west-2b",
            "health_check": {"recheck_schedule": "30 2 * * SUN"},
        },
        {"name": "trn1", "instance_type": "trn1.32xlarge", "max_size": 1, "availability_zone": "us-west-2a"},
    ]
    data.setdefault("storage", {})["fsx_lustre"] = {"enabled": True}
    data["queues"] = {"teams": [{"name": "research", "namespaces": ["research"], "quota": {"a10g": 4, "l4": 4}}]}


def _p5_4xlarge(data: dict) -> None:
    """A single-GPU H100 group: a catalog type the CloudWatch chart's DCGM exporter list lacks."""
    data["gpu_node_groups"].append(
        {"name": "h100", "instance_type": "p5.4xlarge", "max_size": 2, "availability_zone": "us-west-2a"}
    )


def _everything_off(data: dict) -> None:
    """Every optional part off: no platform stack, only the add-ons a cluster cannot do without."""
    data["training_operator"] = {"enabled": False}
    data["platform"] = {
        name: {"enabled": False}
        for name in ("nvidia_device_plugin", "neuron_device_plugin", "efa_device_plugin", "cluster_autoscaler")
    }
    data["queues"] = {"enabled": False}
    data["observability"] = {"cloudwatch": False, "alarm_topic": False}
    data["storage"] = {"checkpoints": {"enabled": False}, "local_nvme": "none"}
    data.setdefault("cluster", {})["node_repair"] = False
    data["health_check"] = {"enabled": False}


# label -> (base file in config/, edit)
VARIANTS = {
    "variant-all-kinds": ("default.yaml", _all_kinds),
    "variant-p5-4xlarge": ("default.yaml", _p5_4xlarge),
    "variant-everything-off": ("default.yaml", _everything_off),
}

_VARIANT_PATHS: dict[str, Path] = {}


def config_file(label: str, config_variant) -> str | Path:
    """The file to synthesize for ``label``: an example's name, or a variant written once per session."""
    if label not in VARIANTS:
        return label
    if label not in _VARIANT_PATHS:
        base, edit = VARIANTS[label]
        _VARIANT_PATHS[label] = config_variant(base, edit, name=label)
    return _VARIANT_PATHS[label]


def rendered(label: str, synth, config_variant) -> tuple[object, ConfigRender]:
    """(the synth, its renders) of one configuration label, each made once per session."""
    result = synth(config_file(label, config_variant))
    return result, render_config(result, label)
