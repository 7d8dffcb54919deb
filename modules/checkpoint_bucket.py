"""The S3 bucket training jobs write their checkpoints to."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.context import AwsContext
from cluster_config.plan.storage import CheckpointsPlan

from . import bindings as aws
from .iam import policy_document
from .rotating_key import RotatingKey, RotatingKeyProps


@dataclass(frozen=True, kw_only=True)
class CheckpointBucketProps:
    context: AwsContext
    plan: CheckpointsPlan


class CheckpointBucket(Construct):
    """A private, versioned bucket encrypted with its own rotating KMS key.

    * Versioned, so a checkpoint overwritten or deleted by mistake can be restored;
      noncurrent versions expire after the plan's ``noncurrent_version_days``, and multipart
      uploads a crashed writer left behind after 7 days.
    * Every form of public access is blocked, ACLs are off (the bucket owner owns
      every object), and the bucket policy refuses requests that do not use TLS.
    * SSE-KMS with an S3 Bucket Key, which cuts KMS requests (and their cost) for
      the many objects a checkpoint writes.
    The default name holds the account and region, which keeps it globally unique.
    """

    def __init__(self, scope: Construct, id_: str, *, props: CheckpointBucketProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        context = props.context
        self.key = RotatingKey(
            self,
            "key",
            props=RotatingKeyProps(
                context=context,
                description=f"{context.name} training checkpoints",
                alias=f"{context.name}-checkpoints",
            ),
            depends_on=depends_on,
        )
        name = props.plan.bucket_name or f"{context.name}-checkpoints-{context.account_id}-{context.region}"
        self.bucket = aws.S3Bucket(self, "bucket", bucket=name, force_destroy=False)
        bucket = self.bucket.id
        aws.S3BucketOwnershipControls(
            self, "ownership", bucket=bucket, rule=aws.S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced")
        )
        aws.S3BucketPublicAccessBlock(
            self,
            "public_access_block",
            bucket=bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        versioning = aws.S3BucketVersioning(
            self,
            "versioning",
            bucket=bucket,
            versioning_configuration=aws.S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        aws.S3BucketServerSideEncryptionConfiguration(
            self,
            "encryption",
            bucket=bucket,
            rule=[
                aws.S3BucketServerSideEncryptionConfigurationRule(
                    apply_server_side_encryption_by_default=aws.S3BucketServerSideEncryptionByDefault(
                        sse_algorithm="aws:kms",
                        kms_master_key_id=self.key.arn,
                    ),
                    bucket_key_enabled=True,
                ),
            ],
        )
        aws.S3BucketLifecycleConfiguration(
            self,
            "lifecycle",
            bucket=bucket,
            rule=[
                aws.S3BucketLifecycleConfigurationRule(
                    id="expire-old-versions-and-abandoned-uploads",
                    status="Enabled",
                    filter=[aws.S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        aws.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.plan.noncurrent_version_days,
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        aws.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=7,
                        )
                    ],
                ),
            ],
            depends_on=[versioning],
        )
        aws.S3BucketPolicy(
            self,
            "tls_only",
            bucket=bucket,
            policy=policy_document(
                {
                    "Sid": "DenyWithoutTLS",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [self.bucket.arn, f"{self.bucket.arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ),
        )

    @property
    def name(self) -> str:
        return self.bucket.bucket

    def prefix_statements(self, namespace: str, region: str) -> tuple[dict, ...]:
        """What one training namespace's jobs need to save and resume DCP checkpoints under
        ``<namespace>/`` and nowhere else: objects there, multipart uploads there, listing only
        with that prefix (Amazon S3 User Guide, "Identity-based policy examples for Amazon S3",
        "Allowing each IAM user access to a folder in a bucket": ListBucket with a StringLike
        ``s3:prefix`` condition), and the bucket's key only through S3 in this region (AWS KMS
        Developer Guide, "kms:ViaService"): the key is the bucket's, so nothing else needs it."""
        return (
            {
                "Sid": "ListOwnPrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": self.bucket.arn,
                "Condition": {"StringLike": {"s3:prefix": f"{namespace}/*"}},
            },
            {
                "Sid": "ReadWriteOwnPrefix",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                "Resource": f"{self.bucket.arn}/{namespace}/*",
            },
            {
                "Sid": "UseCheckpointKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": self.key.arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        )

    def read_write_statements(self) -> tuple[dict, ...]:
        """What a writer of checkpoints needs: list, read, write and delete objects, and the key."""
        return (
            {"Sid": "ListCheckpoints", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": self.bucket.arn},
            {
                "Sid": "ReadWriteCheckpoints",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
                "Resource": f"{self.bucket.arn}/*",
            },
            {
                "Sid": "UseCheckpointKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": self.key.arn,
            },
        )
