"""NodeRole: the IAM role of every managed node."""

import json

import pytest
from cdktf import TerraformOutput

from modules import bindings
from modules.node_role import NodeRole, NodeRoleProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import context_for, synth_alone


@pytest.fixture(scope="module")
def spec():
    plan = plan_for("default.yaml")

    def build(scope):
        prerequisite = bindings.IamRole(scope, "prerequisite", assume_role_policy="{}")
        role = NodeRole(scope, "node_role", props=NodeRoleProps(context=context_for(plan)), depends_on=[prerequisite])
        TerraformOutput(scope, "arn", value=role.arn)  # what the node groups receive
        return role

    return synth_alone(build)


def node_role(spec):
    (address,) = [a for a in spec.resources("aws_iam_role") if a.startswith("node_role")]
    return f"aws_iam_role.{address}", spec.resources("aws_iam_role")[address]


def test_only_ec2_instances_can_assume_it(spec):
    _, role = node_role(spec)
    assert json.loads(role["assume_role_policy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ["sts:AssumeRole"]}
    ]
    assert role["name_prefix"] == "demo-node-" and role["depends_on"] == ["aws_iam_role.prerequisite"]


def test_it_holds_exactly_the_three_node_policies(spec):
    """Join the cluster, pull images (pull-only, not ReadOnly), attach ENIs; nothing inline."""
    address, _ = node_role(spec)
    attached = {
        a["policy_arn"] for a in spec.resources("aws_iam_role_policy_attachment").values() if a["role"] == f"${{{address}.name}}"
    }
    assert attached == {
        f"arn:aws:iam::aws:policy/{p}"
        for p in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy")
    }
    assert len(spec.resources("aws_iam_role_policy_attachment")) == 3
    assert "aws_iam_role_policy" not in spec.kinds()
    assert spec.doc["output"]["arn"]["value"] == f"${{{address}.arn}}"
