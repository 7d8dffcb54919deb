"""IAM documents and ARNs, built in Python so no data-source round-trip is needed.

Every ARN the constructs write is formatted here, from a partition the caller passes.
"""

from __future__ import annotations

import json


def assume_role_policy(service: str, *, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    })


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def eks_access_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


def account_root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def log_group_arn(partition: str, region: str, account_id: str, log_group_name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}"


def node_groups_arn(partition: str, region: str, account_id: str, cluster_name: str) -> str:
    """Every managed node group of one cluster."""
    return f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*"


def auto_scaling_groups_arn(partition: str, region: str, account_id: str) -> str:
    """Every Auto Scaling group of the account in the region (narrowed by a tag condition)."""
    return f"arn:{partition}:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*"


def account_key_policy(*, partition: str, account_id: str, service_statements: tuple[dict, ...] = ()) -> str:
    """The account administers a key through IAM; who may use it is said in IAM policies,
    except for AWS services, which are named in the key policy (``service_statements``)."""
    return policy_document({
        "Sid": "AccountAdministers", "Effect": "Allow",
        "Principal": {"AWS": account_root_arn(partition, account_id)},
        "Action": "kms:*", "Resource": "*",
    }, *service_statements)


def log_group_key_policy(*, partition: str, account_id: str, region: str, log_group_name: str) -> str:
    """Key policy for a customer-managed key that encrypts one CloudWatch log group.

    The account administers the key through IAM (so roles can be granted its use in
    their own policies); the CloudWatch Logs service may use it only for that log group.
    """
    return account_key_policy(partition=partition, account_id=account_id, service_statements=(
        {
            "Sid": "CloudWatchLogsEncryptsOneLogGroup", "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": log_group_arn(partition, region, account_id, log_group_name),
            }},
        },
    ))
