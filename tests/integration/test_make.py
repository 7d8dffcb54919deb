"""make itself: the help text, and that a hand-run `npm ci` is not repeated by make."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import pytest

from tests.conftest import ROOT, unavailable

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True, scope="module")
def make_installed():
    """Checked when a test here runs, so the fast suite can still collect this module."""
    if shutil.which("make") is None:
        unavailable("make is not installed")


def make(*args, cwd=ROOT):
    return subprocess.run(["make", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_make_help_lists_every_target_on_one_line():
    result = make("-s", "help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    (phony,) = re.findall(r"^\.PHONY:(.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert sorted(line.split()[1] for line in lines) == sorted(phony.split())
    assert all(line.startswith("  make ") and len(line.split()) > 2 for line in lines)
    assert make("-s").stdout == result.stdout  # plain `make` shows the same


@pytest.fixture
def copy(tmp_path):
    for name in ("Makefile", "package.json", "package-lock.json", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_a_hand_run_npm_ci_is_not_repeated(copy):
    marker = copy / "node_modules" / ".package-lock.json"
    marker.parent.mkdir()
    marker.write_text("{}")  # what `npm ci` leaves behind, newer than package-lock.json
    assert "npm ci" not in make("-n", "install-cli", cwd=copy).stdout
    old = time.time() - 3600
    os.utime(marker, (old, old))  # package-lock.json changed since: install again
    assert "npm ci" in make("-n", "install-cli", cwd=copy).stdout


def test_deploy_and_destroy_pass_config_and_auto_approve(copy):
    out = make("-n", "destroy", "CONFIG=config/p5-efa.yaml", "AUTO_APPROVE=1", cwd=copy).stdout
    assert ".venv/bin/python -m tools.cluster destroy --config config/p5-efa.yaml --yes" in out
    out = make("-n", "deploy", "CONFIG=config/p5-efa.yaml", cwd=copy).stdout
    assert re.search(r"-m tools\.cluster deploy --config config/p5-efa\.yaml\s*$", out, re.M)
