"""The plan: everything the stacks build, derived once from a validated configuration.

``build_plan`` is the only reader of ``ClusterConfig`` after validation. Stacks,
constructs, Helm release specs and the synth summary all read the ``ClusterPlan``
it returns, so each derived fact (an EFA layout, a label, a price) has one source.
Nothing here imports cdktf or provider bindings: the plan is tested without a synth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .. import names
from ..components import node_health_check
from ..components.contract import IdentityPlan, PlanBasis
from ..model import ClusterConfig
from .addons import AddonPlan, addon_identities, addons_plan
from .alarms import AlarmsPlan, alarms_plan
from .backend import BackendPlan, backend_plan
from .control_plane import ControlPlanePlan, control_plane_plan
from .costs import CostPlan, cost_plan
from .network import ExistingVpcPlan, NetworkPlan, network_plan
from .nodes import GpuNodeGroupPlan, SystemNodesPlan, gpu_node_group_plan, system_nodes_plan
from .platform import PlatformPlan, platform_plan
from .storage import StoragePlan, storage_plan

StackRole = Literal["network", "cluster", "platform"]


@dataclass(frozen=True, kw_only=True)
class ClusterPlan:
    name: str
    region: str
    partition: str
    kubernetes_version: str
    tags: dict[str, str] = field(hash=False)  # every AWS resource's tags (the provider's default_tags)
    backend: BackendPlan
    network: NetworkPlan | None  # None: the user brings a VPC
    existing_vpc: ExistingVpcPlan | None
    control_plane: ControlPlanePlan
    addons: tuple[AddonPlan, ...]
    alarms: AlarmsPlan | None
    system_nodes: SystemNodesPlan
    gpu_groups: tuple[GpuNodeGroupPlan, ...]
    # The Pod Identity roles the cluster stack makes: the add-ons' and the platform components'.
    pod_identities: tuple[IdentityPlan, ...]
    storage: StoragePlan
    platform: PlatformPlan
    costs: CostPlan

    def stack_name(self, role: StackRole) -> str:
        return f"{self.name}-{role}"


def partition_of(region: str) -> str:
    """The ARN partition, known at synth time, so ARNs need no data source. The config
    admits only commercial regions (model.Region); this is the one place to extend."""
    return "aws"


def build_plan(config: ClusterConfig) -> ClusterPlan:
    name, region, partition = config.name, config.region, partition_of(config.region)
    network = None if config.network.existing_vpc else network_plan(name, region, partition, config.network)
    existing = config.network.existing_vpc
    existing_vpc = (
        ExistingVpcPlan(vpc_id=existing.vpc_id, private_subnet_ids=tuple(existing.private_subnet_ids)) if existing else None
    )
    node_repair = config.cluster.node_repair
    system_nodes = system_nodes_plan(config.system_nodes, node_repair=node_repair)
    raid0 = config.storage.local_nvme == "raid0"
    lustre = config.storage.fsx_lustre.enabled
    gpu_groups = tuple(
        gpu_node_group_plan(
            g,
            name,
            node_repair=node_repair,
            local_nvme_raid0=raid0,
            lustre_client=lustre,
            health_gated=node_health_check.group_config(config.health_check, g.health_check).enabled,
        )
        for g in config.gpu_node_groups
    )
    team_namespaces = [n for team in config.queues.teams for n in team.namespaces] if config.queues.enabled else []
    training_namespaces = tuple(dict.fromkeys([*config.training_operator.namespaces, *team_namespaces]))
    storage = storage_plan(
        config.storage,
        zones=tuple(config.network.availability_zones),
        efa_zones=tuple(g.availability_zone for g in gpu_groups if g.efa and g.availability_zone),
        training_namespaces=training_namespaces,
    )
    basis = PlanBasis(
        config=config,
        gpu_groups=gpu_groups,
        storage=storage,
        training_namespaces=training_namespaces,
        air_gapped=network is not None and network.nat_gateways == "none",
    )
    platform = platform_plan(basis)
    addons = addons_plan(basis)
    return ClusterPlan(
        name=name,
        region=region,
        partition=partition,
        kubernetes_version=config.kubernetes_version,
        tags={**config.tags, names.CLUSTER_TAG_KEY: name, names.MANAGED_BY_TAG_KEY: "cdktf"},
        backend=backend_plan(config.backend, name=name, region=region),
        network=network,
        existing_vpc=existing_vpc,
        control_plane=control_plane_plan(
            name=name,
            region=region,
            partition=partition,
            kubernetes_version=config.kubernetes_version,
            cluster=config.cluster,
        ),
        addons=addons,
        alarms=alarms_plan(config.observability, cluster_name=name, groups=gpu_groups),
        system_nodes=system_nodes,
        gpu_groups=gpu_groups,
        pod_identities=addon_identities(addons) + platform.identities,
        storage=storage,
        platform=platform,
        costs=cost_plan(
            region=config.region,
            network=network,
            system_nodes=system_nodes,
            gpu_groups=gpu_groups,
            storage=storage,
            kubernetes_version=config.kubernetes_version,
        ),
    )
