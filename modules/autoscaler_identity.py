"""IAM for cluster-autoscaler, handed to its pod through EKS Pod Identity."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config import names

from . import bindings as aws
from .iam import assume_role_policy, auto_scaling_groups_arn, node_groups_arn, policy_document


@dataclass(frozen=True, kw_only=True)
class AutoscalerIdentityProps:
    cluster_name: str
    namespace: str
    service_account: str
    region: str
    account_id: str
    partition: str


class AutoscalerIdentity(Construct):
    """Read access to Auto Scaling, EC2 instance types and node groups (DescribeNodegroup
    lets it learn a managed group's labels and taints while the group is at zero),
    and write access only to Auto Scaling groups EKS tagged as owned by this cluster."""

    def __init__(self, scope: Construct, id_: str, *, props: AutoscalerIdentityProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.role = aws.IamRole(
            self, "role", name_prefix=f"{props.cluster_name}-autoscaler-",
            assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession")),
        )
        aws.IamRolePolicy(
            self, "policy", role=self.role.id, name=props.service_account,  # named after its only user
            policy=policy_document(
                {
                    # These actions have no resource-level permissions in IAM.
                    "Sid": "Discover", "Effect": "Allow", "Resource": "*",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
                    ],
                },
                {
                    "Sid": "ReadOwnNodeGroups", "Effect": "Allow", "Action": "eks:DescribeNodegroup",
                    "Resource": node_groups_arn(props.partition, props.region, props.account_id, props.cluster_name),
                },
                {
                    "Sid": "ScaleOwnGroups", "Effect": "Allow",
                    "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                    "Resource": auto_scaling_groups_arn(props.partition, props.region, props.account_id),
                    "Condition": {"StringEquals": {f"aws:ResourceTag/{names.autoscaler_owner_tag(props.cluster_name)}": "owned"}},
                },
            ),
        )
        aws.EksPodIdentityAssociation(
            self, "association", cluster_name=props.cluster_name, namespace=props.namespace,
            service_account=props.service_account, role_arn=self.role.arn, depends_on=list(depends_on),
        )
