from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from cluster_config.model import ClusterConfig
from cluster_config.plan import gpu_node_group_plan, system_nodes_plan
from modules.autoscaler_identity import AutoscalerIdentity, AutoscalerIdentityProps
from modules.control_plane import ControlPlane, ControlPlaneProps
from modules.gpu_node_group import GpuNodeGroup, GpuNodeGroupProps
from modules.managed_addons import AFTER_NODES, BEFORE_NODES, ManagedAddons, ManagedAddonsProps
from modules.node_role import NodeRole, NodeRoleProps
from modules.platform import cluster_autoscaler
from modules.system_node_group import SystemNodeGroup, SystemNodeGroupProps

from .common import aws_provider, state_backend
from .network_refs import NetworkRefs


class ClusterStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, config: ClusterConfig, network: NetworkRefs) -> None:
        super().__init__(scope, id_)
        state_backend(self, config, "cluster")
        aws_provider(self, config)
        c = config.cluster
        self.control_plane = cp = ControlPlane(self, "control_plane", props=ControlPlaneProps(
            name=config.name, region=config.region, kubernetes_version=config.kubernetes_version,
            subnet_ids=network.private_subnet_ids,
            endpoint_public_access=c.endpoint_public_access,
            endpoint_public_access_cidrs=tuple(c.endpoint_public_access_cidrs),
            admin_principal_arns=tuple(c.admin_principal_arns),
            log_types=tuple(c.log_types), log_retention_days=c.log_retention_days,
            service_ipv4_cidr=c.service_ipv4_cidr,
        ))
        before_nodes = ManagedAddons(self, "addons_before_nodes", props=ManagedAddonsProps(cluster_name=cp.name, addons=BEFORE_NODES))
        node_role = NodeRole(self, "node_role", props=NodeRoleProps(name=config.name, partition=cp.partition))
        node_prerequisites = [*node_role.attachments, *before_nodes.addons]

        system = SystemNodeGroup(self, "system_nodes", props=SystemNodeGroupProps(
            cluster_name=cp.name, node_role_arn=node_role.arn, subnet_ids=network.private_subnet_ids,
            plan=system_nodes_plan(config),
        ), depends_on=node_prerequisites)
        ManagedAddons(self, "addons_after_nodes", props=ManagedAddonsProps(cluster_name=cp.name, addons=AFTER_NODES),
                      depends_on=[system.node_group])

        self.gpu_node_groups = []
        for group in config.gpu_node_groups:
            plan = gpu_node_group_plan(group)
            subnet_ids = (
                network.subnet_ids_in(self, plan.availability_zone) if plan.availability_zone else network.private_subnet_ids
            )
            self.gpu_node_groups.append(GpuNodeGroup(self, f"gpu_{plan.name}", props=GpuNodeGroupProps(
                cluster_name=cp.name, vpc_id=network.vpc_id, node_role_arn=node_role.arn,
                cluster_security_group_id=cp.security_group_id, subnet_ids=subnet_ids, plan=plan,
            ), depends_on=node_prerequisites))

        if cluster_autoscaler.enabled(config):
            AutoscalerIdentity(self, "autoscaler_identity", props=AutoscalerIdentityProps(
                cluster_name=cp.name, namespace=cluster_autoscaler.NAMESPACE, service_account=cluster_autoscaler.SERVICE_ACCOUNT,
                region=config.region, account_id=cp.account_id, partition=cp.partition,
            ), depends_on=before_nodes.addons)

        TerraformOutput(self, "cluster_name", value=cp.name)
        TerraformOutput(self, "cluster_endpoint", value=cp.endpoint)
        TerraformOutput(self, "cluster_certificate_authority_data", value=cp.certificate_authority_data)
        TerraformOutput(self, "oidc_issuer_url", value=cp.oidc_issuer)
        TerraformOutput(self, "oidc_provider_arn", value=cp.oidc_provider.arn)
        TerraformOutput(self, "cluster_security_group_id", value=cp.security_group_id)
        TerraformOutput(self, "kubeconfig_command", value=f"aws eks update-kubeconfig --region {config.region} --name {cp.name}",
                        description="Run this to point kubectl at the cluster")
