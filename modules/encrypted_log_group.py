"""A CloudWatch log group encrypted with a key of its own."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws
from .iam import log_group_key_policy


@dataclass(frozen=True, kw_only=True)
class EncryptedLogGroupProps:
    log_group_name: str
    retention_days: int
    key_description: str
    key_alias: str  # without the alias/ prefix
    # Construct id of the key (its alias gets ``<key_construct_id>_alias``); see below.
    key_construct_id: str
    partition: str
    account_id: str
    region: str


class EncryptedLogGroup:
    """A log group encrypted with a customer-managed KMS key that rotates yearly and
    has a 30-day deletion window. The key policy lets the account administer the key
    through IAM and lets CloudWatch Logs use it for this one log group only.

    Unlike the other constructs, this one adds its resources to ``scope`` itself (as
    ``<id>``, ``<key_construct_id>`` and ``<key_construct_id>_alias``) rather than
    under a node of its own. These resources existed before the construct did, and a
    new level in the construct tree gives them new Terraform addresses, which
    Terraform applies by destroying and recreating them: for the control plane's
    key, which also encrypts the cluster's secrets, that would replace the cluster.
    """

    def __init__(self, scope: Construct, id_: str, *, props: EncryptedLogGroupProps, depends_on=()) -> None:
        self.key = aws.KmsKey(
            scope, props.key_construct_id, description=props.key_description, enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=log_group_key_policy(
                partition=props.partition, account_id=props.account_id, region=props.region,
                log_group_name=props.log_group_name,
            ),
            depends_on=list(depends_on) or None,
        )
        aws.KmsAlias(scope, f"{props.key_construct_id}_alias", name=f"alias/{props.key_alias}", target_key_id=self.key.key_id)
        self.log_group = aws.CloudwatchLogGroup(
            scope, id_, name=props.log_group_name, retention_in_days=props.retention_days, kms_key_id=self.key.arn,
        )
