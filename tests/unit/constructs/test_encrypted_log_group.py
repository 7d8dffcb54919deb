"""EncryptedLogGroup: a log group with our retention, encrypted with a key that admits CloudWatch Logs for it alone."""

import pytest
from constructs import Construct

from modules import bindings
from modules.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from modules.rotating_key import RotatingKey, RotatingKeyProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import ACCOUNT_ID, context_for, policy, synth_alone


@pytest.fixture(scope="module")
def plan():
    return plan_for("default.yaml")


def key_for(scope, context, *, statements):
    return RotatingKey(
        scope,
        "key",
        props=RotatingKeyProps(
            context=context,
            description="demo EKS secrets and control-plane logs",
            alias="demo-eks",
            service_statements=statements,
        ),
    )


@pytest.fixture(scope="module")
def spec(plan):
    control_plane = plan.control_plane
    context = context_for(plan)

    def build(scope):
        # Inside a parent, as in the control plane, with the control plane's ids.
        parent = Construct(scope, "control_plane")
        prerequisite = bindings.IamRole(scope, "prerequisite", assume_role_policy="{}")
        key = key_for(parent, context, statements=(EncryptedLogGroup.key_statement(context, control_plane.log_group_name),))
        return EncryptedLogGroup(
            parent,
            "logs",
            props=EncryptedLogGroupProps(
                context=context,
                name=control_plane.log_group_name,
                retention_days=control_plane.log_retention_days,
                key=key,
            ),
            depends_on=[prerequisite],
        )

    return synth_alone(build)


def test_it_is_a_construct_whose_log_group_keeps_the_address_it_had_without_one(spec):
    """The log group is the construct's default child: a construct level of its own, and the
    address users' state has, so Terraform neither moves nor replaces it."""
    assert spec.construct.node.path == "spec/control_plane/logs"
    assert list(spec.resources("aws_cloudwatch_log_group")) == ["control_plane_logs_B20A462D"]


def test_the_log_group_keeps_its_retention_and_is_encrypted_with_the_key(spec):
    spec.expect_resource(
        "aws_cloudwatch_log_group",
        {
            "name": "/aws/eks/demo/cluster",
            "retention_in_days": 90,
            "kms_key_id": "${aws_kms_key.control_plane_key_5B5DFEBB.arn}",
            "depends_on": ["aws_iam_role.prerequisite"],
        },
    )


def test_the_key_serves_cloudwatch_logs_for_this_log_group_only(spec):
    statements = policy(spec.resource("aws_kms_key")["policy"])
    assert set(statements) == {"AccountAdministers", "CloudWatchLogsEncryptsOneLogGroup"}
    logs = statements["CloudWatchLogsEncryptsOneLogGroup"]
    assert logs["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert not any(a.startswith(("kms:Create", "kms:Delete", "kms:Put", "kms:Schedule")) or a == "kms:*" for a in logs["Action"])
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-west-2:{ACCOUNT_ID}:log-group:/aws/eks/demo/cluster",
        }
    }


def test_a_key_that_does_not_admit_cloudwatch_logs_for_the_group_is_refused(plan):
    """CloudWatch Logs would refuse to create the group at apply time; the synth says so first."""
    context = context_for(plan)

    def build(scope):
        key = key_for(scope, context, statements=(EncryptedLogGroup.key_statement(context, "/aws/eks/other/cluster"),))
        return EncryptedLogGroup(
            scope, "logs", props=EncryptedLogGroupProps(context=context, name="/aws/eks/demo/cluster", retention_days=90, key=key)
        )

    with pytest.raises(ValueError, match="the key of log group /aws/eks/demo/cluster does not let CloudWatch Logs use it"):
        synth_alone(build)
