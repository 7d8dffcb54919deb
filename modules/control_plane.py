"""The EKS control plane: secrets key, log group, IAM role, cluster, access entries, OIDC."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws
from .policy import assume_role_policy, log_group_key_policy, policy_document

CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"


@dataclass(frozen=True, kw_only=True)
class ControlPlaneProps:
    name: str
    region: str
    kubernetes_version: str
    subnet_ids: list[str]
    endpoint_public_access: bool
    endpoint_public_access_cidrs: tuple[str, ...]
    admin_principal_arns: tuple[str, ...]
    log_types: tuple[str, ...]
    log_retention_days: int
    service_ipv4_cidr: str | None


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

    def __init__(self, scope: Construct, id_: str, *, props: ControlPlaneProps) -> None:
        super().__init__(scope, id_)
        account = aws.DataAwsCallerIdentity(self, "account")
        partition = aws.DataAwsPartition(self, "partition")
        self.partition = partition.partition
        self.account_id = account.account_id
        log_group_name = f"/aws/eks/{props.name}/cluster"

        self.key = aws.KmsKey(
            self, "key", description=f"{props.name} EKS secrets and control-plane logs",
            enable_key_rotation=True, deletion_window_in_days=30,
            # Secrets encryption needs no statement of its own: the cluster role is
            # granted the key in its IAM policy, which the account statement allows.
            policy=log_group_key_policy(
                partition=partition.partition, account_id=account.account_id, region=props.region,
                log_group_name=log_group_name,
            ),
        )
        aws.KmsAlias(self, "key_alias", name=f"alias/{props.name}-eks", target_key_id=self.key.key_id)

        log_group = aws.CloudwatchLogGroup(
            self, "logs", name=log_group_name, retention_in_days=props.log_retention_days, kms_key_id=self.key.arn,
        )

        self.role = aws.IamRole(
            self, "role", name_prefix=f"{props.name}-cluster-",
            assume_role_policy=assume_role_policy("eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession")),
        )
        cluster_policy = aws.IamRolePolicyAttachment(
            self, "role_cluster_policy", role=self.role.name,
            policy_arn=f"arn:{partition.partition}:iam::aws:policy/AmazonEKSClusterPolicy",
        )
        key_use = aws.IamRolePolicy(
            self, "role_key_use", role=self.role.id, name="encrypt-secrets",
            policy=policy_document({
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": self.key.arn,
            }),
        )

        self.cluster = aws.EksCluster(
            self, "cluster", name=props.name, version=props.kubernetes_version, role_arn=self.role.arn,
            vpc_config=aws.EksClusterVpcConfig(
                subnet_ids=props.subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=props.endpoint_public_access,
                public_access_cidrs=list(props.endpoint_public_access_cidrs) if props.endpoint_public_access else None,
            ),
            encryption_config=aws.EksClusterEncryptionConfig(
                resources=["secrets"], provider=aws.EksClusterEncryptionConfigProvider(key_arn=self.key.arn),
            ),
            enabled_cluster_log_types=list(props.log_types),
            access_config=aws.EksClusterAccessConfig(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True,
            ),
            kubernetes_network_config=(
                aws.EksClusterKubernetesNetworkConfig(service_ipv4_cidr=props.service_ipv4_cidr)
                if props.service_ipv4_cidr else None
            ),
            depends_on=[log_group, cluster_policy, key_use],
        )

        for i, arn in enumerate(props.admin_principal_arns):
            entry = aws.EksAccessEntry(
                self, f"admin_{i}", cluster_name=self.cluster.name, principal_arn=arn, type="STANDARD",
            )
            aws.EksAccessPolicyAssociation(
                self, f"admin_{i}_policy", cluster_name=self.cluster.name, principal_arn=arn,
                policy_arn=CLUSTER_ADMIN_POLICY,
                access_scope=aws.EksAccessPolicyAssociationAccessScope(type="cluster"),
                depends_on=[entry],
            )

        self.oidc_provider = aws.IamOpenidConnectProvider(
            self, "oidc", url=self.oidc_issuer, client_id_list=["sts.amazonaws.com"],
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
