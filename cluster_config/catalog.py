"""The one place that knows GPU and Trainium instance facts.

Every GPU count, EFA count, network-card count and price the project uses comes from
here. The rows live in instance_types.csv beside this file, one per instance type,
each naming its sources (the keys of SOURCES). tests/unit/test_catalog_upstream.py
checks every row against an extract of the upstream generated tables
(tools/catalog_upstream.py), so a typo or a stale figure fails the suite.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PRICE_SOURCE = "karpenter us-east-1 On-Demand price file (aws/karpenter-provider-aws, 2026-08-21)"
PRICE_REGION = "us-east-1"

CATALOG_FILE = Path(__file__).with_name("instance_types.csv")

SOURCES: dict[str, str] = {
    "K-IT": "aws/karpenter-provider-aws website/content/en/docs/reference/instance-types.md, generated from EC2 "
            "DescribeInstanceTypes (commit 1d927085, 2026-08-21): vCPU, memory, accelerators, NVMe, bandwidth, EFA",
    "K-PR": "aws/karpenter-provider-aws pkg/providers/pricing/zz_generated.pricing_aws.go (same commit): "
            "us-east-1 Linux On-Demand price",
    "CNI": "aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go, generated from EC2 (commit b5218838, "
           "2026-08-20): network cards",
    "AC-DOC": "EC2 'Specifications for accelerated computing instances' "
              "(docs.aws.amazon.com/ec2/latest/instancetypes/ac.html): instance-store disks, burst bandwidth",
    "PCLUSTER-7143": "aws/aws-parallelcluster#7143 (AWS engineering): p6-b300 has 17 cards, card 0 ENA only",
    "CB": "EC2 user guide 'Capacity Blocks for ML' supported types; SageMaker ReservedCapacityInstanceType "
          "lists the same p4d/p4de/p5/p5e/p5en/p6/trn1.32xl/trn2.48xl set plus p5.4xlarge",
    "OFI": "aws/aws-ofi-nccl platform-aws: the types NCCL uses GPUDirect RDMA over EFA on",
    "NEURON": "AWS Neuron docs, Trainium/Trainium2 architecture: device memory per chip (32 / 96 GiB)",
    "TRN2-3XL": "trn2.3xlarge is not in karpenter's table (K-IT); vCPU, memory and bandwidth are from the EC2 "
                "instance-type page. Its EFA support is not confirmed from a stored source, so no EFA and no "
                "Capacity Block here until it is",
    "SMI": "nvidia-smi's GPU names (--query-gpu=name) as recorded in public nvidia-smi transcripts: the p5.48xlarge "
           "and p4d ones of tests/data/node_health/README.md; Tesla T4, NVIDIA A10G, A100-SXM4-80GB, H200, B200 and "
           "B300 SXM6 AC in published nvidia-smi CSV and table output; NVIDIA L4 and L40S as the board names",
}

# Where each type's single-node all_reduce_perf bus-bandwidth floor (nccl_busbw_floor_gbps) comes
# from: the health gate fails a new node below it (node_health/check_node.py). No floor on the
# PCIe-only and single-GPU types: nothing is published and no NVLink figure to derive from (one
# GPU reduces nothing), so their gate checks no bandwidth.
NCCL_FLOOR_SOURCES: dict[str, str] = {
    "NCCL-PUB": "published: ~480 GB/s busbw for 8x H100 at large sizes (NVIDIA/nccl-tests#212, the NCCL maintainer; "
                "475 GB/s on 8x H200 in NVIDIA/nccl-tests#272); floor 0.75 x that",
    "NCCL-NVLINK": "derived, no published figure: 0.5 x the per-GPU NVLink bandwidth one way (600 GB/s for A100, "
                   "1800 GB/s for B200, both directions; gpu-instances.csv V), i.e. 150 and 450 GB/s. A ring "
                   "all-reduce without NVLink SHARP reaches about 0.77 of it on A100, so the floor leaves room "
                   "for a healthy node and still fails one fallen back to PCIe",
    "NCCL-NVLINK5": "derived as NCCL-NVLINK from NVLink 5's 1800 GB/s per GPU: the reference does not state B300's "
                    "own figure, P6 uses NVLink 5 (gpu-instances-notes NEXTPLATFORM)",
}

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
    network_gbps: str  # baseline, with the burst figure where the type has one: "5 (burst 25)"
    network_cards: int
    max_efa_interfaces: int
    # AWS lets at most one EFA per network card. Where max_efa_interfaces equals
    # network_cards every card, card 0 included, carries an EFA. p6-b300 is the
    # exception: 17 cards, card 0 ENA-only (PCLUSTER-7143).
    card0_supports_efa: bool
    nvlink: bool
    # GPUDirect RDMA over EFA (NCCL's FI_EFA_USE_DEVICE_RDMA): the multi-GPU p4/p5/p6 types.
    gpudirect_rdma: bool
    instance_store_disks: int  # local NVMe disks; 0: none
    instance_store_gb: int  # their total size
    capacity_block: bool  # sold as EC2 Capacity Blocks for ML
    on_demand_usd_per_hour: float | None  # None: no published On-Demand price (Capacity Blocks only)
    nvidia_smi_name: str  # what nvidia-smi calls the GPU (SMI); empty on Trainium
    nccl_busbw_floor_gbps: float | None  # single-node all_reduce_perf busbw floor; None: not checked
    nccl_busbw_source: str  # a key of NCCL_FLOOR_SOURCES; empty with no floor
    sources: tuple[str, ...]

    @property
    def efa_supported(self) -> bool:
        return self.max_efa_interfaces > 0

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def peak_network_gbps(self) -> float:
        """The burst figure where the type has one, else the baseline: EC2's "up to" figure."""
        baseline, _, burst = self.network_gbps.partition(" (burst ")
        return float(burst.rstrip(")") if burst else baseline)


def _parse(value: str, kind: type, where: str):
    if kind is bool:
        if value not in ("true", "false"):
            raise ValueError(f"{where}: {value!r} is not true or false")
        return value == "true"
    if kind is tuple:
        return tuple(value.split())
    return kind(value)


def _load(path: Path) -> dict[str, InstanceType]:
    # A malformed row is a defect in the project, not in the user's config: fail at import, naming it.
    kinds = {"accelerators": int, "vcpus": int, "memory_gib": int, "network_cards": int, "max_efa_interfaces": int,
             "instance_store_disks": int, "instance_store_gb": int, "accelerator_memory_gib": float,
             "card0_supports_efa": bool, "nvlink": bool, "gpudirect_rdma": bool, "capacity_block": bool,
             "sources": tuple}
    fields = [f.name for f in dataclasses.fields(InstanceType)]
    types: dict[str, InstanceType] = {}
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != fields:
            raise ValueError(f"{path.name}: columns {reader.fieldnames} are not {fields}")
        for line, row in enumerate(reader, start=2):
            where = f"{path.name}:{line}"
            values = {key: _parse(text, kinds.get(key, str), f"{where} {key}") for key, text in row.items()}
            price = row["on_demand_usd_per_hour"]
            values["on_demand_usd_per_hour"] = float(price) if price else None
            floor = row["nccl_busbw_floor_gbps"]
            values["nccl_busbw_floor_gbps"] = float(floor) if floor else None
            if bool(floor) != (row["nccl_busbw_source"] in NCCL_FLOOR_SOURCES):
                raise ValueError(f"{where}: nccl_busbw_floor_gbps {floor!r} needs nccl_busbw_source, one of "
                                 f"{sorted(NCCL_FLOOR_SOURCES)} (and none without a floor)")
            unknown = set(values["sources"]) - set(SOURCES)
            if not values["sources"] or unknown:
                raise ValueError(f"{where}: sources {sorted(unknown) or 'missing'}; known: {sorted(SOURCES)}")
            types[values["name"]] = InstanceType(**values)
    return types


INSTANCE_TYPES: dict[str, InstanceType] = _load(CATALOG_FILE)

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
