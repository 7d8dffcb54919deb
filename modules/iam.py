"""IAM documents and the ARNs of what AWS owns (managed and access policies), built in Python.

ARNs of the account's own resources come from the context the stack hands every construct
(``cluster_config.context.AwsContext.arn``), so no data-source round-trip is needed.
"""

from __future__ import annotations

import json


def assume_role_policy(service: str, *, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
        }
    )


def policy_document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def eks_access_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


def node_groups_arn(partition: str, region: str, account_id: str, cluster_name: str) -> str:
    """Every managed node group of one cluster."""
    return f"arn:{partition}:eks:{region}:{account_id}:nodegroup/{cluster_name}/*/*"


def auto_scaling_groups_arn(partition: str, region: str, account_id: str) -> str:
    """Every Auto Scaling group of the account in the region (narrowed by a tag condition)."""
    return f"arn:{partition}:autoscaling:{region}:{account_id}:autoScalingGroup:*:autoScalingGroupName/*"
