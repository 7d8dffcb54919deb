"""ControlPlane: the EKS cluster with its secrets key, log group, IAM role, access entries and OIDC."""

import json

import pytest

from modules.control_plane import ControlPlane, ControlPlaneProps
from tests.conftest import DELETE, plan_for
from tests.unit.constructs.conftest import policy, synth_alone

SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"]
# The cluster stack's construct id, so the addresses below are the ones in users' state.
ID = "control_plane"
KEY, ALIAS, LOG_GROUP, CLUSTER = (
    "control_plane_key_5B5DFEBB",
    "control_plane_key_alias_C75472D1",
    "control_plane_logs_B20A462D",
    "control_plane_cluster_D810E0D5",
)
ALIAS_BEFORE = "control_plane_key_alias_78AF9EE2"  # where the alias was before RotatingKey


def control_plane(plan):
    return synth_alone(
        lambda scope: ControlPlane(scope, ID, props=ControlPlaneProps(plan=plan.control_plane, subnet_ids=SUBNETS))
    )


@pytest.fixture(scope="module")
def public():
    return control_plane(plan_for("default.yaml"))  # public endpoint for 203.0.113.0/24, no extra admins


@pytest.fixture(scope="module")
def private():
    return control_plane(plan_for("p5-efa.yaml"))  # private endpoint, one admin role


@pytest.fixture(scope="module")
def quiet(config_variant):
    """A file that says nothing about the endpoint, and sets its own service range."""
    path = config_variant(
        edit={
            "cluster.endpoint_public_access": DELETE,
            "cluster.endpoint_public_access_cidrs": DELETE,
            "cluster.service_ipv4_cidr": "172.20.0.0/16",
        }
    )
    return control_plane(plan_for(path))


def cluster(spec):
    return spec.resources("aws_eks_cluster")[CLUSTER]


def test_the_private_endpoint_is_always_on_and_the_public_one_only_for_listed_cidrs(public):
    public.expect_resource(
        "aws_eks_cluster",
        {
            "name": "demo",
            "version": "1.35",
            "vpc_config": {
                "endpoint_private_access": True,
                "endpoint_public_access": True,
                "public_access_cidrs": ["203.0.113.0/24"],
                "subnet_ids": SUBNETS,
            },
        },
    )


def test_a_private_cluster_lists_no_public_cidrs(private):
    vpc_config = cluster(private)["vpc_config"]
    assert vpc_config["endpoint_private_access"] is True and vpc_config["endpoint_public_access"] is False
    assert "public_access_cidrs" not in vpc_config


def test_a_file_silent_about_the_endpoint_gets_a_private_cluster(quiet):
    """The public endpoint is opt-in: leaving the key out must never expose the API."""
    vpc_config = cluster(quiet)["vpc_config"]
    assert vpc_config["endpoint_public_access"] is False and "public_access_cidrs" not in vpc_config


def test_services_get_the_range_the_user_chose_and_eks_picks_otherwise(quiet, public):
    assert cluster(quiet)["kubernetes_network_config"] == {"service_ipv4_cidr": "172.20.0.0/16"}
    assert "kubernetes_network_config" not in cluster(public)


def test_secrets_are_envelope_encrypted_with_a_rotating_key_of_the_clusters_own(public):
    assert cluster(public)["encryption_config"] == {
        "resources": ["secrets"],
        "provider": {"key_arn": f"${{aws_kms_key.{KEY}.arn}}"},
    }
    public.expect_resource("aws_kms_key", {"enable_key_rotation": True, "deletion_window_in_days": 30})


def test_every_control_plane_log_goes_to_a_group_made_first_with_retention(public):
    assert cluster(public)["enabled_cluster_log_types"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    public.expect_resource(
        "aws_cloudwatch_log_group",
        {
            "name": "/aws/eks/demo/cluster",
            "retention_in_days": 90,
            "kms_key_id": f"${{aws_kms_key.{KEY}.arn}}",
        },
    )
    # Made before the cluster, or EKS creates one itself that keeps logs forever, unencrypted.
    assert f"aws_cloudwatch_log_group.{LOG_GROUP}" in cluster(public)["depends_on"]


def test_the_cluster_role_is_for_eks_and_may_use_only_this_key(public):
    role = public.only_address("aws_iam_role")
    trust = json.loads(public.resource("aws_iam_role")["assume_role_policy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
    ]
    (statement,) = policy(public.resource("aws_iam_role_policy")["policy"]).values()
    assert statement == {
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
        "Resource": f"${{aws_kms_key.{KEY}.arn}}",
    }
    attachment = public.resource("aws_iam_role_policy_attachment")
    assert (
        attachment["policy_arn"].endswith(":iam::aws:policy/AmazonEKSClusterPolicy") and attachment["role"] == f"${{{role}.name}}"
    )
    assert cluster(public)["role_arn"] == f"${{{role}.arn}}"


def test_the_role_can_use_the_key_before_the_cluster_asks(public):
    """EKS checks the key when the cluster is created; the grant and the managed policy must be there."""
    depends_on = cluster(public)["depends_on"]
    assert public.only_address("aws_iam_role_policy") in depends_on
    assert public.only_address("aws_iam_role_policy_attachment") in depends_on


def test_authentication_is_access_entries_only(public):
    assert cluster(public)["access_config"] == {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True}


def test_listed_admins_get_cluster_admin_through_access_entries(private):
    arn = "arn:aws:iam::111122223333:role/platform-admin"
    private.expect_resource(
        "aws_eks_access_entry", {"principal_arn": arn, "type": "STANDARD", "cluster_name": f"${{aws_eks_cluster.{CLUSTER}.name}}"}
    )
    private.expect_resource(
        "aws_eks_access_policy_association",
        {
            "principal_arn": arn,
            "policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "access_scope": {"type": "cluster"},
            "depends_on": [private.only_address("aws_eks_access_entry")],
        },
    )


def test_no_access_entries_beyond_the_creator_unless_listed(public):
    assert not public.resources("aws_eks_access_entry") and not public.resources("aws_eks_access_policy_association")


def test_an_oidc_provider_trusts_the_clusters_issuer_for_sts(public):
    public.expect_resource(
        "aws_iam_openid_connect_provider",
        {
            "client_id_list": ["sts.amazonaws.com"],
            "url": f"${{aws_eks_cluster.{CLUSTER}.identity[0].oidc[0].issuer}}",
        },
    )


def test_the_cluster_and_its_key_keep_their_terraform_addresses(public):
    """A new address is a destroy and a create: for the key that encrypts the secrets, and for the
    cluster itself, that would replace the cluster."""
    assert list(public.resources("aws_eks_cluster")) == [CLUSTER]
    assert list(public.resources("aws_kms_key")) == [KEY]
    assert list(public.resources("aws_cloudwatch_log_group")) == [LOG_GROUP]
    # The alias moved below the key's construct; the moved block carries its state there.
    assert list(public.resources("aws_kms_alias")) == [ALIAS]
    assert public.doc["moved"] == [{"from": f"aws_kms_alias.{ALIAS_BEFORE}", "to": f"aws_kms_alias.{ALIAS}"}]
