"""The IAM role every managed node group's instances assume."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.context import AwsContext

from . import bindings as aws
from .iam import assume_role_policy, managed_policy_arn

# Least privilege for a managed node: join the cluster, pull images (pull-only,
# not the broader ReadOnly policy), and let the VPC CNI attach ENIs. The CNI
# permission stays on the node role because aws-node must work before the
# Pod Identity agent can hand out credentials on a new node.
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy")


@dataclass(frozen=True, kw_only=True)
class NodeRoleProps:
    context: AwsContext


class NodeRole(Construct):
    def __init__(self, scope: Construct, id_: str, *, props: NodeRoleProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.role = aws.IamRole(
            self,
            "role",
            name_prefix=f"{props.context.name}-node-",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            depends_on=list(depends_on) or None,
        )
        self.attachments = [
            aws.IamRolePolicyAttachment(
                self, policy, role=self.role.name, policy_arn=managed_policy_arn(props.context.partition, policy)
            )
            for policy in NODE_POLICIES
        ]

    @property
    def arn(self) -> str:
        return self.role.arn
