from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import unavailable
from tools.terraform_env import find_terraform, provider_env


@pytest.fixture(scope="session")
def terraform_offline(tmp_path_factory):
    """(terraform binary, env) with the pinned hashicorp/aws: from the offline mirror when there is one,
    else from the registry; or a skip (a failure in CI) saying what is missing."""
    terraform = find_terraform()
    if terraform is None:
        unavailable("terraform is not on PATH; install terraform >= 1.5 to run the real validation")
    env, how = provider_env(Path(tmp_path_factory.mktemp("tfcli")))
    if env is None:
        unavailable(how)
    return terraform, env


_REHEARSALS: dict[str, dict] = {}


@pytest.fixture(scope="session")
def rehearse(tmp_path_factory, terraform_offline):
    """Runs `tools/rehearse.py` once per configuration for the whole session, with the changes
    tests/integration/test_rehearsal.py rehearses from it as --then files: one apply pays for all."""
    import json
    import subprocess
    import sys

    import yaml

    from tests.conftest import CONFIG_DIR, ROOT, config_data
    from tests.integration.test_rehearsal import CHANGES

    if not (ROOT / "node_modules" / ".bin" / "cdktf").exists():
        unavailable("the cdktf CLI is not installed (make install-cli)")

    def run(config_file: str) -> dict:
        if config_file not in _REHEARSALS:
            workdir = tmp_path_factory.mktemp(f"rehearsal-{Path(config_file).stem}")
            then = []
            for change in (c for c in CHANGES if c.base == config_file):
                path = workdir.parent / f"{workdir.name}-then" / f"{change.slug}.yaml"
                path.parent.mkdir(exist_ok=True)
                path.write_text(yaml.safe_dump(config_data(change.base, change.edit), sort_keys=False))
                then += ["--then", str(path)]
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tools.rehearse",
                    "--config",
                    str(CONFIG_DIR / config_file),
                    "--workdir",
                    str(workdir),
                    *then,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=2400,
            )
            report_path, changes_path = workdir / "report.json", workdir / "change-report.json"
            _REHEARSALS[config_file] = {
                "returncode": result.returncode,
                "stdout": result.stdout,
                "stderr": result.stderr,
                "workdir": workdir,
                "report": json.loads(report_path.read_text()) if report_path.exists() else None,
                "changes": json.loads(changes_path.read_text()) if changes_path.exists() else None,
            }
        return _REHEARSALS[config_file]

    return run
