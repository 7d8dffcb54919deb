"""Derived, binding-free descriptions of what the stacks build.

The constructs in ``modules/`` take these as props. Keeping the derivation here
(subnet CIDRs, EFA interface layouts, AMI types, taints) lets it be tested
without a synth and keeps every instance-type rule next to the catalog.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from . import catalog
from .catalog import InstanceType
from .model import ClusterConfig, GpuNodeGroup
from .model import TAINT_PATTERN
from .rules import PROJECT_TAG_KEYS, efa_enabled

GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
NEURON_PRESENT_LABEL = "aws.amazon.com/neuron.present"
EFA_PRESENT_LABEL = "vpc.amazonaws.com/efa.present"
AUTOSCALER_NODE_TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


@dataclass(frozen=True, kw_only=True)
class SubnetPlan:
    availability_zone: str
    private_cidr: str
    public_cidr: str


@dataclass(frozen=True, kw_only=True)
class NetworkPlan:
    name: str
    region: str
    vpc_cidr: str
    subnets: tuple[SubnetPlan, ...]
    nat_gateways: Literal["single", "one_per_az", "none"]
    vpc_endpoints: tuple[str, ...]
    flow_logs_retention_days: int


@dataclass(frozen=True, kw_only=True)
class NetworkInterface:
    network_card_index: int
    device_index: int
    interface_type: Literal["interface", "efa-only"]


@dataclass(frozen=True, kw_only=True)
class Taint:
    key: str
    value: str
    effect: str  # Kubernetes spelling, e.g. NoSchedule

    @property
    def eks_effect(self) -> str:
        return EKS_TAINT_EFFECTS[self.effect]


@dataclass(frozen=True, kw_only=True)
class GpuNodeGroupPlan:
    name: str
    instance: InstanceType
    min_size: int
    max_size: int
    desired_size: int
    capacity_type: Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]
    capacity_reservation_id: str | None
    availability_zone: str | None
    efa: bool
    network_interfaces: tuple[NetworkInterface, ...]
    ami_type: str
    root_volume_gib: int
    labels: dict[str, str] = field(hash=False)
    taints: tuple[Taint, ...]

    @property
    def cluster_placement_group(self) -> bool:
        """EFA groups go in a cluster placement group, except on reserved capacity:
        an ODCR cannot be moved into a placement group made after it, and a
        Capacity Block is already co-located by EC2."""
        return self.efa and self.capacity_reservation_id is None

    @property
    def bottlerocket(self) -> bool:
        return self.ami_type.startswith("BOTTLEROCKET")

    @property
    def efa_interfaces(self) -> int:
        return sum(1 for n in self.network_interfaces if n.interface_type == "efa-only")

    @property
    def accelerator_resource(self) -> str:
        return "nvidia.com/gpu" if self.instance.accelerator_kind == "nvidia" else "aws.amazon.com/neuron"

    @property
    def autoscaler_node_template_tags(self) -> dict[str, str]:
        """What a node of this group would carry, for cluster-autoscaler's scale-from-zero."""
        tags = {f"{AUTOSCALER_NODE_TEMPLATE}/label/{k}": v for k, v in self.labels.items()}
        tags.update({f"{AUTOSCALER_NODE_TEMPLATE}/taint/{t.key}": f"{t.value}:{t.effect}" for t in self.taints})
        tags[f"{AUTOSCALER_NODE_TEMPLATE}/resources/{self.accelerator_resource}"] = str(self.instance.accelerators)
        if self.efa:
            tags[f"{AUTOSCALER_NODE_TEMPLATE}/resources/vpc.amazonaws.com/efa"] = str(self.efa_interfaces)
        return tags


@dataclass(frozen=True, kw_only=True)
class SystemNodesPlan:
    instance_types: tuple[str, ...]
    min_size: int
    max_size: int
    desired_size: int
    root_volume_gib: int


def node_group_name(cluster_name: str, group_name: str) -> str:
    """The EKS node group name; the platform's selectors match it via eks.amazonaws.com/nodegroup."""
    return f"{cluster_name}-{group_name}"


def efa_interface_layout(instance: InstanceType) -> tuple[NetworkInterface, ...]:
    """AWS's current layout: ENA primary on card 0/device 0, EFA-only everywhere else.

    The primary interface cannot be EFA-only. If card 0 carries EFA, its EFA-only
    interface goes at device 1; every further card gets one EFA-only interface at
    device 0, up to the instance's EFA maximum (one EFA per card).
    Source: EC2 user guide, "Maximize network bandwidth on instances with multiple
    network cards"; EKS user guide P6-B200 launch-template example.
    """
    layout = [NetworkInterface(network_card_index=0, device_index=0, interface_type="interface")]
    remaining = instance.max_efa_interfaces
    if instance.card0_supports_efa and remaining:
        layout.append(NetworkInterface(network_card_index=0, device_index=1, interface_type="efa-only"))
        remaining -= 1
    for card in range(1, instance.network_cards):
        if not remaining:
            break
        layout.append(NetworkInterface(network_card_index=card, device_index=0, interface_type="efa-only"))
        remaining -= 1
    return tuple(layout)


def ami_type(instance: InstanceType, family: str) -> str:
    if instance.accelerator_kind == "neuron":
        return "AL2023_x86_64_NEURON" if family == "al2023" else "BOTTLEROCKET_x86_64"
    return "AL2023_x86_64_NVIDIA" if family == "al2023" else "BOTTLEROCKET_x86_64_NVIDIA"


def _taints(group: GpuNodeGroup, instance: InstanceType) -> tuple[Taint, ...]:
    written = group.taints or [
        "nvidia.com/gpu=true:NoSchedule" if instance.accelerator_kind == "nvidia" else "aws.amazon.com/neuron=true:NoSchedule"
    ]
    taints = []
    for text in written:
        match = TAINT_PATTERN.match(text)
        assert match, text  # validated in model.py
        taints.append(Taint(key=match["key"], value=match["value"] or "", effect=match["effect"]))
    return tuple(taints)


def gpu_node_group_plan(group: GpuNodeGroup) -> GpuNodeGroupPlan:
    instance = catalog.INSTANCE_TYPES[group.instance_type]
    efa = efa_enabled(group)
    labels = dict(group.labels)
    labels[GPU_PRESENT_LABEL if instance.accelerator_kind == "nvidia" else NEURON_PRESENT_LABEL] = "true"
    if efa:
        labels[EFA_PRESENT_LABEL] = "true"
    return GpuNodeGroupPlan(
        name=group.name,
        instance=instance,
        min_size=group.min_size,
        max_size=group.max_size,
        desired_size=group.desired_size,
        capacity_type={"on_demand": "ON_DEMAND", "spot": "SPOT", "capacity_block": "CAPACITY_BLOCK"}[group.capacity_type],
        capacity_reservation_id=group.capacity_reservation_id,
        availability_zone=group.availability_zone,
        efa=efa,
        network_interfaces=efa_interface_layout(instance) if efa else (),
        ami_type=ami_type(instance, group.ami_type),
        root_volume_gib=group.root_volume_gib,
        labels=labels,
        taints=_taints(group, instance),
    )


def network_plan(config: ClusterConfig) -> NetworkPlan:
    """Private subnets take the first eighths of the VPC (one /19 each in a /16);
    public subnets share the last eighth, since they hold only NAT gateways and
    load balancers."""
    vpc = ipaddress.IPv4Network(config.network.vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    public_slices = list(eighths[-1].subnets(prefixlen_diff=3))
    subnets = tuple(
        SubnetPlan(availability_zone=az, private_cidr=str(eighths[i]), public_cidr=str(public_slices[i]))
        for i, az in enumerate(config.network.availability_zones)
    )
    return NetworkPlan(
        name=config.name,
        region=config.region,
        vpc_cidr=config.network.vpc_cidr,
        subnets=subnets,
        nat_gateways=config.network.nat_gateways,
        vpc_endpoints=tuple(config.network.vpc_endpoints),
        flow_logs_retention_days=config.network.flow_logs_retention_days,
    )


def system_nodes_plan(config: ClusterConfig) -> SystemNodesPlan:
    s = config.system_nodes
    return SystemNodesPlan(
        instance_types=tuple(s.instance_types), min_size=s.min_size, max_size=s.max_size,
        desired_size=s.desired_size, root_volume_gib=s.root_volume_gib,
    )


def default_tags(config: ClusterConfig) -> dict[str, str]:
    cluster_key, managed_key = PROJECT_TAG_KEYS
    return {**config.tags, cluster_key: config.name, managed_key: "cdktf"}
