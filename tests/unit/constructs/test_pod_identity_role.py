"""PodIdentityRole: the role EKS Pod Identity hands one component's service account, from its declared identity.

Two real identities: the CloudWatch agent's (an add-on's: a managed policy, handed over by the
add-on) with a granted statement added, and cluster-autoscaler's (a Helm chart's: inline
statements scoped to this cluster, and an association of its own).
"""

import dataclasses
import json

import pytest
from cdktf import TerraformOutput

from cluster_config.components import amazon_cloudwatch_observability, cluster_autoscaler
from modules import bindings
from modules.pod_identity_role import PodIdentityRole, PodIdentityRoleProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import ACCOUNT_ID, context_for, policy, synth_alone

GRANTED = {"Sid": "ReadTheBucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}
# What the cluster stack passes as the cluster's name: the cluster resource's attribute.
CLUSTER_REFERENCE = "${aws_eks_cluster.control_plane_cluster_D810E0D5.name}"
WRITE_ACTIONS = {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}


@pytest.fixture(scope="module")
def spec():
    context = dataclasses.replace(context_for(plan_for("default.yaml")), cluster_name=CLUSTER_REFERENCE)

    def build(scope):
        agent = bindings.EksAddon(scope, "agent", cluster_name="demo", addon_name="eks-pod-identity-agent")
        addon_role = PodIdentityRole(
            scope,
            "cloudwatch_agent_role",
            props=PodIdentityRoleProps(
                context=context, identity=amazon_cloudwatch_observability.IDENTITY, associate=False, granted=(GRANTED,)
            ),
        )
        PodIdentityRole(
            scope,
            "autoscaler_identity",
            props=PodIdentityRoleProps(context=context, identity=cluster_autoscaler.IDENTITY, associate=True),
            depends_on=[agent],
        )
        TerraformOutput(scope, "arn", value=addon_role.arn)  # what the add-on's association receives
        return addon_role

    return synth_alone(build)


def role(spec, construct_id):
    (key,) = [k for k in spec.resources("aws_iam_role") if k.startswith(construct_id)]
    return key, spec.resources("aws_iam_role")[key]


def inline(spec, construct_id):
    key, _ = role(spec, construct_id)
    (found,) = [p for p in spec.resources("aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{key}.id}}"]
    return found


def test_trusted_by_pod_identity_alone_with_session_tags(spec):
    for construct_id in ("cloudwatch_agent_role", "autoscaler_identity"):
        _, found = role(spec, construct_id)
        assert json.loads(found["assume_role_policy"])["Statement"] == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ]


def test_each_role_keeps_the_address_and_name_it_has_in_users_state(spec):
    """The construct id is the identity's; the add-on's role is named from the plan, the
    associated one from the cluster resource, as each was before one loop made them both."""
    assert sorted(spec.resources("aws_iam_role")) == ["autoscaler_identity_role_FA9010D1", "cloudwatch_agent_role_00D3F63B"]
    assert role(spec, "cloudwatch_agent_role")[1]["name_prefix"] == "demo-cloudwatch-"
    assert role(spec, "autoscaler_identity")[1]["name_prefix"] == f"{CLUSTER_REFERENCE}-autoscaler-"


def test_managed_policies_are_attached_and_grants_become_the_inline_policy(spec):
    key, _ = role(spec, "cloudwatch_agent_role")
    attachment = spec.resource("aws_iam_role_policy_attachment")
    assert attachment == {
        "role": f"${{aws_iam_role.{key}.name}}",
        "policy_arn": "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy",
    }
    granted = inline(spec, "cloudwatch_agent_role")
    assert granted["name"] == "access" and policy(granted["policy"]) == {"ReadTheBucket": GRANTED}


def test_an_add_ons_role_has_no_association_of_its_own_and_hands_out_its_arn(spec):
    key, _ = role(spec, "cloudwatch_agent_role")
    assert spec.doc["output"]["arn"]["value"] == f"${{aws_iam_role.{key}.arn}}"
    (association,) = spec.resources("aws_eks_pod_identity_association").values()
    assert association["role_arn"] != f"${{aws_iam_role.{key}.arn}}"


def test_the_autoscaler_may_scale_only_auto_scaling_groups_eks_tagged_as_this_clusters(spec):
    statements = policy(inline(spec, "autoscaler_identity")["policy"])
    scale = statements["ScaleOwnGroups"]
    assert set(scale["Action"]) == WRITE_ACTIONS
    assert scale["Resource"] == f"arn:aws:autoscaling:us-west-2:{ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/*"
    assert scale["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{CLUSTER_REFERENCE}": "owned"}}


def test_what_the_autoscaler_may_do_everywhere_is_read_only(spec):
    statements = policy(inline(spec, "autoscaler_identity")["policy"])
    assert set(statements) == {"Discover", "ReadOwnNodeGroups", "ScaleOwnGroups"}
    for sid, statement in statements.items():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Resource"] == "*" or "Condition" not in statement:
            assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in actions), sid


def test_the_autoscaler_reads_only_this_clusters_node_groups(spec):
    # DescribeNodegroup tells it the labels and taints of a group that is at zero nodes.
    read = policy(inline(spec, "autoscaler_identity")["policy"])["ReadOwnNodeGroups"]
    assert read["Action"] == "eks:DescribeNodegroup"
    assert read["Resource"] == f"arn:aws:eks:us-west-2:{ACCOUNT_ID}:nodegroup/{CLUSTER_REFERENCE}/*/*"


def test_the_charts_service_account_gets_the_role_once_the_agent_exists(spec):
    key, _ = role(spec, "autoscaler_identity")
    spec.expect_resource(
        "aws_eks_pod_identity_association",
        {
            "cluster_name": CLUSTER_REFERENCE,
            "namespace": "kube-system",
            "service_account": "cluster-autoscaler",
            "role_arn": f"${{aws_iam_role.{key}.arn}}",
            "depends_on": [spec.only_address("aws_eks_addon")],
        },
    )
    assert inline(spec, "autoscaler_identity")["name"] == "cluster-autoscaler"  # named after its only user
