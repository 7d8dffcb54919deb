"""Run the real terraform with the pinned hashicorp/aws provider, offline where possible.

The mirror is found from ``TF_PROVIDER_MIRROR`` (a directory that contains
``registry.terraform.io/``) or, failing that, by looking in the places Terraform
itself documents for local plugins and one level below ``/opt``. Without a mirror
but with the network (a GitHub runner), terraform installs the pinned version
from the registry the normal way; ``provider_env`` picks whichever is there.
"""

from __future__ import annotations

import os
import shutil
import urllib.request
from pathlib import Path

AWS_PROVIDER_VERSION = "5.100.0"  # what cdktf-cdktf-provider-aws==20.1.0 binds
_AWS_PATH = Path("registry.terraform.io/hashicorp/aws") / AWS_PROVIDER_VERSION
REGISTRY_DISCOVERY = "https://registry.terraform.io/.well-known/terraform.json"


def _candidates() -> list[Path]:
    home = Path.home()
    roots = [
        home / ".terraform.d/plugins",
        home / ".local/share/terraform/plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
    ]
    opt = Path("/opt")
    if opt.is_dir():
        roots += sorted(p for p in opt.iterdir() if p.is_dir())
    return roots


def find_mirror() -> tuple[Path | None, str]:
    """Returns (mirror directory or None, how it was found or why not)."""
    configured = os.environ.get("TF_PROVIDER_MIRROR")
    if configured:
        path = Path(configured)
        if (path / _AWS_PATH).is_dir():
            return path, f"TF_PROVIDER_MIRROR={configured}"
        return None, f"TF_PROVIDER_MIRROR={configured} has no {_AWS_PATH}"
    for root in _candidates():
        if (root / _AWS_PATH).is_dir():
            return root, f"discovered at {root}"
    return None, f"no filesystem mirror of hashicorp/aws {AWS_PROVIDER_VERSION} found (set TF_PROVIDER_MIRROR)"


def find_terraform() -> str | None:
    return shutil.which("terraform")


def write_cli_config(mirror: Path, directory: Path) -> Path:
    """A CLI config that installs hashicorp/aws only from the mirror and never from the network."""
    path = directory / "terraformrc"
    path.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
    )
    return path


def offline_env(cli_config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TF_CLI_CONFIG_FILE=str(cli_config), TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    return env


def registry_reachable(timeout: float = 5) -> bool:
    try:
        urllib.request.urlopen(REGISTRY_DISCOVERY, timeout=timeout).read()
        return True
    except OSError:
        return False


def online_env(plugin_cache: Path) -> dict[str, str]:
    """Ordinary provider installation from the registry; the cache downloads the provider once per run."""
    plugin_cache.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(TF_PLUGIN_CACHE_DIR=str(plugin_cache), TF_IN_AUTOMATION="1", TF_INPUT="0", CHECKPOINT_DISABLE="1")
    return env


def provider_env(directory: Path) -> tuple[dict[str, str] | None, str]:
    """(environment for terraform init, how the provider is installed), or (None, why it cannot be)."""
    mirror, how = find_mirror()
    if mirror is not None:
        return offline_env(write_cli_config(mirror, directory)), f"provider mirror {how}"
    if registry_reachable():
        return online_env(directory / "plugin-cache"), f"hashicorp/aws {AWS_PROVIDER_VERSION} from registry.terraform.io ({how})"
    return None, f"{how}, and registry.terraform.io is not reachable"
