"""Where the scanners live: $CHECKOV / $CHECK_JSONSCHEMA, else .venv-tools/bin, else PATH."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def find(tool: str, env_var: str) -> str | None:
    configured = os.environ.get(env_var)
    if configured:
        return configured if Path(configured).is_file() else None
    local = ROOT / ".venv-tools" / "bin" / tool
    if local.is_file():
        return str(local)
    return shutil.which(tool)
