"""IAM policy documents as JSON, built in Python so no data source round-trip is needed."""

from __future__ import annotations

import json


def assume_role_policy(service: str, *, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    })


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def log_group_key_policy(*, partition: str, account_id: str, region: str, log_group_name: str) -> str:
    """Key policy for a customer-managed key that encrypts one CloudWatch log group.

    The account administers the key through IAM (so roles can be granted its use in
    their own policies); the CloudWatch Logs service may use it only for that log group.
    """
    return policy_document(
        {
            "Sid": "AccountAdministers", "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*", "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncryptsOneLogGroup", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}",
            }},
        },
    )
