from __future__ import annotations

from pathlib import Path

import pytest

from tools.terraform_env import find_mirror, find_terraform, offline_env, write_cli_config


@pytest.fixture(scope="session")
def terraform_offline(tmp_path_factory):
    """(terraform binary, env) for offline init against the provider mirror, or a skip saying what is missing."""
    terraform = find_terraform()
    if terraform is None:
        pytest.skip("terraform is not on PATH; install terraform >= 1.5 to run the real validation")
    mirror, how = find_mirror()
    if mirror is None:
        pytest.skip(how)
    cli_config = write_cli_config(mirror, Path(tmp_path_factory.mktemp("tfcli")))
    return terraform, offline_env(cli_config)


_REHEARSALS: dict[str, dict] = {}


@pytest.fixture(scope="session")
def rehearse(tmp_path_factory, terraform_offline):
    """Runs `tools/rehearse.py` once per configuration for the whole session."""
    import json
    import subprocess
    import sys

    from tests.conftest import CONFIG_DIR, ROOT

    if not (ROOT / "node_modules" / ".bin" / "cdktf").exists():
        pytest.skip("the cdktf CLI is not installed (npm ci)")

    def run(config_file: str) -> dict:
        if config_file not in _REHEARSALS:
            workdir = tmp_path_factory.mktemp(f"rehearsal-{Path(config_file).stem}")
            result = subprocess.run(
                [sys.executable, "tools/rehearse.py", "--config", str(CONFIG_DIR / config_file), "--workdir", str(workdir)],
                cwd=ROOT, capture_output=True, text=True, timeout=1800,
            )
            report_path = workdir / "report.json"
            _REHEARSALS[config_file] = {
                "returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr, "workdir": workdir,
                "report": json.loads(report_path.read_text()) if report_path.exists() else None,
            }
        return _REHEARSALS[config_file]

    return run
