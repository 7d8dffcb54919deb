"""The one place that knows GPU and Trainium instance facts.

Every GPU count, EFA count, network-card count and price the project uses comes
from here. Values are from the team's reference table (shared/reference/
gpu-instances.csv), which cites EC2 DescribeInstanceTypes-derived data
(karpenter, eksctl, amazon-vpc-cni-k8s generated tables) and AWS documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PRICE_SOURCE = "karpenter us-east-1 On-Demand price file generated 2026-07-20 (cross-checked with vantage-derived data, 2026-08-26)"
PRICE_REGION = "us-east-1"

AcceleratorKind = Literal["nvidia", "neuron"]


@dataclass(frozen=True, kw_only=True)
class InstanceType:
    name: str
    accelerator: str
    accelerator_kind: AcceleratorKind
    accelerators: int
    accelerator_memory_gib: float
    vcpus: int
    memory_gib: int
    network_gbps: str
    network_cards: int
    max_efa_interfaces: int
    # AWS lets at most one EFA per network card. Where max_efa_interfaces equals
    # network_cards every card, card 0 included, carries an EFA. p6-b300 is the
    # exception: 17 cards, card 0 ENA-only (AWS engineering, aws-parallelcluster#7143).
    card0_supports_efa: bool
    nvlink: bool
    # GPUDirect RDMA over EFA (NCCL's FI_EFA_USE_DEVICE_RDMA): the p4/p5/p6 families.
    gpudirect_rdma: bool
    instance_store_disks: int  # local NVMe disks; 0: none
    instance_store_gb: int  # their total size
    capacity_block: bool  # sold as EC2 Capacity Blocks for ML
    on_demand_usd_per_hour: float | None  # None: no published On-Demand price (Capacity Blocks only)

    @property
    def efa_supported(self) -> bool:
        return self.max_efa_interfaces > 0

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]


_T4 = dict(accelerator="NVIDIA T4", accelerator_kind="nvidia", accelerator_memory_gib=16.0, nvlink=False)
_A10G = dict(accelerator="NVIDIA A10G", accelerator_kind="nvidia", accelerator_memory_gib=22.35, nvlink=False)
_L4 = dict(accelerator="NVIDIA L4", accelerator_kind="nvidia", accelerator_memory_gib=22.35, nvlink=False)
_L40S = dict(accelerator="NVIDIA L40S", accelerator_kind="nvidia", accelerator_memory_gib=44.70, nvlink=False)
_NO_EFA = dict(network_cards=1, max_efa_interfaces=0, card0_supports_efa=False)
_ONE_EFA = dict(network_cards=1, max_efa_interfaces=1, card0_supports_efa=True)

INSTANCE_TYPES: dict[str, InstanceType] = {
    t.name: t
    for t in (
        InstanceType(name="g4dn.xlarge", **_T4, accelerators=1, vcpus=4, memory_gib=16, network_gbps="5 (burst 25)", **_NO_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=125, capacity_block=False, on_demand_usd_per_hour=0.526),
        InstanceType(name="g4dn.12xlarge", **_T4, accelerators=4, vcpus=48, memory_gib=192, network_gbps="50", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=900, capacity_block=False, on_demand_usd_per_hour=3.912),
        InstanceType(name="g4dn.metal", **_T4, accelerators=8, vcpus=96, memory_gib=384, network_gbps="100", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=2, instance_store_gb=1800, capacity_block=False, on_demand_usd_per_hour=7.824),
        InstanceType(name="g5.xlarge", **_A10G, accelerators=1, vcpus=4, memory_gib=16, network_gbps="2.5 (burst 10)", **_NO_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=250, capacity_block=False, on_demand_usd_per_hour=1.006),
        InstanceType(name="g5.2xlarge", **_A10G, accelerators=1, vcpus=8, memory_gib=32, network_gbps="5 (burst 10)", **_NO_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=450, capacity_block=False, on_demand_usd_per_hour=1.212),
        InstanceType(name="g5.12xlarge", **_A10G, accelerators=4, vcpus=48, memory_gib=192, network_gbps="40", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=3800, capacity_block=False, on_demand_usd_per_hour=5.672),
        InstanceType(name="g5.48xlarge", **_A10G, accelerators=8, vcpus=192, memory_gib=768, network_gbps="100", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=2, instance_store_gb=7600, capacity_block=False, on_demand_usd_per_hour=16.288),
        InstanceType(name="g6.xlarge", **_L4, accelerators=1, vcpus=4, memory_gib=16, network_gbps="2.5 (burst 10)", **_NO_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=250, capacity_block=False, on_demand_usd_per_hour=0.8048),
        InstanceType(name="g6.12xlarge", **_L4, accelerators=4, vcpus=48, memory_gib=192, network_gbps="40", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=4, instance_store_gb=3760, capacity_block=False, on_demand_usd_per_hour=4.6016),
        InstanceType(name="g6.48xlarge", **_L4, accelerators=8, vcpus=192, memory_gib=768, network_gbps="100", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=8, instance_store_gb=7520, capacity_block=False, on_demand_usd_per_hour=13.3504),
        InstanceType(name="g6e.xlarge", **_L40S, accelerators=1, vcpus=4, memory_gib=32, network_gbps="2.5 (burst 20)", **_NO_EFA, gpudirect_rdma=False, instance_store_disks=1, instance_store_gb=250, capacity_block=False, on_demand_usd_per_hour=1.861),
        InstanceType(name="g6e.12xlarge", **_L40S, accelerators=4, vcpus=48, memory_gib=384, network_gbps="100", **_ONE_EFA, gpudirect_rdma=False, instance_store_disks=2, instance_store_gb=3800, capacity_block=False, on_demand_usd_per_hour=10.49264),
        InstanceType(name="g6e.48xlarge", **_L40S, accelerators=8, vcpus=192, memory_gib=1536, network_gbps="400", network_cards=4, max_efa_interfaces=4, card0_supports_efa=True, gpudirect_rdma=False, instance_store_disks=4, instance_store_gb=7600, capacity_block=False, on_demand_usd_per_hour=30.13118),
        InstanceType(name="p4d.24xlarge", accelerator="NVIDIA A100 40GB", accelerator_kind="nvidia", accelerator_memory_gib=40.0, nvlink=True, accelerators=8, vcpus=96, memory_gib=1152, network_gbps="400", network_cards=4, max_efa_interfaces=4, card0_supports_efa=True, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=8000, capacity_block=True, on_demand_usd_per_hour=21.957642),
        InstanceType(name="p4de.24xlarge", accelerator="NVIDIA A100 80GB", accelerator_kind="nvidia", accelerator_memory_gib=80.0, nvlink=True, accelerators=8, vcpus=96, memory_gib=1152, network_gbps="400", network_cards=4, max_efa_interfaces=4, card0_supports_efa=True, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=8000, capacity_block=True, on_demand_usd_per_hour=27.44705),
        InstanceType(name="p5.48xlarge", accelerator="NVIDIA H100", accelerator_kind="nvidia", accelerator_memory_gib=80.0, nvlink=True, accelerators=8, vcpus=192, memory_gib=2048, network_gbps="3200", network_cards=32, max_efa_interfaces=32, card0_supports_efa=True, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=30400, capacity_block=True, on_demand_usd_per_hour=55.04),
        InstanceType(name="p5e.48xlarge", accelerator="NVIDIA H200", accelerator_kind="nvidia", accelerator_memory_gib=141.0, nvlink=True, accelerators=8, vcpus=192, memory_gib=2048, network_gbps="3200", network_cards=32, max_efa_interfaces=32, card0_supports_efa=True, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=30400, capacity_block=True, on_demand_usd_per_hour=None),
        InstanceType(name="p5en.48xlarge", accelerator="NVIDIA H200", accelerator_kind="nvidia", accelerator_memory_gib=141.0, nvlink=True, accelerators=8, vcpus=192, memory_gib=2048, network_gbps="3200", network_cards=16, max_efa_interfaces=16, card0_supports_efa=True, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=30400, capacity_block=True, on_demand_usd_per_hour=63.296),
        InstanceType(name="p6-b200.48xlarge", accelerator="NVIDIA B200", accelerator_kind="nvidia", accelerator_memory_gib=179.06, nvlink=True, accelerators=8, vcpus=192, memory_gib=2048, network_gbps="3200", network_cards=8, max_efa_interfaces=8, card0_supports_efa=True, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=30400, capacity_block=True, on_demand_usd_per_hour=113.9328),
        InstanceType(name="p6-b300.48xlarge", accelerator="NVIDIA B300", accelerator_kind="nvidia", accelerator_memory_gib=268.59, nvlink=True, accelerators=8, vcpus=192, memory_gib=4096, network_gbps="6400", network_cards=17, max_efa_interfaces=16, card0_supports_efa=False, gpudirect_rdma=True, instance_store_disks=8, instance_store_gb=30400, capacity_block=True, on_demand_usd_per_hour=142.416),
        InstanceType(name="trn1.32xlarge", accelerator="AWS Trainium", accelerator_kind="neuron", accelerator_memory_gib=32.0, nvlink=False, accelerators=16, vcpus=128, memory_gib=512, network_gbps="800", network_cards=8, max_efa_interfaces=8, card0_supports_efa=True, gpudirect_rdma=False, instance_store_disks=4, instance_store_gb=7600, capacity_block=True, on_demand_usd_per_hour=21.5),
        InstanceType(name="trn2.48xlarge", accelerator="AWS Trainium2", accelerator_kind="neuron", accelerator_memory_gib=96.0, nvlink=False, accelerators=16, vcpus=192, memory_gib=2048, network_gbps="3200", network_cards=16, max_efa_interfaces=16, card0_supports_efa=True, gpudirect_rdma=False, instance_store_disks=4, instance_store_gb=7600, capacity_block=True, on_demand_usd_per_hour=None),
    )
}

# CPU types for the system node group, priced for the idle-cost estimate only:
# AWS's published us-east-1 Linux On-Demand prices. They are not in the team's
# reference table; a type missing here is shown as unpriced, never guessed.
CPU_ON_DEMAND_USD_PER_HOUR: dict[str, float] = {
    "m6i.large": 0.096,
    "m6i.xlarge": 0.192,
    "m7i.large": 0.1008,
    "m7i.xlarge": 0.2016,
    "m5.large": 0.096,
    "m5.xlarge": 0.192,
    "t3.large": 0.0832,
    "t3.xlarge": 0.1664,
}

EKS_CONTROL_PLANE_USD_PER_HOUR = 0.10  # standard support; extended support is $0.60 in total
NAT_GATEWAY_USD_PER_HOUR = 0.045  # us-east-1, before data processing ($0.045/GB)
# AWS PrivateLink pricing, us-east-1, $0.01 per VPC endpoint per AZ per hour (before $0.01/GB processed).
# Gateway endpoints (s3) are free.
INTERFACE_ENDPOINT_USD_PER_AZ_HOUR = 0.01

# FSx for Lustre storage, us-east-1, per GB-month, by deployment type and throughput tier
# (MB/s per TiB). SCRATCH_2 and PERSISTENT_2/125 are from the AWS Price List API as quoted
# on 2026-07-13; the 250/500/1000 tiers are the FSx pricing page's published figures,
# not re-confirmed from a stored copy this round.
FSX_LUSTRE_USD_PER_GB_MONTH: dict[tuple[str, int | None], float] = {
    ("SCRATCH_2", None): 0.140,
    ("PERSISTENT_2", 125): 0.145,
    ("PERSISTENT_2", 250): 0.210,
    ("PERSISTENT_2", 500): 0.340,
    ("PERSISTENT_2", 1000): 0.600,
}
HOURS_PER_MONTH = 730


def lookup(name: str) -> InstanceType | None:
    return INSTANCE_TYPES.get(name)
