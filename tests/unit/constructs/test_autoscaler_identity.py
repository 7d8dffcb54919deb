"""AutoscalerIdentity: cluster-autoscaler's AWS permissions, handed over through EKS Pod Identity."""

import json

import pytest

from modules import bindings
from modules.autoscaler_identity import AutoscalerIdentity, AutoscalerIdentityProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import ACCOUNT_ID, policy, synth_alone

WRITE_ACTIONS = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}


@pytest.fixture(scope="module")
def spec():
    plan = plan_for("default.yaml")
    identity = plan.autoscaler_identity

    def build(scope):
        # The association must wait for the Pod Identity agent; the cluster stack passes the add-on.
        agent = bindings.EksAddon(scope, "agent", cluster_name=plan.name, addon_name="eks-pod-identity-agent")
        return AutoscalerIdentity(scope, "autoscaler_identity", props=AutoscalerIdentityProps(
            cluster_name=plan.name, namespace=identity.namespace, service_account=identity.service_account,
            region=plan.region, account_id=ACCOUNT_ID, partition=plan.partition,
        ), depends_on=[agent])

    return synth_alone(build)


@pytest.fixture(scope="module")
def statements(spec):
    return policy(spec.resource("aws_iam_role_policy")["policy"])


def test_only_eks_pod_identity_can_assume_the_role(spec):
    trust = json.loads(spec.resource("aws_iam_role")["assume_role_policy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
                                   "Action": ["sts:AssumeRole", "sts:TagSession"]}]


def test_it_may_scale_only_auto_scaling_groups_eks_tagged_as_this_clusters(statements):
    scale = statements["ScaleOwnGroups"]
    assert set(scale["Action"]) == WRITE_ACTIONS
    assert scale["Resource"] == f"arn:aws:autoscaling:us-west-2:{ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/*"
    assert scale["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/demo": "owned"}}


def test_what_it_may_do_everywhere_is_read_only(statements):
    assert set(statements) == {"Discover", "ReadOwnNodeGroups", "ScaleOwnGroups"}
    for sid, statement in statements.items():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Resource"] == "*" or "Condition" not in statement:
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in actions), sid


def test_it_reads_only_this_clusters_node_groups(statements):
    # DescribeNodegroup tells it the labels and taints of a group that is at zero nodes.
    assert statements["ReadOwnNodeGroups"]["Action"] == "eks:DescribeNodegroup"
    assert statements["ReadOwnNodeGroups"]["Resource"] == f"arn:aws:eks:us-west-2:{ACCOUNT_ID}:nodegroup/demo/*/*"


def test_the_charts_service_account_gets_the_role_once_the_agent_exists(spec):
    role = spec.only_address("aws_iam_role")
    spec.expect_resource("aws_eks_pod_identity_association", {
        "cluster_name": "demo", "namespace": "kube-system", "service_account": "cluster-autoscaler",
        "role_arn": f"${{{role}.arn}}", "depends_on": [spec.only_address("aws_eks_addon")],
    })
    assert spec.resource("aws_iam_role_policy")["role"] == f"${{{role}.id}}"
