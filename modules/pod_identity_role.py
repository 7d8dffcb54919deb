"""An IAM role that EKS Pod Identity hands to one service account."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws
from .iam import assume_role_policy, managed_policy_arn, policy_document


@dataclass(frozen=True, kw_only=True)
class PodIdentityRoleProps:
    name_prefix: str
    partition: str
    statements: tuple[dict, ...] = ()  # an inline policy; prefer it over managed policies: it can be scoped
    managed_policies: tuple[str, ...] = ()  # AWS-managed policy names


class PodIdentityRole(Construct):
    """Trusted only by the Pod Identity service (pods.eks.amazonaws.com), which also
    tags the session with the cluster, namespace and service account. The association
    to a service account is made by whoever uses the role (an add-on's own
    association, or an aws_eks_pod_identity_association)."""

    def __init__(self, scope: Construct, id_: str, *, props: PodIdentityRoleProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.role = aws.IamRole(
            self, "role", name_prefix=props.name_prefix,
            assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession")),
            depends_on=list(depends_on) or None,
        )
        if props.statements:
            aws.IamRolePolicy(self, "policy", role=self.role.id, name="access", policy=policy_document(*props.statements))
        for policy in props.managed_policies:
            aws.IamRolePolicyAttachment(self, policy, role=self.role.name, policy_arn=managed_policy_arn(props.partition, policy))

    @property
    def arn(self) -> str:
        return self.role.arn
