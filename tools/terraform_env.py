"""Run the real terraform offline against a filesystem mirror of hashicorp/aws.

The mirror is found from ``TF_PROVIDER_MIRROR`` (a directory that contains
``registry.terraform.io/``) or, failing that, by looking in the places Terraform
itself documents for local plugins and one level below ``/opt``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

AWS_PROVIDER_VERSION = "5.100.0"  # what cdktf-cdktf-provider-aws==20.1.0 binds
_AWS_PATH = Path("registry.terraform.io/hashicorp/aws") / AWS_PROVIDER_VERSION


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
