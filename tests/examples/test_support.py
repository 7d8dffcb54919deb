"""The example tests never skip silently in CI: a missing tool fails the run when CI=true.
(Fast: nothing here needs torch.)"""

from __future__ import annotations

import pytest

from tests.examples.support import clean_env, require_module


def test_a_missing_module_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so this is a failure, not a skip: no_such_module_for_this_test"):
        require_module("no_such_module_for_this_test", "a test needs it")


def test_a_missing_module_skips_on_a_workstation(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no_such_module_for_this_test is not installed"):
        require_module("no_such_module_for_this_test", "a test needs it")


def test_an_installed_module_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    require_module("json", "a test needs it")


def test_the_scripts_run_without_the_callers_aws_or_launcher_settings(monkeypatch):
    for key, value in {"AWS_PROFILE": "prod", "CHECKPOINT_URI": "s3://real/bucket", "PET_NNODES": "4", "RANK": "3"}.items():
        monkeypatch.setenv(key, value)
    env = clean_env(AWS_REGION="us-east-1")
    assert not {"AWS_PROFILE", "CHECKPOINT_URI", "PET_NNODES", "RANK"} & set(env)
    assert env["AWS_REGION"] == "us-east-1" and env["OMP_NUM_THREADS"] == "1" and env["CUDA_VISIBLE_DEVICES"] == ""
