"""tools/plan_guard.py: what a plan destroys, in words, read from `terraform show -json`.

The plans here are written in the shape the Terraform docs give ("JSON Output Format":
resource_changes[].change.actions, before/after, replace_paths, action_reason); the
rehearsal (tests/integration/test_rehearsal.py) runs the guard on real plans.
"""

from __future__ import annotations

import pytest

from tools import plan_guard
from tools.plan_guard import PlanFormatError

CLUSTER = "aws_eks_cluster.control_plane_cluster_D810E0D5"


def entry(kind: str, name: str, actions: list[str], before=None, after=None, mode="managed", **extra) -> dict:
    return {
        "address": f"{kind}.{name}",
        "mode": mode,
        "type": kind,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after, **extra.pop("change", {})},
        **extra,
    }


def plan(*entries, **more) -> dict:
    return {"format_version": "1.2", "resource_changes": list(entries), **more}


def judge(*entries, stack="demo-cluster", **more):
    return plan_guard.verdicts(stack, plan(*entries, **more))


def one(*entries, **more):
    (verdict,) = judge(*entries, **more)
    return verdict


# ---- actions, as the docs list them ---------------------------------------------------


@pytest.mark.parametrize(
    "actions, action",
    [
        (["create"], "create"),
        (["update"], "update"),
        (["delete"], "delete"),
        (["delete", "create"], "replace"),  # destroy, then create
        (["create", "delete"], "replace"),  # create_before_destroy
        (["no-op"], None),
        (["read"], None),
    ],
)
def test_every_documented_action_list_has_its_action(actions, action):
    assert plan_guard.action_of(actions) == action


def test_an_action_list_the_docs_do_not_name_is_refused_not_passed():
    with pytest.raises(PlanFormatError, match=r"unknown actions \['forget'\]"):
        judge(entry("aws_eks_cluster", "c", ["forget"], before={"name": "demo"}))


def test_a_plan_of_another_major_format_version_is_refused():
    with pytest.raises(PlanFormatError, match="format_version 2.0"):
        plan_guard.verdicts("demo-cluster", {"format_version": "2.0", "resource_changes": []})
    with pytest.raises(PlanFormatError, match=r"\(missing\)"):
        plan_guard.verdicts("demo-cluster", {"resource_changes": []})


def test_no_ops_reads_and_data_sources_are_not_changes():
    assert (
        judge(
            entry("aws_eks_cluster", "c", ["no-op"], {"name": "demo"}, {"name": "demo"}),
            entry("aws_iam_policy_document", "p", ["read"], mode="data"),
            entry("aws_availability_zones", "z", ["delete", "create"], mode="data"),
        )
        == []
    )


# ---- what is flagged -------------------------------------------------------------------


def test_the_issue_example_word_for_word():
    verdict = one(
        entry(
            "aws_eks_cluster",
            "control_plane_cluster_D810E0D5",
            ["delete", "create"],
            before={"name": "demo"},
            after={"name": "demo"},
        )
    )
    assert verdict.as_dict() == {
        "stack": "demo-cluster",
        "address": CLUSTER,
        "type": "aws_eks_cluster",
        "action": "replace",
        "flagged": True,
        "reason": "demo-cluster: the EKS cluster demo will be REPLACED: every workload in it and its in-cluster state are lost",
    }


GUARDED = [
    ("aws_eks_cluster", {"name": "demo"}, "the EKS cluster demo"),
    ("aws_vpc", {"cidr_block": "10.0.0.0/16"}, "the VPC 10.0.0.0/16"),
    ("aws_subnet", {"cidr_block": "10.0.0.0/19", "availability_zone": "us-west-2a"}, "the subnet 10.0.0.0/19 in us-west-2a"),
    (
        "aws_fsx_lustre_file_system",
        {"id": "fs-0123", "deployment_type": "PERSISTENT_2", "tags": {"Name": "p5prod-fsx-lustre"}},
        "the FSx for Lustre file system p5prod-fsx-lustre",
    ),
    (
        "aws_s3_bucket",
        {"bucket": "demo-checkpoints-1-us-west-2", "force_destroy": False},
        "the checkpoint bucket demo-checkpoints-1-us-west-2",
    ),
    (
        "aws_kms_key",
        {"description": "demo training checkpoints", "deletion_window_in_days": 30, "key_id": "k-1"},
        "the KMS key 'demo training checkpoints'",
    ),
    ("aws_cloudwatch_log_group", {"name": "/aws/eks/demo/cluster"}, "the log group /aws/eks/demo/cluster"),
    ("aws_eks_node_group", {"node_group_name": "demo-a10g"}, "the node group demo-a10g"),
    (
        "aws_launch_template",
        {"name": "demo-h200-block-1", "instance_market_options": [{"market_type": "capacity-block"}]},
        "the launch template demo-h200-block-1 of a Capacity Block group",
    ),
]


@pytest.mark.parametrize("kind, values, noun", GUARDED, ids=[g[0] for g in GUARDED])
@pytest.mark.parametrize(
    "actions, verb", [(["delete"], "DELETED"), (["delete", "create"], "REPLACED"), (["create", "delete"], "REPLACED")]
)
def test_replacing_or_deleting_what_holds_data_capacity_or_identity_is_flagged(kind, values, noun, actions, verb):
    verdict = one(entry(kind, "x", actions, before=values, after=None if actions == ["delete"] else values))
    assert verdict.flagged
    assert verdict.reason.startswith(f"demo-cluster: {noun} will be {verb}: ")


@pytest.mark.parametrize("kind, values, noun", GUARDED, ids=[g[0] for g in GUARDED])
def test_creating_or_updating_them_is_not_flagged(kind, values, noun):
    created, updated = judge(entry(kind, "new", ["create"], after=values), entry(kind, "old", ["update"], values, values))
    assert (created.action, created.flagged, updated.action, updated.flagged) == ("create", False, "update", False)
    assert created.reason == f"demo-cluster: {noun} will be created"


@pytest.mark.parametrize("kind", ["aws_security_group", "aws_iam_role", "aws_eks_addon", "aws_kms_alias", "helm_release"])
def test_replacing_what_holds_nothing_is_not_flagged(kind):
    verdict = one(entry(kind, "x", ["delete", "create"], {"name": "a"}, {"name": "b"}))
    assert (verdict.action, verdict.flagged) == ("replace", False)
    assert verdict.reason == f"demo-cluster: {kind} {kind}.x will be REPLACED"


def test_an_ordinary_launch_template_is_replaced_freely():
    verdict = one(entry("aws_launch_template", "t", ["delete", "create"], {"name": "demo-a10g-1"}, {"name": "demo-a10g-2"}))
    assert (verdict.action, verdict.flagged) == ("replace", False)


def test_the_capacity_block_advice_is_desired_size_zero():
    verdict = one(
        entry(
            "aws_launch_template",
            "t",
            ["delete"],
            before={"name": "cb", "instance_market_options": [{"market_type": "capacity-block"}]},
        )
    )
    assert "desired size 0" in verdict.reason


# ---- why, where the plan says --------------------------------------------------------


def test_the_replacement_cause_comes_from_replace_paths():
    verdict = one(
        entry(
            "aws_eks_cluster",
            "c",
            ["delete", "create"],
            {"name": "demo"},
            {"name": "demo"},
            change={"replace_paths": [["kubernetes_network_config", 0, "service_ipv4_cidr"], ["name"]]},
        )
    )
    assert verdict.reason.startswith(
        "demo-cluster: the EKS cluster demo will be REPLACED (forced by a change to "
        "kubernetes_network_config[0].service_ipv4_cidr, name): every workload"
    )


def test_a_tainted_or_requested_replacement_says_so():
    tainted = one(
        entry("aws_vpc", "v", ["delete", "create"], {"cidr_block": "10.0.0.0/16"}, {}, action_reason="replace_because_tainted")
    )
    asked = one(
        entry("aws_vpc", "v", ["delete", "create"], {"cidr_block": "10.0.0.0/16"}, {}, action_reason="replace_by_request")
    )
    assert "REPLACED (it is tainted):" in tainted.reason and "REPLACED (-replace asked for it):" in asked.reason


def test_a_delete_beside_a_create_of_the_same_type_is_named_as_a_possible_rename():
    created, deleted = sorted(
        judge(
            entry(
                "aws_eks_node_group",
                "gpu_a10g_this_5FA67DC6",
                ["delete"],
                before={"node_group_name": "demo-a10g"},
                action_reason="delete_because_no_resource_config",
            ),
            entry("aws_eks_node_group", "gpu_g5_this_1", ["create"], after={"node_group_name": "demo-g5"}),
        ),
        key=lambda v: v.action,
    )
    assert deleted.flagged and not created.flagged
    assert deleted.reason.startswith(
        "demo-cluster: the node group demo-a10g will be DELETED (no longer in the configuration): "
        "its nodes are drained and terminated"
    )
    assert "creates aws_eks_node_group.gpu_g5_this_1 too: if that is this one renamed, a moved block" in deleted.reason


def test_an_update_names_the_attributes_it_changes():
    verdict = one(
        entry(
            "aws_eks_node_group",
            "g",
            ["update"],
            {"node_group_name": "demo-a10g", "scaling_config": [{"max_size": 2}], "tags": {}},
            {"node_group_name": "demo-a10g", "scaling_config": [{"max_size": 4}], "tags": {}},
        )
    )
    assert verdict.reason == "demo-cluster: the node group demo-a10g will be updated in place (scaling_config)"


def test_an_unset_list_shown_as_null_on_one_side_and_empty_on_the_other_is_no_change():
    # As in a real plan of a version bump: vpc_config's security_group_ids is null before, [] after.
    verdict = one(
        entry(
            "aws_eks_cluster",
            "c",
            ["update"],
            {"name": "demo", "version": "1.34", "vpc_config": [{"security_group_ids": None, "subnet_ids": ["a"]}]},
            {"name": "demo", "version": "1.35", "vpc_config": [{"security_group_ids": [], "subnet_ids": ["a"]}]},
            change={"after_unknown": {"vpc_config": [{}], "id": False}},
        )
    )
    assert verdict.reason == "demo-cluster: the EKS cluster demo will be updated in place (version)"


def test_an_attribute_known_only_after_apply_counts_as_changed_and_one_marked_known_does_not():
    # As in a real plan after the cluster's replacement: the launch template's new version is unknown.
    verdict = one(
        entry(
            "aws_eks_node_group",
            "g",
            ["update"],
            {"node_group_name": "n", "instance_types": ["g5.12xlarge"], "launch_template": [{"id": "lt-1", "version": "1"}]},
            {"node_group_name": "n", "instance_types": ["g5.12xlarge"], "launch_template": [{"id": "lt-1"}]},
            change={"after_unknown": {"instance_types": [False], "launch_template": [{"version": True}]}},
        )
    )
    assert verdict.reason == "demo-cluster: the node group n will be updated in place (launch_template)"


# ---- removing FSx ----------------------------------------------------------------------


def fsx(deployment: str, **values) -> dict:
    return entry(
        "aws_fsx_lustre_file_system",
        "lustre_this",
        ["delete"],
        before={"id": "fs-0abc", "deployment_type": deployment, "tags": {"Name": "p5prod-fsx-lustre"}, **values},
    )


LINK = entry("aws_fsx_data_repository_association", "lustre_s3_link", ["delete"], before={"file_system_id": "fs-0abc"})
EXPORT = "aws fsx create-data-repository-task --file-system-id fs-0abc --type EXPORT_TO_REPOSITORY"


def fsx_reason(*entries, **more) -> str:
    return next(v.reason for v in judge(*entries, **more) if v.type == "aws_fsx_lustre_file_system")


def test_removing_fsx_says_unexported_data_is_lost():
    assert ": data written to /fsx and not exported to S3 is lost; " in fsx_reason(fsx("PERSISTENT_2", skip_final_backup=True))


def test_persistent_fsx_unlinked_gets_no_final_backup_by_default_so_take_one():
    reason = fsx_reason(fsx("PERSISTENT_2", skip_final_backup=True))
    assert "makes no final backup (skip_final_backup is true, the provider's default)" in reason
    assert "aws fsx create-backup --file-system-id fs-0abc" in reason


def test_persistent_fsx_with_skip_final_backup_false_is_backed_up_as_it_goes():
    assert "FSx takes a final backup as it deletes it" in fsx_reason(fsx("PERSISTENT_2", skip_final_backup=False))


@pytest.mark.parametrize(
    "link",
    [
        {"resource_changes": [LINK]},
        {
            "prior_state": {
                "values": {
                    "root_module": {
                        "resources": [
                            {
                                "address": "aws_fsx_data_repository_association.lustre_s3_link",
                                "type": "aws_fsx_data_repository_association",
                            }
                        ]
                    }
                }
            }
        },
    ],
    ids=["association-deleted-too", "association-in-state"],
)
def test_persistent_fsx_linked_to_s3_cannot_be_backed_up_so_export_first(link):
    entries = [fsx("PERSISTENT_2", skip_final_backup=True), *link.get("resource_changes", [])]
    reason = fsx_reason(*entries, **{k: v for k, v in link.items() if k != "resource_changes"})
    assert "linked to S3, which FSx cannot back up, so the deletion makes no final backup" in reason
    assert EXPORT in reason and "create-backup" not in reason


def test_scratch_fsx_has_no_backups_at_all():
    unlinked = fsx_reason(fsx("SCRATCH_2", skip_final_backup=True))
    linked = fsx_reason(fsx("SCRATCH_2", skip_final_backup=True, import_path="s3://bucket/prefix"))
    assert "FSx keeps no backups of a scratch file system" in unlinked and "copy what you need off /fsx" in unlinked
    assert "FSx keeps no backups of a scratch file system" in linked and EXPORT in linked


def test_a_replaced_file_system_loses_its_data_too():
    verdict = one(
        entry(
            "aws_fsx_lustre_file_system",
            "l",
            ["delete", "create"],
            {"id": "fs-0abc", "deployment_type": "PERSISTENT_2", "skip_final_backup": True, "tags": {"Name": "x"}},
            {"deployment_type": "PERSISTENT_2"},
            change={"replace_paths": [["storage_capacity"]]},
        )
    )
    assert verdict.flagged and "REPLACED (forced by a change to storage_capacity): data written to /fsx" in verdict.reason


# ---- order, allow lists, rendering ----------------------------------------------------


def test_flagged_changes_come_first_and_the_rest_keep_plan_order():
    records = judge(
        entry("aws_security_group", "a", ["create"], after={}),
        entry("aws_vpc", "v", ["delete"], before={"cidr_block": "10.0.0.0/16"}),
        entry("aws_iam_role", "b", ["update"], {"name": "x"}, {"name": "y"}),
        entry("aws_eks_cluster", "c", ["delete"], before={"name": "demo"}),
    )
    assert [(r.address, r.flagged) for r in records] == [
        ("aws_vpc.v", True),
        ("aws_eks_cluster.c", True),
        ("aws_security_group.a", False),
        ("aws_iam_role.b", False),
    ]


def test_the_allow_list_must_name_every_flagged_address():
    records = judge(
        entry("aws_vpc", "v", ["delete"], before={}),
        entry("aws_eks_cluster", "c", ["delete"], before={}),
        entry("aws_iam_role", "r", ["delete"], before={}),
    )
    assert [v.address for v in plan_guard.not_allowed(records, set())] == ["aws_vpc.v", "aws_eks_cluster.c"]
    assert [v.address for v in plan_guard.not_allowed(records, {"aws_vpc.v"})] == ["aws_eks_cluster.c"]
    assert plan_guard.not_allowed(records, plan_guard.allow_list("aws_vpc.v, aws_eks_cluster.c")) == []


def test_allow_list_takes_commas_or_spaces_and_nothing():
    assert plan_guard.allow_list(" a.b,c.d  e.f,,") == {"a.b", "c.d", "e.f"}
    assert plan_guard.allow_list(None) == plan_guard.allow_list("") == set()


def test_render_puts_flagged_changes_first_with_their_address_and_reason():
    lines = plan_guard.render(
        judge(
            entry("aws_security_group", "s", ["delete", "create"], {}, {}),
            entry("aws_eks_cluster", "c", ["delete"], before={"name": "demo"}),
        )
    )
    assert lines[0] == "1 change(s) replace or delete something that holds data, capacity or identity:"
    assert lines[1].startswith("  !! aws_eks_cluster.c\n     demo-cluster: the EKS cluster demo will be DELETED")
    assert lines[2] == "Other changes: 1 to replace"
    assert plan_guard.render([]) == ["No changes."]
