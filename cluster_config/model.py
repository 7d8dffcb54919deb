"""Typed shape of one environment's YAML file.

Only structure and per-field rules live here; rules that relate two fields
(size ordering, AZ membership, EFA support) are in ``rules.py`` so each
problem can be reported at the exact path of the field that is wrong.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from . import components
from .schema import NAME_PATTERN, GroupName, Strict

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"

Name = Annotated[str, StringConstraints(min_length=3, max_length=20, pattern=NAME_PATTERN)]
def _commercial_region(value: str) -> str:
    # ARNs, service principals and endpoint names are built for the "aws" partition;
    # China and GovCloud would each need their own.
    if value.startswith(("cn-", "us-gov-")):
        raise ValueError(f"'{value}' is outside the commercial AWS partition; China and GovCloud regions are not supported")
    return value


Region = Annotated[str, StringConstraints(pattern=REGION_PATTERN), AfterValidator(_commercial_region)]
ReservationId = Annotated[str, StringConstraints(pattern=r"^cr-[0-9a-f]{8,17}$")]
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
PrincipalArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)/.+$")]
Size = Annotated[int, Field(ge=0, le=1000)]

KNOWN_VPC_ENDPOINTS = (
    "s3", "ecr.api", "ecr.dkr", "sts", "logs", "ec2", "elasticloadbalancing",
    "autoscaling", "eks", "eks-auth", "ssm", "ssmmessages", "ec2messages", "kms",
)
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
TAINT_PATTERN = re.compile(
    r"^(?P<key>[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)(=(?P<value>[-A-Za-z0-9_.]*))?:(?P<effect>NoSchedule|PreferNoSchedule|NoExecute)$"
)


def _cidr(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a CIDR such as 10.0.0.0/16, not an empty string")
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv4 CIDR such as 10.0.0.0/16") from None
    if "/" not in value:
        raise ValueError(f"'{value}' has no prefix length; write it as {network.with_prefixlen}")
    if str(network) != value:
        raise ValueError(f"'{value}' has host bits set; did you mean {network.with_prefixlen}?")
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]


def _taint(value: str) -> str:
    match = TAINT_PATTERN.match(value)
    if not match:
        raise ValueError(
            f"'{value}' is not a taint of the form key=value:Effect (Effect is NoSchedule, PreferNoSchedule or NoExecute)"
        )
    prefix, _, name = match["key"].rpartition("/")
    if len(name) > 63 or len(prefix) > 253 or len(match["value"] or "") > 63:
        raise ValueError(f"'{value}': taint names and values are at most 63 characters (a key prefix at most 253)")
    return value


TaintText = Annotated[str, AfterValidator(_taint)]


class ExistingVpc(Strict):
    vpc_id: VpcId
    private_subnet_ids: Annotated[list[SubnetId], Field(min_length=2)]


class Network(Strict):
    vpc_cidr: Cidr = "10.0.0.0/16"
    availability_zones: Annotated[list[str], Field(min_length=2, max_length=6)]
    nat_gateways: Literal["single", "one_per_az", "none"] = "single"
    vpc_endpoints: list[Literal[KNOWN_VPC_ENDPOINTS]] = ["s3", "ecr.api", "ecr.dkr", "sts"]  # type: ignore[valid-type]
    flow_logs_retention_days: Annotated[int, Field(ge=1, le=3653)] = 90
    existing_vpc: ExistingVpc | None = None


class Cluster(Strict):
    endpoint_public_access: bool = False
    endpoint_public_access_cidrs: list[Cidr] = []
    admin_principal_arns: list[PrincipalArn] = []
    log_types: list[Literal[CONTROL_PLANE_LOG_TYPES]] = list(CONTROL_PLANE_LOG_TYPES)  # type: ignore[valid-type]
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] = 90
    service_ipv4_cidr: Cidr | None = None
    # EKS node auto repair on every node group, fed by the node monitoring agent.
    node_repair: bool = True


class SystemNodes(Strict):
    instance_types: Annotated[list[str], Field(min_length=1)] = ["m6i.large"]
    min_size: Size = 2
    max_size: Size = 4
    desired_size: Size = 2
    root_volume_gib: Annotated[int, Field(ge=20, le=16384)] = 50


class GpuNodeGroup(Strict):
    name: GroupName
    # One type, or several interchangeable ones (same accelerator model, memory and count, and EFA layout),
    # which lets Spot draw on more capacity pools.
    instance_type: str | None = None
    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)] | None = None
    min_size: Size = 0
    max_size: Size = 2
    desired_size: Size = 0
    capacity_type: Literal["on_demand", "spot", "capacity_block"] = "on_demand"
    capacity_reservation_id: ReservationId | None = None
    availability_zone: str | None = None
    efa: Literal["auto", True, False] = "auto"
    ami_type: Literal["al2023", "bottlerocket"] = "al2023"
    root_volume_gib: Annotated[int, Field(ge=20, le=16384)] = 200
    labels: dict[str, str] = {}
    taints: list[TaintText] = []

    @property
    def types(self) -> list[str]:
        """The instance types as written, whichever key holds them."""
        return [self.instance_type] if self.instance_type else list(self.instance_types or [])

    def type_path(self, index: int) -> str:
        return "instance_type" if self.instance_type else f"instance_types[{index}]"


class Platform(Strict):
    # exec runs `aws eks get-token` (laptops, CI with the AWS CLI); token reads a
    # short-lived token from aws_eks_cluster_auth (Terraform Cloud runners have no AWS CLI).
    kubernetes_auth: Literal["exec", "token"] = "exec"
    nvidia_device_plugin: components.nvidia_device_plugin.Config = components.nvidia_device_plugin.Config()
    neuron_device_plugin: components.neuron_device_plugin.Config = components.neuron_device_plugin.Config()
    efa_device_plugin: components.efa_device_plugin.Config = components.efa_device_plugin.Config()
    cluster_autoscaler: components.cluster_autoscaler.Config = components.cluster_autoscaler.Config()


class FsxLustre(Strict):
    """A shared dataset file system, created in one AZ of the cluster's VPC."""

    enabled: bool = False
    storage_capacity_gib: Annotated[int, Field(ge=1200, le=2_073_600)] = 1200
    deployment_type: Literal["PERSISTENT_2", "SCRATCH_2"] = "PERSISTENT_2"
    throughput_mib_per_tib: Literal[125, 250, 500, 1000] | None = None  # PERSISTENT_2 only; default 250
    availability_zone: str | None = None  # default: the first EFA group's AZ, else the first AZ
    import_path: Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")] | None = None


class Checkpoints(Strict):
    """A versioned, KMS-encrypted bucket the training pods mount at /checkpoints."""

    enabled: bool = True
    bucket_name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = None
    noncurrent_version_days: Annotated[int, Field(ge=1, le=3650)] = 30


class Storage(Strict):
    # raid0: instance-store NVMe disks become one array for kubelet and containerd,
    # so images and emptyDir scratch live on it; none: they stay on the EBS root volume.
    local_nvme: Literal["raid0", "none"] = "raid0"
    fsx_lustre: FsxLustre = FsxLustre()
    checkpoints: Checkpoints = Checkpoints()


class Observability(Strict):
    # The amazon-cloudwatch-observability add-on: Container Insights with GPU, Neuron
    # and EFA metrics, and a GPU-fault alarm per group.
    cloudwatch: bool = True
    # Send the alarms to a KMS-encrypted SNS topic; subscribe to it yourself.
    alarm_topic: bool = True


class LocalBackend(Strict):
    type: Literal["local"] = "local"


class S3Backend(Strict):
    type: Literal["s3"]
    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    key_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()/-]*[A-Za-z0-9_.*'()-]$")] | None = None
    region: Region | None = None  # default: the cluster's region
    # S3-native locking (use_lockfile) needs Terraform >= 1.10; a DynamoDB table
    # serves older Terraform during a migration.
    dynamodb_table: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,255}$")] | None = None
    kms_key_id: str | None = None


class CloudBackend(Strict):
    type: Literal["cloud"]
    organization: Annotated[str, StringConstraints(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")]
    hostname: str = "app.terraform.io"
    project: str | None = None
    workspace_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,60}$")] | None = None  # default: name


Backend = Annotated[LocalBackend | S3Backend | CloudBackend, Field(discriminator="type")]


class ClusterConfig(Strict):
    name: Name
    region: Region
    # The newest minor in EKS standard support on 2026-12-02 (versions.CALENDAR: 1.34 leaves it that
    # day) that every pin runs on: cluster-autoscaler chart 9.59.0 ships 1.35.0 (BY_MINOR); the
    # nvidia-device-plugin 0.19.3, aws-fsx-csi-driver 1.17.0 and aws-mountpoint-s3-csi-driver 2.7.0
    # charts declare kubeVersion >= 1.10, >= 1.20, >= 1.30 (their Chart.yaml); kueue 0.19.2,
    # kubeflow-trainer 2.3.0 and the EFA plugin declare no upper bound. 1.36 is newer than the
    # newest autoscaler chart. tests/unit/test_versions.py derives it again from the data.
    kubernetes_version: str = "1.35"
    tags: dict[str, str] = {}
    network: Network
    cluster: Cluster = Cluster()
    system_nodes: SystemNodes = SystemNodes()
    gpu_node_groups: list[GpuNodeGroup] = []
    training_operator: components.kubeflow_trainer.Config = components.kubeflow_trainer.Config()
    platform: Platform = Platform()
    storage: Storage = Storage()
    queues: components.kueue.Config = components.kueue.Config()
    observability: Observability = Observability()
    backend: Backend = LocalBackend()

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = re.fullmatch(r"1\.(\d+)", value)
        if not match:
            raise ValueError(f"'{value}' is not of the form 1.N, e.g. \"1.34\"")
        if int(match.group(1)) < 30:
            raise ValueError(f"{value} is below 1.30, the oldest version this project supports")
        return value
