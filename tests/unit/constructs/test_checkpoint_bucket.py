"""CheckpointBucket: the private, versioned, KMS-encrypted bucket checkpoints go to."""

import pytest

from modules.checkpoint_bucket import CheckpointBucket, CheckpointBucketProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import ACCOUNT_ID, context_for, policy, synth_alone


@pytest.fixture(scope="module")
def spec():
    plan = plan_for("p5-training.yaml")

    def build(scope):
        return CheckpointBucket(
            scope,
            "checkpoint_bucket",
            props=CheckpointBucketProps(
                context=context_for(plan),
                plan=plan.storage.checkpoints,
            ),
        )

    return synth_alone(build)


def test_default_name_is_globally_unique_and_the_bucket_survives_destroy_with_objects(spec):
    bucket = spec.resource("aws_s3_bucket")
    assert bucket["bucket"] == f"p5prod-checkpoints-{ACCOUNT_ID}-us-east-1"
    assert bucket["force_destroy"] is False


def test_no_public_access_and_no_acls(spec):
    spec.expect_resource(
        "aws_s3_bucket_public_access_block",
        {"block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True, "restrict_public_buckets": True},
    )
    spec.expect_resource("aws_s3_bucket_ownership_controls", {"rule": {"object_ownership": "BucketOwnerEnforced"}})


def test_encrypted_with_its_own_rotating_key_and_a_bucket_key(spec):
    key_address = spec.only_address("aws_kms_key")
    assert spec.resource("aws_kms_key")["enable_key_rotation"] is True
    (rule,) = spec.resource("aws_s3_bucket_server_side_encryption_configuration")["rule"]
    assert rule["apply_server_side_encryption_by_default"] == {
        "sse_algorithm": "aws:kms",
        "kms_master_key_id": f"${{{key_address}.arn}}",
    }
    assert rule["bucket_key_enabled"] is True
    assert spec.resource("aws_kms_alias")["name"] == "alias/p5prod-checkpoints"


def test_versioned_and_old_versions_expire_after_the_configured_days(spec):
    spec.expect_resource("aws_s3_bucket_versioning", {"versioning_configuration": {"status": "Enabled"}})
    lifecycle = spec.resource("aws_s3_bucket_lifecycle_configuration")
    (rule,) = lifecycle["rule"]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 14}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    # Every object: checkpoints are written under each namespace's prefix (default/, research/, ...).
    assert rule["filter"] == [{"prefix": ""}] and rule["status"] == "Enabled"
    # A lifecycle rule on versions needs versioning in place first.
    assert lifecycle["depends_on"] == [spec.only_address("aws_s3_bucket_versioning")]


def test_requests_without_tls_are_refused(spec):
    statement = policy(spec.resource("aws_s3_bucket_policy")["policy"])["DenyWithoutTLS"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    bucket = spec.only_address("aws_s3_bucket")
    assert statement["Resource"] == [f"${{{bucket}.arn}}", f"${{{bucket}.arn}}/*"]


def test_writers_get_objects_and_the_key_but_not_the_bucket_configuration(spec):
    statements = {s["Sid"]: s for s in spec.construct.read_write_statements()}
    actions = {a for s in statements.values() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "kms:Decrypt",
        "kms:GenerateDataKey",
    }
    assert not any(a.startswith("s3:Put") and a != "s3:PutObject" for a in actions)
