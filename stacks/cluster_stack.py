from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from cluster_config.plan import ClusterPlan
from modules.autoscaler_identity import AutoscalerIdentity, AutoscalerIdentityProps
from modules.control_plane import ControlPlane, ControlPlaneProps
from modules.existing_subnets import ExistingSubnets, ExistingSubnetsProps
from modules.gpu_node_group import GpuNodeGroup, GpuNodeGroupProps
from modules.managed_addons import ManagedAddons, ManagedAddonsProps
from modules.node_role import NodeRole, NodeRoleProps
from modules.system_node_group import SystemNodeGroup, SystemNodeGroupProps

from .common import aws_access, state_backend
from .network_refs import NetworkRefs


class ClusterStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, plan: ClusterPlan, network: NetworkRefs | None) -> None:
        """``network``: from the network stack, or None when the user brings a VPC."""
        super().__init__(scope, id_)
        state_backend(self, plan, "cluster")
        aws_access(self, plan)
        if network is None:
            network = self._existing_network(plan)

        self.control_plane = cp = ControlPlane(self, "control_plane", props=ControlPlaneProps(
            plan=plan.control_plane, subnet_ids=network.private_subnet_ids,
        ))
        before_nodes = ManagedAddons(self, "addons_before_nodes", props=ManagedAddonsProps(
            cluster_name=cp.name, addons=tuple(a for a in plan.addons if a.before_nodes),
        ))
        node_role = NodeRole(self, "node_role", props=NodeRoleProps(name=plan.name, partition=plan.partition))
        node_prerequisites = [*node_role.attachments, *before_nodes.addons]

        system = SystemNodeGroup(self, "system_nodes", props=SystemNodeGroupProps(
            cluster_name=cp.name, node_role_arn=node_role.arn, subnet_ids=network.private_subnet_ids,
            plan=plan.system_nodes,
        ), depends_on=node_prerequisites)
        ManagedAddons(self, "addons_after_nodes", props=ManagedAddonsProps(
            cluster_name=cp.name, addons=tuple(a for a in plan.addons if not a.before_nodes),
        ), depends_on=[system.node_group])

        for group in plan.gpu_groups:
            GpuNodeGroup(self, f"gpu_{group.name}", props=GpuNodeGroupProps(
                cluster_name=cp.name, vpc_id=network.vpc_id, node_role_arn=node_role.arn,
                cluster_security_group_id=cp.security_group_id, subnet_ids=network.subnet_ids_in(group.availability_zone),
                plan=group,
            ), depends_on=node_prerequisites)

        if plan.autoscaler_identity is not None:
            AutoscalerIdentity(self, "autoscaler_identity", props=AutoscalerIdentityProps(
                cluster_name=cp.name, namespace=plan.autoscaler_identity.namespace,
                service_account=plan.autoscaler_identity.service_account,
                region=plan.region, account_id=cp.account_id, partition=plan.partition,
            ), depends_on=before_nodes.addons)

        TerraformOutput(self, "cluster_name", value=cp.name)
        TerraformOutput(self, "cluster_endpoint", value=cp.endpoint)
        TerraformOutput(self, "cluster_certificate_authority_data", value=cp.certificate_authority_data)
        TerraformOutput(self, "oidc_issuer_url", value=cp.oidc_issuer)
        TerraformOutput(self, "oidc_provider_arn", value=cp.oidc_provider.arn)
        TerraformOutput(self, "cluster_security_group_id", value=cp.security_group_id)
        TerraformOutput(self, "kubeconfig_command", value=f"aws eks update-kubeconfig --region {plan.region} --name {cp.name}",
                        description="Run this to point kubectl at the cluster")

    def _existing_network(self, plan: ClusterPlan) -> NetworkRefs:
        existing = plan.existing_vpc
        assert existing is not None
        zones = tuple(dict.fromkeys(g.availability_zone for g in plan.gpu_groups if g.availability_zone))
        lookup = ExistingSubnets(self, "private_subnets", props=ExistingSubnetsProps(
            private_subnet_ids=existing.private_subnet_ids, availability_zones=zones,
        ))
        return NetworkRefs(vpc_id=existing.vpc_id, private_subnet_ids=list(existing.private_subnet_ids),
                           subnet_ids_by_zone=lookup.ids_by_zone)
