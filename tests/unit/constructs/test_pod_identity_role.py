"""PodIdentityRole: a role only EKS Pod Identity can assume."""

import json

import pytest
from cdktf import TerraformOutput

from modules.pod_identity_role import PodIdentityRole, PodIdentityRoleProps
from tests.unit.constructs.conftest import policy, synth_alone

STATEMENT = {"Sid": "ReadTheBucket", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}


@pytest.fixture(scope="module")
def spec():
    def build(scope):
        PodIdentityRole(scope, "agent", props=PodIdentityRoleProps(
            name_prefix="demo-cloudwatch-", partition="aws", managed_policies=("CloudWatchAgentServerPolicy",)))
        driver = PodIdentityRole(scope, "driver", props=PodIdentityRoleProps(
            name_prefix="demo-mountpoint-", partition="aws-us-gov", statements=(STATEMENT,)))
        TerraformOutput(scope, "arn", value=driver.arn)  # what an add-on's association receives
        return driver

    return synth_alone(build)


def roles(spec):
    return {r["name_prefix"]: (key, r) for key, r in spec.resources("aws_iam_role").items()}


def test_trusted_by_pod_identity_alone_with_session_tags(spec):
    for _, role in roles(spec).values():
        assert json.loads(role["assume_role_policy"])["Statement"] == [{
            "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]


def test_inline_statements_become_one_policy_and_nothing_is_attached(spec):
    key, _ = roles(spec)["demo-mountpoint-"]
    inline = spec.resource("aws_iam_role_policy")
    assert inline["role"] == f"${{aws_iam_role.{key}.id}}"
    assert policy(inline["policy"]) == {"ReadTheBucket": STATEMENT}


def test_managed_policies_are_attached_in_the_roles_partition(spec):
    key, _ = roles(spec)["demo-cloudwatch-"]
    attachment = spec.resource("aws_iam_role_policy_attachment")
    assert attachment == {"role": f"${{aws_iam_role.{key}.name}}", "policy_arn": "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"}


def test_the_arn_it_hands_out_is_its_roles(spec):
    key, _ = roles(spec)["demo-mountpoint-"]
    assert spec.doc["output"]["arn"]["value"] == f"${{aws_iam_role.{key}.arn}}"
