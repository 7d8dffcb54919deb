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
