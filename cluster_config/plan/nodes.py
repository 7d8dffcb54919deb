"""What each node group is: instance facts, EFA interface layout, AMI, labels, taints, scaling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .. import catalog, names
from ..catalog import InstanceType
from ..model import TAINT_PATTERN, GpuNodeGroup, SystemNodes

EKS_TAINT_EFFECTS = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}
EKS_CAPACITY_TYPES: dict[str, Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]] = {
    "on_demand": "ON_DEMAND",
    "spot": "SPOT",
    "capacity_block": "CAPACITY_BLOCK",
}


@dataclass(frozen=True, kw_only=True)
class Scaling:
    min_size: int
    max_size: int
    desired_size: int


@dataclass(frozen=True, kw_only=True)
class UpdatePlan:
    """A group's rolling-update width: exactly one of the two is set (the rules check it)."""

    max_unavailable: int | None = None
    max_unavailable_percentage: int | None = None


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
    node_group_name: str
    instance: InstanceType  # the first type; the others have the same accelerators and EFA layout
    instance_types: tuple[str, ...]
    scaling: Scaling
    capacity_type: Literal["ON_DEMAND", "SPOT", "CAPACITY_BLOCK"]
    capacity_reservation_id: str | None
    capacity_block_usd_per_hour: float | None  # what the user paid per instance-hour; None: unknown
    availability_zone: str | None
    efa: bool
    network_interfaces: tuple[NetworkInterface, ...]
    ami_type: str
    root_volume_gib: int
    labels: dict[str, str] = field(hash=False)
    taints: tuple[Taint, ...]  # what the group's workloads tolerate
    # Taints a node registers with and loses once it is ready for work: the health gate's, when the
    # group's health check is on. No workload tolerates them; the autoscaler knows them (--startup-taint).
    startup_taints: tuple[Taint, ...]
    update: UpdatePlan
    node_repair: bool
    # The instance-store NVMe disks, assembled as one RAID0 array for kubelet and
    # containerd (images and emptyDir scratch); False: they stay unused.
    local_nvme_raid0: bool
    # Pods mount the FSx for Lustre file system; AL2023 nodes need the Lustre client,
    # which the EKS AMI does not ship (Bottlerocket has it built in).
    lustre_client: bool

    @property
    def node_taints(self) -> tuple[Taint, ...]:
        """What a new node of the group registers with: the node group's taints."""
        return (*self.taints, *self.startup_taints)

    @property
    def user_data(self) -> str | None:
        """Launch-template user data; EKS merges its own bootstrap settings into it."""
        if self.bottlerocket:
            return BOTTLEROCKET_EPHEMERAL_STORAGE if self.local_nvme_raid0 else None
        parts = []
        if self.local_nvme_raid0:
            parts.append(("application/node.eks.aws", AL2023_LOCAL_STORAGE_RAID0))
        if self.lustre_client:
            parts.append(('text/x-shellscript; charset="us-ascii"', AL2023_LUSTRE_CLIENT))
        return mime_multipart(parts) if parts else None

    @property
    def scratch_gb(self) -> int | None:
        """Local scratch per node on the NVMe array; None: scratch shares the EBS root volume.
        With several types, the smallest array: a job must fit on whichever type Spot gives."""
        if not self.local_nvme_raid0:
            return None
        return min(catalog.INSTANCE_TYPES[name].instance_store_gb for name in self.instance_types)

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
    def nvidia(self) -> bool:
        return self.instance.accelerator_kind == "nvidia"

    @property
    def efa_interfaces(self) -> int:
        return sum(1 for n in self.network_interfaces if n.interface_type == "efa-only")

    @property
    def accelerator_resource(self) -> str:
        return names.NVIDIA_GPU_RESOURCE if self.nvidia else names.NEURON_RESOURCE

    @property
    def resources_per_node(self) -> dict[str, int]:
        """The extended resources one node advertises, and a whole-node pod requests."""
        resources = {self.accelerator_resource: self.instance.accelerators}
        if self.efa:
            resources[names.EFA_RESOURCE] = self.efa_interfaces
        return resources

    @property
    def ephemeral_storage(self) -> str:
        """The ephemeral storage a node of this group offers pods, as a Kubernetes quantity.

        kubelet's directory is on the NVMe array where the group has one, else on the EBS
        volume. Allocatable is that file system less kube- and system-reserved and the hard
        eviction threshold (Kubernetes docs, "Reserve Compute Resources for System
        Daemons"); kubelet's default threshold is nodefs.available<10% (Kubernetes docs,
        "Node-pressure Eviction"), so 90% of the disk, rounded down. The file system's own
        metadata and any ephemeral-storage kube-reserved the AMI sets take a little more,
        which this figure does not know: a pod asking for the very last gigabytes may
        still not fit the node it was scaled up for.
        """
        if self.scratch_gb is not None:
            return f"{self.scratch_gb * 9 // 10}G"  # instance-store sizes are decimal GB (AC-DOC)
        return f"{self.root_volume_gib * 9 // 10}Gi"

    @property
    def autoscaler_node_template_tags(self) -> dict[str, str]:
        """What a node of this group would carry, for cluster-autoscaler's scale-from-zero."""
        prefix = names.AUTOSCALER_NODE_TEMPLATE_TAG
        tags = {f"{prefix}/label/{k}": v for k, v in self.labels.items()}
        # The startup taint too, as the node group has it: cluster-autoscaler drops a --startup-taint
        # from the template it builds (kubernetes/autoscaler cluster-autoscaler/FAQ.md, startup
        # taints), so the tag says what a node carries without keeping a pod from scaling up.
        tags.update({f"{prefix}/taint/{t.key}": f"{t.value}:{t.effect}" for t in self.node_taints})
        tags.update({f"{prefix}/resources/{resource}": str(count) for resource, count in self.resources_per_node.items()})
        # cluster-autoscaler's AWS provider builds a node from zero with pods, cpu, memory and
        # nvidia.com/gpu only, then adds the resources these tags name, parsed as quantities,
        # and takes allocatable to be that capacity (kubernetes/autoscaler
        # cluster-autoscaler/cloudprovider/aws/aws_manager.go buildNodeFromTemplate and
        # extractAllocatableResourcesFromAsg; README "Auto-Discovery Setup", the
        # node-template/resources/ephemeral-storage tag). Without it a pending pod that
        # requests ephemeral storage never fits a group at zero, and nothing scales up.
        tags[f"{prefix}/resources/ephemeral-storage"] = self.ephemeral_storage
        return tags


@dataclass(frozen=True, kw_only=True)
class SystemNodesPlan:
    """CPU nodes for the platform's controllers; the label is what their nodeSelectors match."""

    instance_types: tuple[str, ...]
    scaling: Scaling
    root_volume_gib: int
    labels: dict[str, str] = field(hash=False)
    node_repair: bool
    ami_type: str = "AL2023_x86_64_STANDARD"
    capacity_type: str = "ON_DEMAND"


# AL2023: nodeadm assembles every instance-store disk into one XFS RAID0 array at
# /mnt/k8s-disks/0 and bind-mounts kubelet's, containerd's and the pod-log directories
# onto it, so images and emptyDir volumes live on NVMe; on a type without disks it does
# nothing (nodeadm API reference, NodeConfig spec.instance.localStorage).
AL2023_LOCAL_STORAGE_RAID0 = """---
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  instance:
    localStorage:
      strategy: RAID0
"""

# The FSx for Lustre user guide's client install for Amazon Linux 2023. dnf reaches the
# AL2023 repositories (hosted in S3) through NAT or the S3 gateway endpoint.
AL2023_LUSTRE_CLIENT = """#!/bin/bash
set -euo pipefail
dnf install -y lustre-client
"""


def mime_multipart(parts: list[tuple[str, str]]) -> str:
    """EKS managed node groups take AL2023 user data only as MIME multipart, and add
    their own NodeConfig part to it (EKS user guide, "Customize managed nodes with
    launch templates", AL2023 user data)."""
    out = ["MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="GPUEKS"', ""]
    for content_type, body in parts:
        out += ["--GPUEKS", f"Content-Type: {content_type}", "", body]
    out.append("--GPUEKS--")
    return "\n".join(out) + "\n"


# Bottlerocket: its own ephemeral-storage API builds the RAID0 array and binds the
# kubelet, containerd and pod-log directories onto it, before kubelet starts
# (Bottlerocket settings reference, settings.bootstrap-commands; apiclient ephemeral-storage).
BOTTLEROCKET_EPHEMERAL_STORAGE = (
    '[settings.bootstrap-commands.k8s-ephemeral-storage]\n'
    'commands = [["apiclient", "ephemeral-storage", "init"], '
    '["apiclient", "ephemeral-storage", "bind", "--dirs", "/var/lib/containerd", "/var/lib/kubelet", "/var/log/pods"]]\n'
    'essential = true\n'
    'mode = "always"\n'
)


def scaling(group: GpuNodeGroup | SystemNodes) -> Scaling:
    return Scaling(min_size=group.min_size, max_size=group.max_size, desired_size=group.desired_size)


def efa_enabled(group: GpuNodeGroup) -> bool:
    """``efa: auto`` means on wherever every type of the group supports it; an unknown type has none."""
    instances = [catalog.lookup(name) for name in group.types]
    supported = bool(instances) and all(i is not None and i.efa_supported for i in instances)
    return supported if group.efa == "auto" else bool(group.efa)


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


def accelerator_label_value(instance: InstanceType) -> str:
    """``NVIDIA A100 40GB`` -> ``nvidia-a100-40gb``: cluster-autoscaler reads the label's
    presence; the value names the GPU model for people and for per-model limits."""
    return "-".join(instance.accelerator.lower().split())


def ami_type(instance: InstanceType, family: str) -> str:
    if instance.accelerator_kind == "neuron":
        return "AL2023_x86_64_NEURON" if family == "al2023" else "BOTTLEROCKET_x86_64"
    return "AL2023_x86_64_NVIDIA" if family == "al2023" else "BOTTLEROCKET_x86_64_NVIDIA"


def parse_taint(text: str) -> Taint:
    match = TAINT_PATTERN.match(text)
    assert match, text  # validated in model.py
    return Taint(key=match["key"], value=match["value"] or "", effect=match["effect"])


def _taints(group: GpuNodeGroup, instance: InstanceType) -> tuple[Taint, ...]:
    default = names.DEFAULT_NVIDIA_TAINT if instance.accelerator_kind == "nvidia" else names.DEFAULT_NEURON_TAINT
    return tuple(parse_taint(text) for text in group.taints or [default])


def gpu_node_group_plan(
    group: GpuNodeGroup,
    cluster_name: str,
    *,
    node_repair: bool = True,
    local_nvme_raid0: bool = True,
    lustre_client: bool = False,
    health_gated: bool = False,
) -> GpuNodeGroupPlan:
    instance = catalog.INSTANCE_TYPES[group.types[0]]  # the types are interchangeable (rules.py)
    efa = efa_enabled(group)
    labels = dict(group.labels)
    if instance.accelerator_kind == "nvidia":
        labels[names.GPU_PRESENT_LABEL] = "true"
        labels[names.ACCELERATOR_LABEL] = accelerator_label_value(instance)
    else:
        labels[names.NEURON_PRESENT_LABEL] = "true"
    if efa:
        labels[names.EFA_PRESENT_LABEL] = "true"
    return GpuNodeGroupPlan(
        name=group.name,
        node_group_name=names.node_group_name(cluster_name, group.name),
        instance=instance,
        instance_types=tuple(group.types),
        scaling=scaling(group),
        capacity_type=EKS_CAPACITY_TYPES[group.capacity_type],
        capacity_reservation_id=group.capacity_reservation_id,
        capacity_block_usd_per_hour=group.capacity_block_usd_per_hour,
        availability_zone=group.availability_zone,
        efa=efa,
        network_interfaces=efa_interface_layout(instance) if efa else (),
        ami_type=ami_type(instance, group.ami_type),
        root_volume_gib=group.root_volume_gib,
        labels=labels,
        taints=_taints(group, instance),
        update=UpdatePlan(
            max_unavailable=group.update.max_unavailable, max_unavailable_percentage=group.update.max_unavailable_percentage
        ),
        startup_taints=(parse_taint(names.HEALTH_PENDING_TAINT),) if health_gated else (),
        node_repair=node_repair,
        local_nvme_raid0=local_nvme_raid0 and instance.instance_store_disks > 0,
        lustre_client=lustre_client,
    )


def system_nodes_plan(system: SystemNodes, *, node_repair: bool = True) -> SystemNodesPlan:
    return SystemNodesPlan(
        instance_types=tuple(system.instance_types),
        scaling=scaling(system),
        root_volume_gib=system.root_volume_gib,
        labels=dict(names.SYSTEM_NODE_LABELS),
        node_repair=node_repair,
    )
