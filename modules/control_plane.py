"""The EKS control plane: secrets key, log group, IAM role, cluster, access entries, OIDC."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.context import AwsContext, ClusterContext
from cluster_config.plan.control_plane import ControlPlanePlan

from . import bindings as aws
from .encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from .rotating_key import RotatingKey, RotatingKeyProps
from .iam import assume_role_policy, eks_access_policy_arn, managed_policy_arn, policy_document


@dataclass(frozen=True, kw_only=True)
class ControlPlaneProps:
    plan: ControlPlanePlan
    subnet_ids: list[str]


class ControlPlane(Construct):
    """Creates the cluster with secure defaults.

    * Secrets are envelope-encrypted with a customer-managed KMS key that rotates
      yearly; the same key encrypts the control-plane log group.
    * The log group is created before the cluster, so EKS writes into a group
      with our retention instead of creating one that keeps logs forever.
    * Authentication mode is API: access entries only, no aws-auth ConfigMap.
      The principal that creates the cluster keeps admin (EKS's bootstrap entry)
      so the platform stack can be applied by the same identity; further admins
      come from ``admin_principal_arns``.
    * The private endpoint is always on, so nodes never reach the API over the
      internet; the public endpoint is opt-in and CIDR-restricted.
    """

    def __init__(self, scope: Construct, id_: str, *, props: ControlPlaneProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        plan = props.plan
        account = aws.DataAwsCallerIdentity(self, "account")
        context = AwsContext(name=plan.name, region=plan.region, partition=plan.partition, account_id=account.account_id)

        # Secrets encryption needs no key-policy statement of its own: the cluster role
        # is granted the key in its IAM policy, which the account statement allows.
        self.key = RotatingKey(
            self,
            "key",
            props=RotatingKeyProps(
                context=context,
                description=f"{plan.name} EKS secrets and control-plane logs",
                alias=f"{plan.name}-eks",
                service_statements=(EncryptedLogGroup.key_statement(context, plan.log_group_name),),
            ),
        )
        logs = EncryptedLogGroup(
            self,
            "logs",
            props=EncryptedLogGroupProps(
                context=context,
                name=plan.log_group_name,
                retention_days=plan.log_retention_days,
                key=self.key,
            ),
        )

        self.role = aws.IamRole(
            self,
            "role",
            name_prefix=f"{plan.name}-cluster-",
            assume_role_policy=assume_role_policy("eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession")),
        )
        cluster_policy = aws.IamRolePolicyAttachment(
            self,
            "role_cluster_policy",
            role=self.role.name,
            policy_arn=managed_policy_arn(plan.partition, "AmazonEKSClusterPolicy"),
        )
        key_use = aws.IamRolePolicy(
            self,
            "role_key_use",
            role=self.role.id,
            name="encrypt-secrets",
            policy=policy_document(
                {
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                    "Resource": self.key.arn,
                }
            ),
        )

        self.cluster = aws.EksCluster(
            self,
            "cluster",
            name=plan.name,
            version=plan.kubernetes_version,
            role_arn=self.role.arn,
            vpc_config=aws.EksClusterVpcConfig(
                subnet_ids=props.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=plan.endpoint_public_access,
                public_access_cidrs=list(plan.endpoint_public_access_cidrs) if plan.endpoint_public_access else None,
            ),
            encryption_config=aws.EksClusterEncryptionConfig(
                resources=["secrets"],
                provider=aws.EksClusterEncryptionConfigProvider(key_arn=self.key.arn),
            ),
            enabled_cluster_log_types=list(plan.log_types),
            access_config=aws.EksClusterAccessConfig(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            kubernetes_network_config=(
                aws.EksClusterKubernetesNetworkConfig(service_ipv4_cidr=plan.service_ipv4_cidr)
                if plan.service_ipv4_cidr
                else None
            ),
            depends_on=[logs.log_group, cluster_policy, key_use, *depends_on],
        )

        admin_policy = eks_access_policy_arn(plan.partition, "AmazonEKSClusterAdminPolicy")
        for i, arn in enumerate(plan.admin_principal_arns):
            entry = aws.EksAccessEntry(
                self,
                f"admin_{i}",
                cluster_name=self.cluster.name,
                principal_arn=arn,
                type="STANDARD",
            )
            aws.EksAccessPolicyAssociation(
                self,
                f"admin_{i}_policy",
                cluster_name=self.cluster.name,
                principal_arn=arn,
                policy_arn=admin_policy,
                access_scope=aws.EksAccessPolicyAssociationAccessScope(type="cluster"),
                depends_on=[entry],
            )

        self.oidc_provider = aws.IamOpenidConnectProvider(
            self,
            "oidc",
            url=self.oidc_issuer,
            client_id_list=["sts.amazonaws.com"],
        )
        # What every other construct of the cluster stack is given.
        self.context = ClusterContext(
            name=context.name,
            region=context.region,
            partition=context.partition,
            account_id=context.account_id,
            cluster_name=self.cluster.name,
            kubernetes_version=self.cluster.version,
        )

    @property
    def name(self) -> str:
        return self.cluster.name

    @property
    def endpoint(self) -> str:
        return self.cluster.endpoint

    @property
    def certificate_authority_data(self) -> str:
        return self.cluster.certificate_authority.get(0).data

    @property
    def oidc_issuer(self) -> str:
        return self.cluster.identity.get(0).oidc.get(0).issuer

    @property
    def security_group_id(self) -> str:
        return self.cluster.vpc_config.cluster_security_group_id
