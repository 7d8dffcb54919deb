"""RotatingKey: a KMS key that rotates, with its alias, that keeps the addresses users' state has."""

import pytest
from constructs import Construct

from modules import bindings
from modules.rotating_key import RotatingKey, RotatingKeyProps, logical_id
from tests.conftest import plan_for
from tests.unit.constructs.conftest import ACCOUNT_ID, context_for, policy, synth_alone

PUBLISH = {
    "Sid": "CloudWatchPublishes",
    "Effect": "Allow",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
    "Resource": "*",
}


@pytest.fixture(scope="module")
def spec():
    context = context_for(plan_for("default.yaml"))

    def build(scope):
        # Where the cluster stack has one: the checkpoint bucket's key.
        parent = Construct(scope, "checkpoint_bucket")
        prerequisite = bindings.IamRole(scope, "prerequisite", assume_role_policy="{}")
        return RotatingKey(
            parent,
            "key",
            props=RotatingKeyProps(
                context=context,
                description="demo training checkpoints",
                alias="demo-checkpoints",
                service_statements=(PUBLISH,),
            ),
            depends_on=[prerequisite],
        )

    return synth_alone(build)


def test_the_key_rotates_and_waits_30_days_before_deletion(spec):
    spec.expect_resource(
        "aws_kms_key",
        {
            "description": "demo training checkpoints",
            "enable_key_rotation": True,
            "deletion_window_in_days": 30,
            "depends_on": ["aws_iam_role.prerequisite"],
        },
    )


def test_the_account_administers_it_and_only_the_named_services_use_it_in_the_key_policy(spec):
    statements = policy(spec.resource("aws_kms_key")["policy"])
    assert list(statements) == ["AccountAdministers", "CloudWatchPublishes"]
    assert statements["AccountAdministers"] == {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert statements["CloudWatchPublishes"] == PUBLISH


def test_the_key_keeps_the_address_it_had_before_the_construct(spec):
    """The key is the construct's default child, so "checkpoint_bucket/key" still names it: the
    address in users' state since the bucket made its key itself (a new address would replace the
    key, and the data it encrypts could no longer be read)."""
    assert list(spec.resources("aws_kms_key")) == ["checkpoint_bucket_key_0973D5F1"]


def test_the_alias_moves_from_beside_the_key_to_below_it(spec):
    alias = spec.resource("aws_kms_alias")
    assert alias["name"] == "alias/demo-checkpoints"
    assert alias["target_key_id"] == "${aws_kms_key.checkpoint_bucket_key_0973D5F1.key_id}"
    # checkpoint_bucket_key_alias_70E96723: the alias's address in a synth from before RotatingKey.
    assert spec.doc["moved"] == [
        {
            "from": "aws_kms_alias.checkpoint_bucket_key_alias_70E96723",
            "to": f"aws_kms_alias.{spec.construct.alias.friendly_unique_id}",
        }
    ]


@pytest.mark.parametrize(
    "path",
    [
        ("key_alias",),
        ("private_subnets_eu-west-1b",),
        ("checkpoint_bucket", "key", "alias"),
        ("gpu_alarms", "demo-a10g-gpu-temperature"),
        ("gpu_h100", "template", "this"),
        ("key", "key"),
        ("lustre", "Resource"),
        ("network", "Default", "flow_logs"),
    ],
)
def test_the_address_of_a_construct_path_is_the_one_cdktf_gives_it(path):
    def build(scope):
        parent = scope
        for component in path[:-1]:
            parent = Construct(parent, component)
        return bindings.KmsAlias(parent, path[-1], name="alias/x", target_key_id="k")

    element = synth_alone(build).construct
    assert logical_id(list(path)) == element.friendly_unique_id
