"""The rehearsal's gap list skips exactly the resources moto cannot make, and no other."""

from __future__ import annotations

import pytest

from tools import emulator_gaps

RULE_KINDS = ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")


@pytest.fixture(scope="module")
def cluster(synth):
    return synth("p5-training.yaml").stack("cluster")


def test_every_rule_on_or_to_the_cluster_security_group_is_skipped_and_no_other(cluster):
    """moto's EKS cluster has no cluster security group; the EFA and the Lustre group's own rules still apply."""
    resources = cluster["resource"]
    touches_cluster_group = set()
    skipped = set()
    for kind in RULE_KINDS:
        for key, body in resources.get(kind, {}).items():
            if "cluster_security_group_id" in body["security_group_id"] + body.get("referenced_security_group_id", ""):
                touches_cluster_group.add(f"{kind}.{key}")
            if emulator_gaps.skip_reason(kind, body):
                skipped.add(f"{kind}.{key}")
    # The Lustre rules from and to the nodes (2 port ranges x ingress, egress, the nodes' own ingress).
    assert len(touches_cluster_group) == 6
    assert skipped == touches_cluster_group
    applied = {f"{kind}.{key}" for kind in RULE_KINDS for key in resources.get(kind, {})} - skipped
    assert applied and all("lustre" in a or "efa" in a for a in applied)


def test_the_add_on_version_lookups_are_not_read_and_the_add_ons_read_a_placeholder(synth, tmp_path):
    """moto cannot answer DescribeAddonVersions: the lookups get count = 0 and the (skipped)
    add-ons read the placeholder instead of an instance that does not exist."""
    from tools import rehearse

    doc = synth("default.yaml").stack("cluster")
    skipped, unread = rehearse.write_gap_overrides(doc, tmp_path)
    overrides = __import__("json").loads((tmp_path / "rehearsal_gaps_override.tf.json").read_text())
    assert len(unread) == 7 and {u["reason"] for u in unread} == {emulator_gaps.UNREAD_DATA["aws_eks_addon_version"]}
    assert overrides["data"]["aws_eks_addon_version"] == {u["address"].split(".")[2]: {"count": 0} for u in unread}
    (addon,) = [body for key, body in overrides["resource"]["aws_eks_addon"].items() if "vpc_cni" in key]
    assert addon["count"] == 0
    assert addon["addon_version"].startswith("${try(data.aws_eks_addon_version.") and addon["addon_version"].endswith(
        "[0].version, null)}"
    )
    # Before the full plan: only the lookups, and the add-ons still planned (no count).
    rehearse.write_gap_overrides(doc, tmp_path, only_unread=True)
    first = __import__("json").loads((tmp_path / "rehearsal_gaps_override.tf.json").read_text())
    assert first["data"] == overrides["data"]
    assert all("count" not in body for items in first["resource"].values() for body in items.values())
    assert set(first["resource"]) == {"aws_eks_addon"}


def test_a_minor_bump_updates_every_add_on_in_place_judged_from_the_synth(synth, config_variant):
    from tools import rehearse

    before = synth("default.yaml").stack("cluster")
    after = synth(config_variant(edit={"kubernetes_version": "1.36"})).stack("cluster")
    judged, unknown = rehearse.emulator_blind_spots("demo-cluster", before, after)
    assert unknown == []
    assert sorted((v.type, v.action) for v in judged) == [("aws_eks_addon", "update")] * 7
    assert all(v.reason.endswith(rehearse.NOT_ON_THE_EMULATOR) for v in judged)


def test_an_add_on_that_reads_a_replaced_cluster_is_still_not_rehearsed(synth, config_variant):
    from tools import rehearse

    before = synth("default.yaml").stack("cluster")
    after = synth(config_variant(edit={"kubernetes_version": "1.36"})).stack("cluster")
    (cluster,) = [f"aws_eks_cluster.{k}" for k in before["resource"]["aws_eks_cluster"]]
    judged, unknown = rehearse.emulator_blind_spots("demo-cluster", before, after, replaced={cluster})
    assert judged == [] and sorted(u["type"] for u in unknown) == (
        ["aws_eks_addon"] * 7 + ["aws_eks_pod_identity_association"] * 3 + ["aws_placement_group"]
    )


def test_a_stack_with_no_unread_lookup_gets_no_override_before_its_full_plan(synth, tmp_path):
    from tools import rehearse

    assert rehearse.write_gap_overrides(synth("default.yaml").stack("network"), tmp_path, only_unread=True) == ([], [])
    assert not (tmp_path / "rehearsal_gaps_override.tf.json").exists()
