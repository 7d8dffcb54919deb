"""A CloudWatch log group with our retention, encrypted with a customer-managed key."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.context import AwsContext

from . import bindings as aws
from .rotating_key import RotatingKey


@dataclass(frozen=True, kw_only=True)
class EncryptedLogGroupProps:
    context: AwsContext
    name: str
    retention_days: int
    # Its key carries key_statement(context, name); the caller owns the key, which may
    # encrypt more than this log group (the control plane's also encrypts the cluster's secrets).
    key: RotatingKey


class EncryptedLogGroup(Construct):
    """Made before whatever writes to it, so the writer never creates a group of its own
    that keeps logs forever. The log group is this construct's default child, so its
    Terraform address is the one it had before the construct existed."""

    def __init__(self, scope: Construct, id_: str, *, props: EncryptedLogGroupProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        if self.key_statement(props.context, props.name) not in props.key.props.service_statements:
            raise ValueError(
                f"the key of log group {props.name} does not let CloudWatch Logs use it for that group; "
                "give the RotatingKey EncryptedLogGroup.key_statement(context, name)"
            )
        self.log_group = aws.CloudwatchLogGroup(
            self,
            "Default",
            name=props.name,
            retention_in_days=props.retention_days,
            kms_key_id=props.key.arn,
            depends_on=list(depends_on) or None,
        )

    @property
    def arn(self) -> str:
        return self.log_group.arn

    @staticmethod
    def key_statement(context: AwsContext, name: str) -> dict:
        """The key-policy statement that lets CloudWatch Logs use a key for this log group only: the
        regional logs principal, limited by the kms:EncryptionContext:aws:logs:arn condition (CloudWatch
        Logs user guide, "Encrypt log data in CloudWatch Logs using AWS Key Management Service")."""
        return {
            "Sid": "CloudWatchLogsEncryptsOneLogGroup",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{context.region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": context.arn("logs", f"log-group:{name}")}},
        }
