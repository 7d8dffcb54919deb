from __future__ import annotations

from cdktf import Fn, TerraformOutput, TerraformStack
from constructs import Construct

from cluster_config.plan import ClusterPlan
from cluster_config import names
from modules.autoscaler_identity import AutoscalerIdentity, AutoscalerIdentityProps
from modules.checkpoint_bucket import CheckpointBucket, CheckpointBucketProps
from modules.control_plane import ControlPlane, ControlPlaneProps
from modules.existing_subnets import ExistingSubnets, ExistingSubnetsProps
from modules.gpu_alarms import GpuAlarms, GpuAlarmsProps
from modules.gpu_node_group import GpuNodeGroup, GpuNodeGroupProps
from modules.lustre_file_system import LustreFileSystem, LustreFileSystemProps
from modules.managed_addons import ManagedAddons, ManagedAddonsProps
from modules.node_role import NodeRole, NodeRoleProps
from modules.pod_identity_role import PodIdentityRole, PodIdentityRoleProps
from modules.system_node_group import SystemNodeGroup, SystemNodeGroupProps

from .common import aws_access, state_backend
from .network_refs import NetworkRefs, StorageRefs


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
        context = cp.context
        before_nodes = ManagedAddons(self, "addons_before_nodes", props=ManagedAddonsProps(
            context=context, addons=tuple(a for a in plan.addons if a.before_nodes),
        ))
        node_role = NodeRole(self, "node_role", props=NodeRoleProps(context=context))
        node_prerequisites = [*node_role.attachments, *before_nodes.addons]

        system = SystemNodeGroup(self, "system_nodes", props=SystemNodeGroupProps(
            context=context, node_role_arn=node_role.arn, subnet_ids=network.private_subnet_ids,
            plan=plan.system_nodes,
        ), depends_on=node_prerequisites)
        self.storage = self._storage(plan, network, cp)
        self._observability(plan, cp)
        ManagedAddons(self, "addons_after_nodes", props=ManagedAddonsProps(
            context=context, addons=tuple(a for a in plan.addons if not a.before_nodes),
            role_arns=self._addon_roles,
        ), depends_on=[system.node_group])

        for group in plan.gpu_groups:
            GpuNodeGroup(self, f"gpu_{group.name}", props=GpuNodeGroupProps(
                context=context, vpc_id=network.vpc_id, node_role_arn=node_role.arn,
                cluster_security_group_id=cp.security_group_id, subnet_ids=network.subnet_ids_in(group.availability_zone),
                plan=group,
            ), depends_on=node_prerequisites)

        if plan.autoscaler_identity is not None:
            AutoscalerIdentity(self, "autoscaler_identity", props=AutoscalerIdentityProps(
                cluster_name=cp.name, namespace=plan.autoscaler_identity.namespace,
                service_account=plan.autoscaler_identity.service_account,
                region=plan.region, account_id=cp.context.account_id, partition=plan.partition,
            ), depends_on=before_nodes.addons)

        TerraformOutput(self, "cluster_name", value=cp.name)
        TerraformOutput(self, "cluster_endpoint", value=cp.endpoint)
        TerraformOutput(self, "cluster_certificate_authority_data", value=cp.certificate_authority_data)
        TerraformOutput(self, "oidc_issuer_url", value=cp.oidc_issuer)
        TerraformOutput(self, "oidc_provider_arn", value=cp.oidc_provider.arn)
        TerraformOutput(self, "cluster_security_group_id", value=cp.security_group_id)
        TerraformOutput(self, "kubeconfig_command", value=f"aws eks update-kubeconfig --region {plan.region} --name {cp.name}",
                        description="Run this to point kubectl at the cluster")

    def _observability(self, plan: ClusterPlan, cp: ControlPlane) -> None:
        """The CloudWatch agent's role (Pod Identity, through its add-on) and the GPU alarms."""
        agent = next((a for a in plan.addons if a.service_account == names.CLOUDWATCH_SERVICE_ACCOUNT), None)
        if agent is not None:
            role = PodIdentityRole(self, "cloudwatch_agent_role", props=PodIdentityRoleProps(
                name_prefix=f"{plan.name}-cloudwatch-", partition=plan.partition, managed_policies=("CloudWatchAgentServerPolicy",),
            ))
            self._addon_roles[agent.name] = role.arn
        if plan.alarms is not None:
            alarms = GpuAlarms(self, "gpu_alarms", props=GpuAlarmsProps(context=cp.context, plan=plan.alarms))
            if plan.alarms.topic:
                TerraformOutput(self, "gpu_alarm_topic_arn", value=alarms.topic.arn,
                                description="SNS topic of the GPU health alarms: subscribe your on-call address")

    def _storage(self, plan: ClusterPlan, network: NetworkRefs, cp: ControlPlane) -> StorageRefs:
        """The checkpoint bucket with the Mountpoint driver's role, and the Lustre file system."""
        self._addon_roles: dict[str, str] = {}
        refs = StorageRefs()
        if plan.storage.checkpoints is not None:
            bucket = CheckpointBucket(self, "checkpoint_bucket", props=CheckpointBucketProps(
                context=cp.context, plan=plan.storage.checkpoints,
            ))
            driver = PodIdentityRole(self, "mountpoint_role", props=PodIdentityRoleProps(
                name_prefix=f"{plan.name}-mountpoint-", partition=plan.partition, statements=bucket.read_write_statements(),
            ))
            mountpoint = next(a for a in plan.addons if a.service_account == names.MOUNTPOINT_SERVICE_ACCOUNT)
            self._addon_roles[mountpoint.name] = driver.arn
            refs = StorageRefs(checkpoint_bucket=bucket.name)
            TerraformOutput(self, "checkpoint_bucket_name", value=bucket.name, description="S3 bucket the training pods mount at /checkpoints")
        fsx = plan.storage.fsx
        if fsx is not None:
            lustre = LustreFileSystem(self, "lustre", props=LustreFileSystemProps(
                context=cp.context, plan=fsx, vpc_id=network.vpc_id,
                subnet_id=Fn.element(network.subnet_ids_in(fsx.availability_zone), 0),
                client_security_group_id=cp.security_group_id,
            ))
            refs = StorageRefs(checkpoint_bucket=refs.checkpoint_bucket, fsx_id=lustre.id, fsx_dns_name=lustre.dns_name,
                               fsx_mount_name=lustre.mount_name)
            TerraformOutput(self, "fsx_file_system_id", value=lustre.id, description="FSx for Lustre file system the pods mount at /fsx")
        return refs

    def _existing_network(self, plan: ClusterPlan) -> NetworkRefs:
        existing = plan.existing_vpc
        assert existing is not None
        zones = tuple(dict.fromkeys(g.availability_zone for g in plan.gpu_groups if g.availability_zone))
        if plan.storage.fsx is not None and plan.storage.fsx.availability_zone not in zones:
            zones += (plan.storage.fsx.availability_zone,)
        by_zone = {zone: ExistingSubnets(self, f"private_subnets_{zone}", props=ExistingSubnetsProps(
            private_subnet_ids=existing.private_subnet_ids, availability_zone=zone,
        )).ids for zone in zones}
        return NetworkRefs(vpc_id=existing.vpc_id, private_subnet_ids=list(existing.private_subnet_ids),
                           subnet_ids_by_zone=by_zone)
