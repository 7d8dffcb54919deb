from __future__ import annotations

import dataclasses
from typing import Callable

from cdktf import Fn, TerraformOutput, TerraformStack
from constructs import Construct

from cluster_config.components.contract import Grant, PodIdentity
from cluster_config.context import ClusterContext
from cluster_config.inputs import PlatformInputs
from cluster_config.plan import ClusterPlan
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
from .network_refs import NetworkRefs


class ClusterStack(TerraformStack):
    """The control plane, its add-ons and node groups, the Pod Identity roles of the components that
    need one, the shared storage and the GPU alarms. ``inputs``: what the platform stack reads."""

    def __init__(self, scope: Construct, id_: str, *, plan: ClusterPlan, network: NetworkRefs | None) -> None:
        """``network``: from the network stack, or None when the user brings a VPC."""
        super().__init__(scope, id_)
        state_backend(self, plan, "cluster")
        aws_access(self, plan)
        if network is None:
            network = self._existing_network(plan)

        self.control_plane = cp = ControlPlane(
            self,
            "control_plane",
            props=ControlPlaneProps(
                plan=plan.control_plane,
                subnet_ids=network.private_subnet_ids,
            ),
        )
        context = cp.context
        before_nodes = ManagedAddons(
            self,
            "addons_before_nodes",
            props=ManagedAddonsProps(
                context=context,
                addons=tuple(a for a in plan.addons if a.before_nodes),
                kubernetes_version=plan.kubernetes_version,
            ),
        )
        node_role = NodeRole(self, "node_role", props=NodeRoleProps(context=context))
        node_prerequisites = [*node_role.attachments, *before_nodes.addons]

        system = SystemNodeGroup(
            self,
            "system_nodes",
            props=SystemNodeGroupProps(
                context=context,
                node_role_arn=node_role.arn,
                subnet_ids=network.private_subnet_ids,
                plan=plan.system_nodes,
            ),
            depends_on=node_prerequisites,
        )
        grants = self._storage(plan, network, context)
        role_arns = self._pod_identities(plan, context, grants, agent=before_nodes.addons)
        ManagedAddons(
            self,
            "addons_after_nodes",
            props=ManagedAddonsProps(
                context=context,
                addons=tuple(a for a in plan.addons if not a.before_nodes),
                role_arns=role_arns,
                kubernetes_version=plan.kubernetes_version,
            ),
            depends_on=[system.node_group],
        )
        self._alarms(plan, context)

        for group in plan.gpu_groups:
            GpuNodeGroup(
                self,
                f"gpu_{group.name}",
                props=GpuNodeGroupProps(
                    context=context,
                    vpc_id=network.vpc_id,
                    node_role_arn=node_role.arn,
                    cluster_security_group_id=cp.security_group_id,
                    subnet_ids=network.subnet_ids_in(group.availability_zone),
                    plan=group,
                ),
                depends_on=node_prerequisites,
            )

        TerraformOutput(self, "cluster_name", value=cp.name)
        TerraformOutput(self, "cluster_endpoint", value=cp.endpoint)
        TerraformOutput(self, "cluster_certificate_authority_data", value=cp.certificate_authority_data)
        TerraformOutput(self, "oidc_issuer_url", value=cp.oidc_issuer)
        TerraformOutput(self, "oidc_provider_arn", value=cp.oidc_provider.arn)
        TerraformOutput(self, "cluster_security_group_id", value=cp.security_group_id)
        TerraformOutput(
            self,
            "kubeconfig_command",
            value=f"aws eks update-kubeconfig --region {plan.region} --name {cp.name}",
            description="Run this to point kubectl at the cluster",
        )

    def _pod_identities(
        self,
        plan: ClusterPlan,
        context: ClusterContext,
        grants: dict[Grant, Callable[[PodIdentity], tuple[dict, ...]]],
        *,
        agent: list,
    ) -> dict[str, str]:
        """One role per identity in the plan. A role with an association of its own waits for ``agent``,
        the Pod Identity agent add-on; an add-on's role ARN is returned by the add-on's name."""
        role_arns: dict[str, str] = {}
        for planned in plan.pod_identities:
            missing = [g.value for g in planned.identity.grants if g not in grants]
            if missing:
                raise ValueError(f"{planned.component} asks to {', '.join(missing)}, which this cluster does not have")
            role = PodIdentityRole(
                self,
                planned.identity.construct_id,
                props=PodIdentityRoleProps(
                    context=context,
                    identity=planned.identity,
                    associate=planned.associate,
                    granted=tuple(s for g in planned.identity.grants for s in grants[g](planned.identity)),
                ),
                depends_on=agent if planned.associate else (),
            )
            if not planned.associate:
                role_arns[planned.component] = role.arn
        return role_arns

    def _alarms(self, plan: ClusterPlan, context: ClusterContext) -> None:
        if plan.alarms is not None:
            alarms = GpuAlarms(self, "gpu_alarms", props=GpuAlarmsProps(context=context, plan=plan.alarms))
            if plan.alarms.topic:
                TerraformOutput(
                    self,
                    "gpu_alarm_topic_arn",
                    value=alarms.topic.arn,
                    description="SNS topic of the GPU health alarms: subscribe your on-call address",
                )

    def _storage(
        self, plan: ClusterPlan, network: NetworkRefs, context: ClusterContext
    ) -> dict[Grant, Callable[[PodIdentity], tuple[dict, ...]]]:
        """The checkpoint bucket and the Lustre file system; sets ``inputs``, returns the grants they
        offer, each the statements for the identity that asks."""
        grants: dict[Grant, Callable[[PodIdentity], tuple[dict, ...]]] = {}
        self.inputs = PlatformInputs()
        if plan.storage.checkpoints is not None:
            bucket = CheckpointBucket(
                self,
                "checkpoint_bucket",
                props=CheckpointBucketProps(
                    context=context,
                    plan=plan.storage.checkpoints,
                ),
            )
            grants[Grant.CHECKPOINT_BUCKET_READ_WRITE] = lambda identity: bucket.read_write_statements()
            grants[Grant.CHECKPOINT_NAMESPACE_PREFIX_READ_WRITE] = lambda identity: bucket.prefix_statements(
                identity.namespace, context.region
            )
            self.inputs = PlatformInputs(checkpoint_bucket=bucket.name)
            TerraformOutput(
                self, "checkpoint_bucket_name", value=bucket.name, description="S3 bucket the training pods mount at /checkpoints"
            )
        fsx = plan.storage.fsx
        if fsx is not None:
            lustre = LustreFileSystem(
                self,
                "lustre",
                props=LustreFileSystemProps(
                    context=context,
                    plan=fsx,
                    vpc_id=network.vpc_id,
                    subnet_id=Fn.element(network.subnet_ids_in(fsx.availability_zone), 0),
                    client_security_group_id=self.control_plane.security_group_id,
                ),
            )
            self.inputs = dataclasses.replace(
                self.inputs, fsx_id=lustre.id, fsx_dns_name=lustre.dns_name, fsx_mount_name=lustre.mount_name
            )
            TerraformOutput(
                self, "fsx_file_system_id", value=lustre.id, description="FSx for Lustre file system the pods mount at /fsx"
            )
        return grants

    def _existing_network(self, plan: ClusterPlan) -> NetworkRefs:
        existing = plan.existing_vpc
        assert existing is not None
        zones = tuple(dict.fromkeys(g.availability_zone for g in plan.gpu_groups if g.availability_zone))
        if plan.storage.fsx is not None and plan.storage.fsx.availability_zone not in zones:
            zones += (plan.storage.fsx.availability_zone,)
        by_zone = {
            zone: ExistingSubnets(
                self,
                f"private_subnets_{zone}",
                props=ExistingSubnetsProps(
                    private_subnet_ids=existing.private_subnet_ids,
                    availability_zone=zone,
                ),
            ).ids
            for zone in zones
        }
        return NetworkRefs(
            vpc_id=existing.vpc_id, private_subnet_ids=list(existing.private_subnet_ids), subnet_ids_by_zone=by_zone
        )
