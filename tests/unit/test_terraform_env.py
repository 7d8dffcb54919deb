"""How the tests get the pinned hashicorp/aws provider, and why CI never skips for want of it."""

from __future__ import annotations

import pytest

from tests.integration.conftest import unavailable
from tools import terraform_env


def test_the_offline_mirror_wins_when_there_is_one(tmp_path, monkeypatch):
    (tmp_path / "mirror" / "registry.terraform.io/hashicorp/aws/5.100.0").mkdir(parents=True)
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setattr(terraform_env, "registry_reachable", lambda: pytest.fail("no need to ask the network"))
    env, how = terraform_env.provider_env(tmp_path)
    assert how.startswith("provider mirror TF_PROVIDER_MIRROR=")
    assert env["TF_CLI_CONFIG_FILE"] == str(tmp_path / "terraformrc")
    assert f'path    = "{tmp_path / "mirror"}"' in (tmp_path / "terraformrc").read_text()


def test_without_a_mirror_the_registry_installs_the_pinned_version_once_per_run(tmp_path, monkeypatch):
    monkeypatch.setattr(terraform_env, "find_mirror", lambda: (None, "no mirror"))
    monkeypatch.setattr(terraform_env, "registry_reachable", lambda: True)
    env, how = terraform_env.provider_env(tmp_path)
    assert how == "hashicorp/aws 5.100.0 from registry.terraform.io (no mirror)"
    assert env["TF_PLUGIN_CACHE_DIR"] == str(tmp_path / "plugin-cache") and (tmp_path / "plugin-cache").is_dir()
    assert env["CHECKPOINT_DISABLE"] == "1" and env["TF_INPUT"] == "0"


def test_with_neither_the_reason_names_both(tmp_path, monkeypatch):
    monkeypatch.setattr(terraform_env, "find_mirror", lambda: (None, "no mirror"))
    monkeypatch.setattr(terraform_env, "registry_reachable", lambda: False)
    assert terraform_env.provider_env(tmp_path) == (None, "no mirror, and registry.terraform.io is not reachable")


def test_a_missing_tool_is_a_skip_on_a_workstation_and_a_failure_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no mirror"):
        unavailable("no mirror")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so this is a failure, not a skip: no mirror"):
        unavailable("no mirror")
