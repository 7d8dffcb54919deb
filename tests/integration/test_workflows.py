"""The CI workflow we ship to users: schema-valid, pinned, least privilege, no injection."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from tests.conftest import ROOT, unavailable
from tools.scanners import find

pytestmark = pytest.mark.integration

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
UNTRUSTED = re.compile(r"\$\{\{\s*github\.(event|head_ref)")


def load(path):
    # PyYAML reads the key `on` as True.
    return yaml.safe_load(path.read_text())


def test_there_is_a_workflow():
    assert WORKFLOWS


def test_workflows_match_the_github_workflow_schema():
    tool = find("check-jsonschema", "CHECK_JSONSCHEMA")
    if tool is None:
        unavailable("check-jsonschema not found (make install-dev puts it in .venv-tools/)")
    result = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_by_full_commit_sha(path):
    uses = re.findall(r"uses:\s*(\S+)", path.read_text())
    assert uses
    unpinned = [u for u in uses if not u.startswith("./") and not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u)]
    assert unpinned == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_least_privilege(path):
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        assert all(v in ("read", "none") for k, v in granted.items() if k not in ("id-token", "pull-requests")), name
        if granted.get("pull-requests") == "write":
            assert name == "plan"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_untrusted_input_is_interpolated_into_run(path):
    for name, job in load(path)["jobs"].items():
        for step in job.get("steps", []):
            assert not UNTRUSTED.search(step.get("run", "")), f"{name}: {step}"
            assert not UNTRUSTED.search(str(step.get("with", {}).get("script", ""))), f"{name}: {step}"


def test_apply_needs_an_approved_environment():
    workflow = load(ROOT / ".github" / "workflows" / "terraform.yml")
    apply = workflow["jobs"]["apply"]
    assert apply["environment"] == "production"
    assert "refs/heads/main" in apply["if"] and "ENABLE_APPLY" in apply["if"]


def _steps(job):
    return load(ROOT / ".github" / "workflows" / "terraform.yml")["jobs"][job]["steps"]


def test_every_job_that_synthesizes_sets_up_the_node_version_the_readme_names():
    readme_major = re.search(r"Node\.js (\d+)\+", (ROOT / "README.md").read_text()).group(1)
    shas = set()
    for job in ("test", "plan", "apply"):
        (node,) = [s for s in _steps(job) if s.get("uses", "").startswith("actions/setup-node@")]
        assert str(node["with"]["node-version"]) == readme_major, job
        shas.add(node["uses"])
    assert len(shas) == 1, "one pinned setup-node for every job"


def test_apply_refuses_local_state_before_it_deploys():
    steps = _steps("apply")
    runs = [s.get("run", "") for s in steps]
    check = next(i for i, r in enumerate(runs) if "-m tools.cluster check-backend" in r)
    deploy = next(i for i, r in enumerate(runs) if "make deploy AUTO_APPROVE=1" in r)
    assert check < deploy
    assert not any("cdktf deploy" in r for r in runs)  # cdktf reads only CLUSTER_CONFIG; make deploy names the file


def test_apply_keeps_the_plan_guard_and_allows_only_what_a_variable_names():
    steps = _steps("apply")
    (deploy,) = [s for s in steps if "make deploy" in s.get("run", "")]
    # AUTO_APPROVE=1 answers the questions, never the guard: flagged changes need ALLOW_REPLACE,
    # which comes from a repository variable through the environment, not from the event.
    assert deploy["env"] == {"ALLOW_REPLACE": "${{ vars.ALLOW_REPLACE }}"}
    assert "ALLOW_REPLACE" not in deploy["run"] and "--allow-replace" not in deploy["run"]
    kept = steps[steps.index(deploy) + 1]
    assert kept["if"] == "always()" and kept["with"]["path"] == "cdktf.out/plan-report.json"
