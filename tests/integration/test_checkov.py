"""checkov finds nothing to fail in any synthesized AWS stack, and really scanned them.

checkov exits 0 with zero checks on JSON it cannot parse, and `--framework
terraform` silently scans nothing in *.tf.json, so each scan is checked for
parsing errors and for having looked at every security-relevant resource.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.conftest import EXAMPLE_CONFIGS, ROOT, unavailable
from tools.scanners import find

pytestmark = pytest.mark.integration

CHECKOV_CONFIG = ROOT / ".checkov.yaml"
# Resource types checkov has policies for; every one of them in a stack must show up in its scan.
MUST_BE_SCANNED = {
    "aws_vpc",
    "aws_subnet",
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
    "aws_kms_key",
    "aws_cloudwatch_log_group",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_eks_cluster",
    "aws_eks_node_group",
    "aws_launch_template",
    "aws_s3_bucket",
    "aws_fsx_lustre_file_system",
}


@pytest.fixture(scope="session")
def checkov():
    path = find("checkov", "CHECKOV")
    if path is None:
        unavailable("checkov not found (make install-dev puts it in .venv-tools/; or set CHECKOV)")
    return path


def scan(checkov: str, target) -> dict:
    result = subprocess.run(
        [checkov, "--config-file", str(CHECKOV_CONFIG), "-f", str(target), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert isinstance(report, dict), f"expected one terraform_json report, got {type(report)}"
    return report


# checkov 3.3's terraform_json parser takes every entry of every top-level block to be an object
# and gives up on the whole file ("this method receives only dicts") at the list that `moved` is,
# and at the string that `terraform.required_version` is. A moved block carries no configuration,
# only two addresses, and the version constraint none either, so the scan reads a copy without them.
NOT_SCANNED_BLOCKS = {"moved"}
NOT_SCANNED_SETTINGS = {"required_version"}


def scannable_copy(stack: dict, target):
    assert all(isinstance(stack[block], list) for block in NOT_SCANNED_BLOCKS & set(stack))
    copy = {block: body for block, body in stack.items() if block not in NOT_SCANNED_BLOCKS}
    assert all(isinstance(copy["terraform"][key], str) for key in NOT_SCANNED_SETTINGS & set(copy["terraform"]))
    copy["terraform"] = {key: value for key, value in copy["terraform"].items() if key not in NOT_SCANNED_SETTINGS}
    target.write_text(json.dumps(copy))
    return target


def scanned_names(report: dict) -> set[str]:
    results = report["results"]
    names = set()
    for check in results["passed_checks"] + results["failed_checks"] + results.get("skipped_checks", []):
        names.add(check["resource"].split(".", 1)[1])  # "resource.<id>" or "<type>.<id>"
    return names


def test_checkov_config_skips_only_documented_checks():
    config = yaml.safe_load(CHECKOV_CONFIG.read_text())
    assert config["framework"] == ["terraform_json"]
    text = CHECKOV_CONFIG.read_text()
    for check in config["skip-check"]:
        comment = text.split(f"- {check}")[0].rstrip().splitlines()[-1]
        assert comment.lstrip().startswith("#"), f"{check} has no reason above it"
    security = (ROOT / "docs" / "security.md").read_text()
    assert all(check in security for check in config["skip-check"]), "docs/security.md lists every skip"


# The platform stack is all kubernetes and helm resources (plus, with token auth, one aws
# data source), which checkov's terraform_json framework has no AWS policies for. It is the
# only stack not scanned, and that is asserted, so a new stack or provider cannot slip out.
UNSCANNED_ROLES = {"platform"}


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_aws_stack_passes_checkov(config, synth, checkov, tmp_path):
    result = synth(config)
    scanned = {name for name, stack in result.stacks.items() if set(stack.get("provider", {})) == {"aws"}}
    unscanned = set(result.stacks) - scanned
    assert {name.rsplit("-", 1)[1] for name in unscanned} == UNSCANNED_ROLES, f"not scanned: {sorted(unscanned)}"
    assert {name.rsplit("-", 1)[1] for name in scanned} in ({"network", "cluster"}, {"cluster"}), f"scanned: {sorted(scanned)}"
    for name in sorted(scanned):
        stack = result.stacks[name]
        report = scan(checkov, scannable_copy(stack, tmp_path / f"{name}.tf.json"))
        summary = report["summary"]
        assert summary["parsing_errors"] == 0, f"{name}: checkov could not parse the stack"
        failed = [(c["check_id"], c["resource"], c["check_name"]) for c in report["results"]["failed_checks"]]
        assert failed == [], f"{name}: {failed}"
        expected = {rid for kind, items in stack.get("resource", {}).items() if kind in MUST_BE_SCANNED for rid in items}
        missing = expected - scanned_names(report)
        assert expected and not missing, f"{name}: checkov did not scan {sorted(missing)}"


@pytest.mark.parametrize("config", ["default.yaml", "p5-efa.yaml", "p5-training.yaml"])
def test_the_real_plan_passes_checkov_with_every_resource_scanned(config, rehearse, checkov):
    result = rehearse(config)
    assert result["report"] is not None, result["stderr"][-2000:]
    for name in result["report"]["stacks"]:
        plan = result["workdir"] / "cdktf.out" / "stacks" / name / "full-plan.json"
        proc = subprocess.run(
            [checkov, "--config-file", str(CHECKOV_CONFIG), "--framework", "terraform_plan", "-f", str(plan), "-o", "json"],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        report = json.loads(proc.stdout)
        managed = [c for c in json.loads(plan.read_text())["resource_changes"] if c["mode"] == "managed"]
        assert report["summary"]["parsing_errors"] == 0
        assert report["summary"]["resource_count"] == len(managed), f"{name}: checkov saw fewer resources than the plan has"
        failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
        assert failed == [], f"{name}: {failed}"
