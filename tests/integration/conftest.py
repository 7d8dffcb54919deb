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
