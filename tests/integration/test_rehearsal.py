"""The deploy rehearsal on moto: apply, an empty second plan, a clean destroy; and what each
day-two change would do, planned against that one apply (tools/rehearse.py --then)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field

import pytest

from tests.conftest import CONFIG_DIR, ROOT, Edit, unavailable
from tools import emulator_gaps, rehearse as rehearse_tool

pytestmark = pytest.mark.integration

CONFIGS = ("default.yaml", "p5-efa.yaml", "p5-training.yaml")


@dataclass(frozen=True, kw_only=True)
class Change:
    """A change to a configuration and its verdict today: resource types per action (sorted, with
    repeats), the flagged ones, and what the emulator cannot show. The verdicts are data: when the
    stacks change what a change does, update the expectation here, with its source."""

    slug: str  # the --then file's name, and the key the tests find it by
    what: str  # the row of "What each change does"
    base: str
    edit: Edit = field(hash=False)
    update: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    create: tuple[str, ...] = ()
    flagged: tuple[str, ...] = ()
    not_rehearsed: tuple[str, ...] = ()


def _add_gpu_group(data: dict) -> None:
    data["gpu_node_groups"].append(
        {"name": "l4", "instance_type": "g6.12xlarge", "max_size": 2, "availability_zone": "us-west-2b"}
    )


def _add_team(data: dict) -> None:
    data["queues"] = {"teams": [{"name": "vision", "namespaces": ["vision"], "quota": {"a10g": 4}}]}


def _rename_gpu_group(data: dict) -> None:
    data["gpu_node_groups"][0]["name"] = "g5"


GROUP = (
    "aws_cloudwatch_metric_alarm",
    "aws_eks_node_group",
    "aws_launch_template",
    "aws_security_group",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
)
# Skipped on the emulator (tools/emulator_gaps.py): their creation or deletion is read from the synth.
# Eight node-template tags per EFA group: three labels, two taints (the group's and the health gate's
# startup taint), GPUs, EFA and ephemeral storage.
GROUP_SKIPPED = ("aws_autoscaling_group_tag",) * 8 + ("aws_placement_group",)

CHANGES: tuple[Change, ...] = (
    # EKS API Reference, UpdateNodegroupConfig: scalingConfig changes in place.
    Change(
        slug="raise-max-size",
        what="raise a GPU group's max_size",
        base="default.yaml",
        edit={"gpu_node_groups.0.max_size": 4},
        update=("aws_eks_node_group",),
    ),
    # New resources only: nothing that exists is touched.
    Change(
        slug="add-gpu-group",
        what="add a GPU group",
        base="default.yaml",
        edit=_add_gpu_group,
        create=tuple(sorted(GROUP + GROUP_SKIPPED)),
    ),
    # A team's quotas are Helm releases in the platform stack, which is not rehearsed; its namespace is a
    # training namespace, so the cluster stack adds that namespace's checkpoint-prefix role, its policy
    # and its Pod Identity association (issue 20).
    Change(
        slug="add-team",
        what="add a team",
        base="default.yaml",
        edit=_add_team,
        create=("aws_eks_pod_identity_association", "aws_iam_role", "aws_iam_role_policy"),
    ),
    # CloudWatch Logs API Reference, PutRetentionPolicy: retention changes on the existing log group.
    Change(
        slug="log-retention",
        what="change the control-plane log retention",
        base="default.yaml",
        edit={"cluster.log_retention_days": 30},
        update=("aws_cloudwatch_log_group",),
    ),
    # EKS API Reference, UpdateClusterVersion: the control plane is upgraded in place; the system and
    # GPU node groups follow its version (UpdateNodegroupVersion), and the seven add-ons' versions are
    # looked up anew for 1.36 (UpdateAddon). moto has neither add-ons nor DescribeAddonVersions, so their
    # in-place updates are judged from the synth (tools/emulator_gaps.py UPDATED_IN_PLACE). Nothing is
    # replaced.
    Change(
        slug="bump-minor",
        what="bump the Kubernetes minor (1.35 to 1.36)",
        base="default.yaml",
        edit={"kubernetes_version": "1.36"},
        update=("aws_eks_addon",) * 7 + ("aws_eks_cluster", "aws_eks_node_group", "aws_eks_node_group"),
    ),
    # A cdktf construct id is part of the Terraform address, so a renamed group is a new resource and
    # the old one is deleted (EKS has no API to rename a node group).
    Change(
        slug="rename-gpu-group",
        what="rename a GPU group",
        base="default.yaml",
        edit=_rename_gpu_group,
        delete=tuple(sorted(GROUP + GROUP_SKIPPED)),
        create=tuple(sorted(GROUP + GROUP_SKIPPED)),
        flagged=("aws_eks_node_group",),
    ),
    # EKS API Reference: kubernetesNetworkConfig.serviceIpv4Cidr is set by CreateCluster only;
    # UpdateClusterConfig has no such field, so the provider replaces the cluster. A new cluster has a
    # new OIDC issuer, and IAM cannot change a provider's URL (only its thumbprints and client ids),
    # so the OIDC provider is replaced too; the GPU launch template names the cluster security group,
    # which the new cluster makes anew: a new template version, which its node group rolls onto. The
    # add-ons, the three Pod Identity associations (the autoscaler's, the health checker's and the default
    # training namespace's checkpoint-prefix role) and the placement group read the replaced cluster, and
    # moto has none of them: what AWS does to them is not rehearsed.
    Change(
        slug="service-cidr",
        what="change the cluster's service CIDR",
        base="default.yaml",
        edit={"cluster.service_ipv4_cidr": "10.200.0.0/16"},
        update=("aws_eks_node_group", "aws_launch_template"),
        replace=("aws_eks_cluster", "aws_iam_openid_connect_provider"),
        flagged=("aws_eks_cluster",),
        not_rehearsed=("aws_eks_addon",) * 7 + ("aws_eks_pod_identity_association",) * 3 + ("aws_placement_group",),
    ),
    # The file system, its S3 link, KMS key, security group and rules, and the FSx CSI driver add-on go;
    # the GPU nodes' user data no longer installs the Lustre client (the FSx for Lustre user guide's AL2023
    # client install), so their launch template gets a new version, which the node group rolls onto.
    Change(
        slug="fsx-off",
        what="switch FSx off (p5-training)",
        base="p5-training.yaml",
        edit={"storage.fsx_lustre.enabled": False},
        update=("aws_eks_node_group", "aws_launch_template"),
        delete=(
            "aws_eks_addon",
            "aws_fsx_data_repository_association",
            "aws_fsx_lustre_file_system",
            "aws_kms_alias",
            "aws_kms_key",
            "aws_security_group",
        )
        + ("aws_vpc_security_group_egress_rule",) * 4
        # four on the file system's group, two on the nodes' cluster security group
        + ("aws_vpc_security_group_ingress_rule",) * 6,
        flagged=("aws_fsx_lustre_file_system", "aws_kms_key"),
    ),
)


@pytest.fixture(scope="module", params=CONFIGS)
def run(request, rehearse):
    result = rehearse(request.param)
    assert result["report"] is not None, f"no report:\n{result['stdout'][-3000:]}\n{result['stderr'][-3000:]}"
    return request.param, result


def test_rehearsal_passes(run):
    _, result = run
    assert result["returncode"] == 0, result["stdout"][-3000:] + result["stderr"][-3000:]
    assert "REHEARSAL PASSED" in result["stdout"]


def test_apply_created_everything_the_emulator_supports(run):
    _, result = run
    for name, stack in result["report"]["stacks"].items():
        assert stack["applied"] > 0, name
        assert stack["applied"] == stack["planned"] - len(stack["skipped"]), name


def test_second_plan_is_empty(run):
    _, result = run
    assert {n: s["drifted"] for n, s in result["report"]["stacks"].items()} == {n: [] for n in result["report"]["stacks"]}


def test_destroy_leaves_nothing(run):
    _, result = run
    assert result["report"]["leftovers"] == []


def test_skipped_resources_are_exactly_the_documented_gaps(run, synth):
    config, result = run
    synthesized = synth(config)
    for name, stack in result["report"]["stacks"].items():
        doc = synthesized.stacks[name]
        expected = {
            f"{kind}.{rid}": emulator_gaps.skip_reason(kind, body)
            for kind, items in doc.get("resource", {}).items()
            for rid, body in items.items()
            if emulator_gaps.skip_reason(kind, body)
        }
        assert {s["address"]: s["reason"] for s in stack["skipped"]} == expected
    assert "Skipped (the emulator cannot create them" in result["stdout"]


def test_production_json_is_untouched_by_the_rehearsal(run, synth):
    config, result = run
    assert result["report"]["production_json_unchanged"] is True
    synthesized = synth(config)
    stacks_dir = result["workdir"] / "cdktf.out" / "stacks"
    for name in result["report"]["stacks"]:
        assert json.loads((stacks_dir / name / "cdk.tf.json").read_text()) == synthesized.stacks[name]
        overrides = sorted(p.name for p in (stacks_dir / name).glob("*_override.tf.json"))
        assert overrides == ["rehearsal_environment_override.tf.json", "rehearsal_gaps_override.tf.json"]


def test_the_emulator_was_stopped(run):
    _, result = run
    url = next(line for line in result["stdout"].splitlines() if "moto serving on" in line).rsplit(" ", 1)[1]
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "moto is still listening"


def test_every_phase_is_timed(run):
    _, result = run
    for stack in result["report"]["stacks"].values():
        assert set(stack["seconds"]) == {"full plan", "apply", "second plan", "destroy"}


def test_bring_your_own_vpc_is_refused_clearly(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.rehearse",
            "--config",
            str(CONFIG_DIR / "existing-vpc.yaml"),
            "--workdir",
            str(tmp_path / "w"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "cannot be rehearsed" in result.stderr


# ---- what each change does -------------------------------------------------------------


def _changes(rehearse, change: Change) -> dict:
    result = rehearse(change.base)
    assert result["changes"] is not None, f"no change report:\n{result['stdout'][-3000:]}\n{result['stderr'][-3000:]}"
    (then,) = [t for t in result["changes"]["changes"] if t.endswith(f"/{change.slug}.yaml")]
    return result["changes"]["changes"][then]


def verdict_of(change: dict) -> dict[str, tuple[str, ...]]:
    records = change["records"]
    found = {
        action: tuple(sorted(r["type"] for r in records if r["action"] == action))
        for action in ("update", "replace", "delete", "create")
    }
    found["flagged"] = tuple(sorted(r["type"] for r in records if r["flagged"]))
    found["not_rehearsed"] = tuple(sorted(u["type"] for u in change["not_rehearsed"]))
    return found


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.slug)
def test_each_change_plans_as_expected(rehearse, change):
    expected = {k: getattr(change, k) for k in ("update", "replace", "delete", "create", "flagged", "not_rehearsed")}
    assert verdict_of(_changes(rehearse, change)) == expected


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.slug)
def test_change_records_have_the_plan_report_shape(rehearse, change):
    for record in _changes(rehearse, change)["records"]:
        assert set(record) == {"stack", "address", "type", "action", "flagged", "reason"}
        assert record["action"] in ("create", "update", "replace", "delete")
        assert record["reason"].startswith(f"{record['stack']}: ")
    records = _changes(rehearse, change)["records"]
    assert [r["flagged"] for r in records] == sorted((r["flagged"] for r in records), reverse=True), "flagged first"


def _reason(rehearse, slug: str, kind: str) -> str:
    change = next(c for c in CHANGES if c.slug == slug)
    (reason,) = [r["reason"] for r in _changes(rehearse, change)["records"] if r["type"] == kind and r["flagged"]]
    return reason


def test_renaming_a_group_says_its_nodes_go_and_how_to_keep_them(rehearse):
    reason = _reason(rehearse, "rename-gpu-group", "aws_eks_node_group")
    assert reason.startswith(
        "demo-cluster: the node group demo-a10g will be DELETED (no longer in the configuration): "
        "its nodes are drained and terminated"
    )
    assert re.search(
        r"The plan creates aws_eks_node_group\.gpu_g5_this_\w+ too: if that is this one renamed, a moved block", reason
    )


def test_a_forced_replacement_names_its_cause_from_the_real_plan(rehearse):
    assert _reason(rehearse, "service-cidr", "aws_eks_cluster") == (
        "demo-cluster: the EKS cluster demo will be REPLACED (forced by a change to "
        "kubernetes_network_config[0].service_ipv4_cidr): every workload in it and its in-cluster state are lost"
    )


def test_switching_fsx_off_warns_that_unexported_data_is_lost_and_there_is_no_backup(rehearse):
    reason = _reason(rehearse, "fsx-off", "aws_fsx_lustre_file_system")
    # p5-training links the file system to S3 (import_path), which FSx cannot back up.
    assert reason.startswith(
        "p5prod-cluster: the FSx for Lustre file system p5prod-fsx-lustre will be DELETED: "
        "data written to /fsx and not exported to S3 is lost; it is linked to S3, which FSx cannot "
        "back up, so the deletion makes no final backup: export it to S3 first"
    )
    assert reason.endswith(rehearse_tool.NOT_ON_THE_EMULATOR)  # moto cannot create the file system
    key = _reason(rehearse, "fsx-off", "aws_kms_key")
    assert key.startswith("p5prod-cluster: the KMS key 'p5prod FSx for Lustre' will be DELETED")


def test_the_change_table_has_a_row_per_change(rehearse):
    for base in sorted({c.base for c in CHANGES}):
        report = rehearse(base)["changes"]
        labels = {then: next(c.what for c in CHANGES if then.endswith(f"/{c.slug}.yaml")) for then in report["changes"]}
        rows = rehearse_tool.change_table(report, labels).splitlines()
        assert rows[0].startswith("| change | updated in place | replaced | deleted | created | flagged |")
        assert [row.split(" | ")[0].lstrip("| ") for row in rows[2:]] == list(labels.values())
        assert "What each change does" in rehearse(base)["stdout"]
        # docs/rehearsal.md's table is these runs' rows: a change that plans differently fails here.
        documented = (ROOT / "docs" / "rehearsal.md").read_text().splitlines()
        assert rows[0] in documented
        missing = [row for row in rows[2:] if row not in documented]
        assert missing == [], "docs/rehearsal.md, 'What each change does', should have:\n" + "\n".join(missing)


def test_make_rehearse_passes_each_then_file(tmp_path):
    if shutil.which("make") is None:
        unavailable("make is not installed")
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    dry = subprocess.run(
        ["make", "-n", "rehearse", "CONFIG=a.yaml", "THEN=b.yaml,c.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert ".venv/bin/python -m tools.rehearse --config a.yaml --then b.yaml --then c.yaml" in dry


def test_a_bad_then_file_is_refused_before_anything_is_applied(tmp_path):
    import sys

    bad = tmp_path / "bad.yaml"
    bad.write_text((CONFIG_DIR / "default.yaml").read_text().replace("max_size: 2\n", "max_size: many\n", 1))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.rehearse",
            "--config",
            str(CONFIG_DIR / "default.yaml"),
            "--then",
            str(bad),
            "--workdir",
            str(tmp_path / "w"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "gpu_node_groups[0].max_size" in result.stderr and "Traceback" not in result.stderr
    assert "moto serving" not in result.stdout
