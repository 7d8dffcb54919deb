"""EncryptedLogGroup: a log group with a rotating key of its own, added to the caller's scope."""

import pytest
from constructs import Construct

from modules import bindings
from modules.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import ACCOUNT_ID, policy, synth_alone


@pytest.fixture(scope="module")
def spec():
    control_plane = plan_for("default.yaml").control_plane

    def build(scope):
        # Inside a parent, as in the cluster stack, with the control plane's ids.
        parent = Construct(scope, "control_plane")
        prerequisite = bindings.IamRole(scope, "prerequisite", assume_role_policy="{}")
        return parent, EncryptedLogGroup(parent, "logs", props=EncryptedLogGroupProps(
            log_group_name=control_plane.log_group_name, retention_days=control_plane.log_retention_days,
            key_description="demo EKS secrets and control-plane logs", key_alias="demo-eks", key_construct_id="key",
            partition="aws", account_id=ACCOUNT_ID, region=control_plane.region,
        ), depends_on=[prerequisite])

    return synth_alone(build)


def test_its_resources_belong_to_the_callers_scope(spec):
    """No construct level of its own: the addresses are the ones these resources had before the
    construct existed, so Terraform does not destroy and recreate the key (and with it the cluster)."""
    parent, group = spec.construct
    assert group.key.node.scope is parent and group.log_group.node.scope is parent
    assert list(spec.resources("aws_kms_key")) == ["control_plane_key_5B5DFEBB"]
    assert list(spec.resources("aws_kms_alias")) == ["control_plane_key_alias_78AF9EE2"]
    assert list(spec.resources("aws_cloudwatch_log_group")) == ["control_plane_logs_B20A462D"]


def test_the_key_rotates_and_waits_30_days_before_deletion(spec):
    spec.expect_resource("aws_kms_key", {
        "enable_key_rotation": True, "deletion_window_in_days": 30, "description": "demo EKS secrets and control-plane logs",
        "depends_on": ["aws_iam_role.prerequisite"],
    })


def test_the_key_serves_cloudwatch_logs_for_this_log_group_only(spec):
    statements = policy(spec.resource("aws_kms_key")["policy"])
    assert set(statements) == {"AccountAdministers", "CloudWatchLogsEncryptsOneLogGroup"}
    admin = statements["AccountAdministers"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}  # administered through IAM, not by a service
    logs = statements["CloudWatchLogsEncryptsOneLogGroup"]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert not any(a.startswith(("kms:Create", "kms:Delete", "kms:Put", "kms:Schedule")) or a == "kms:*" for a in logs["Action"])
    assert logs["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-west-2:{ACCOUNT_ID}:log-group:/aws/eks/demo/cluster",
    }}


def test_the_log_group_keeps_its_retention_and_is_encrypted_with_the_key(spec):
    spec.expect_resource("aws_cloudwatch_log_group", {
        "name": "/aws/eks/demo/cluster", "retention_in_days": 90, "kms_key_id": "${aws_kms_key.control_plane_key_5B5DFEBB.arn}",
    })
    spec.expect_resource("aws_kms_alias", {"name": "alias/demo-eks", "target_key_id": "${aws_kms_key.control_plane_key_5B5DFEBB.key_id}"})
