"""An IAM role that EKS Pod Identity hands to one service account of a component."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.components.contract import PodIdentity
from cluster_config.context import ClusterContext

from . import bindings as aws
from .iam import assume_role_policy, managed_policy_arn, policy_document


@dataclass(frozen=True, kw_only=True)
class PodIdentityRoleProps:
    context: ClusterContext
    identity: PodIdentity
    # What the identity's grants resolve to in this stack (e.g. the checkpoint bucket's
    # read-write statements); they follow the identity's own statements in its inline policy.
    granted: tuple[dict, ...] = ()
    # Make the association to the service account here (a Helm chart's service account);
    # False: an EKS add-on hands the role over itself (its pod_identity_association).
    associate: bool


class PodIdentityRole(Construct):
    """Trusted only by the Pod Identity service (pods.eks.amazonaws.com), which also tags the
    session with the cluster, namespace and service account (EKS user guide, "Learn how EKS
    Pod Identity grants pods access to AWS services"). Inline statements come first and are
    scoped to this cluster; managed policies only where AWS's own is the documented one.

    A role with an association of its own is named from the cluster resource, like the
    association; an add-on's role from the planned name. Both read the same at plan time;
    each is the name the role has had since it was first made, and a new one replaces it.
    ``depends_on``: what the association waits for (the Pod Identity agent add-on).
    """

    def __init__(self, scope: Construct, id_: str, *, props: PodIdentityRoleProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        context, identity = props.context, props.identity
        owner = context.cluster_name if props.associate else context.name
        self.role = aws.IamRole(
            self,
            "role",
            name_prefix=f"{owner}-{identity.name}-",
            assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession")),
        )
        statements = (identity.statements(context) if identity.statements else ()) + props.granted
        if statements:
            aws.IamRolePolicy(self, "policy", role=self.role.id, name=identity.policy_name, policy=policy_document(*statements))
        for policy in identity.managed_policies:
            aws.IamRolePolicyAttachment(
                self, policy, role=self.role.name, policy_arn=managed_policy_arn(context.partition, policy)
            )
        if props.associate:
            aws.EksPodIdentityAssociation(
                self,
                "association",
                cluster_name=context.cluster_name,
                namespace=identity.namespace,
                service_account=identity.service_account,
                role_arn=self.role.arn,
                depends_on=list(depends_on) or None,
            )

    @property
    def arn(self) -> str:
        return self.role.arn
