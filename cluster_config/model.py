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
# cr- and 17 hex digits: EC2 gives every resource created since July 2018 the long form, 17
# characters after the hyphen (EC2 user guide, "Resource IDs"), and Capacity Reservations came
# later (October 2018), so no short cr- id exists.
ReservationId = Annotated[str, StringConstraints(pattern=r"^cr-[0-9a-f]{17}$")]
VpcId = Annotated[str, StringConstraints(pattern=r"^vpc-[0-9a-f]{8,17}$")]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
PrincipalArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|assumed-role)/.+$")]
Size = Annotated[int, Field(ge=0, le=1000)]

KNOWN_VPC_ENDPOINTS = (
    "s3",
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "ec2",
    "elasticloadbalancing",
    "autoscaling",
    "eks",
    "eks-auth",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "kms",
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
    """Your VPC's id (vpc-...)."""
    private_subnet_ids: Annotated[list[SubnetId], Field(min_length=2)]
    """At least two private subnets, in different AZs, with a route to NAT or the endpoints the nodes need (docs/deploying.md,
    Bringing your own VPC)."""


class Network(Strict):
    vpc_cidr: Cidr = "10.0.0.0/16"
    """A private range, /16 to /21. Private subnets get the first eighths (a /19 each in a /16), public subnets share the last
    eighth."""
    availability_zones: Annotated[list[str], Field(min_length=2, max_length=6)]
    """2-6 AZs of `region`."""
    nat_gateways: Literal["single", "one_per_az", "none"] = "single"
    """`single` (cheapest), `one_per_az` (survives an AZ outage) or `none` (nodes then need endpoints for everything and the
    platform's images mirrored into ECR; a warning lists the missing endpoints)."""
    vpc_endpoints: list[Literal[KNOWN_VPC_ENDPOINTS]] = ["s3", "ecr.api", "ecr.dkr", "sts"]  # type: ignore[valid-type]
    """`s3` is a gateway endpoint (free); the rest are interface endpoints with private DNS (about $0.01 per endpoint per AZ per
    hour)."""
    flow_logs_retention_days: Annotated[int, Field(ge=1, le=3653)] = 90
    """Days the VPC flow logs are kept in CloudWatch Logs."""
    existing_vpc: ExistingVpc | None = None
    """Bring your own VPC: no network stack is made, and the other network keys are rejected."""


class Cluster(Strict):
    endpoint_public_access: bool = False
    """Turn on the public API endpoint (the private endpoint is always on). Off by default: a public endpoint is an attack
    surface."""
    endpoint_public_access_cidrs: list[Cidr] = []
    """Required when the endpoint is public; `0.0.0.0/0` only if written out, and it warns."""
    admin_principal_arns: list[PrincipalArn] = []
    """IAM roles or users given cluster-admin through access entries (the identity that deploys is admin already)."""
    log_types: list[Literal[CONTROL_PLANE_LOG_TYPES]] = list(CONTROL_PLANE_LOG_TYPES)  # type: ignore[valid-type]
    """Control-plane log types sent to CloudWatch Logs; all five by default."""
    log_retention_days: Literal[
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
    ] = 90
    """Days the control-plane logs are kept; one of the values CloudWatch Logs allows."""
    service_ipv4_cidr: Cidr | None = None
    """The Kubernetes service range; must not overlap the VPC. Unset: EKS picks one."""
    node_repair: bool = True
    """EKS node auto repair on every node group, fed by the eks-node-monitoring-agent add-on."""


class SystemNodes(Strict):
    instance_types: Annotated[list[str], Field(min_length=1)] = ["m6i.large"]
    """CPU instance types of the system node group, which runs the controllers."""
    min_size: Size = 2
    """Fewest system nodes; two keep the controllers up through a node loss."""
    max_size: Size = 4
    """Most system nodes."""
    desired_size: Size = 2
    """System nodes at first deploy."""
    root_volume_gib: Annotated[int, Field(ge=20, le=16384)] = 50
    """Encrypted gp3 root volume size, GiB."""


class UpdatePolicy(Strict):
    """How many of a group's nodes a rolling update replaces at a time; give exactly one key.
    Ranges: EKS API Reference, NodegroupUpdateConfig (maxUnavailable 1-100, maxUnavailablePercentage 1-100)."""

    max_unavailable: Annotated[int, Field(ge=1, le=100)] | None = None
    """Nodes replaced at a time, 1-100."""
    max_unavailable_percentage: Annotated[int, Field(ge=1, le=100)] | None = None
    """Percent of the group's nodes replaced at a time, 1-100."""


class GpuNodeGroup(Strict):
    name: GroupName
    """Unique lowercase name; prefixes the group's resources and names its runtime `torch-<name>` and queue."""
    instance_type: str | None = None
    """One of the catalog's GPU or Trainium types (cluster_config/instance_types.csv). Give this or `instance_types`."""
    instance_types: Annotated[list[str], Field(min_length=1, max_length=20)] | None = None
    """Interchangeable types (same accelerator model, memory, count and EFA layout), so Spot can draw on more capacity pools."""
    min_size: Size = 0
    """Fewest nodes; 0 lets the group scale to zero when idle."""
    max_size: Size = 2
    """Most nodes (>= 1); the autoscaler scales up to it."""
    desired_size: Size = 0
    """Nodes at first deploy; Terraform ignores later changes because the autoscaler owns it."""
    capacity_type: Literal["on_demand", "spot", "capacity_block"] = "on_demand"
    """`on_demand`, `spot` or `capacity_block` (only for the types the catalog marks)."""
    capacity_reservation_id: ReservationId | None = None
    """Required for `capacity_block`; a targeted On-Demand Capacity Reservation for `on_demand`."""
    capacity_block_usd_per_hour: Annotated[float, Field(gt=0, le=10_000)] | None = None
    """`capacity_block` only: what the block costs per instance-hour (its upfront fee over its hours and instances). The summary
    counts the block's `max_size` nodes at it, idle or busy; unset, they are flagged "paid up front"."""
    availability_zone: str | None = None
    """Required when EFA is on or a reservation is used; one of `network.availability_zones`."""
    efa: Literal["auto", True, False] = "auto"
    """`auto`: EFA wherever the type supports it; `true` is an error on a type without it; `false` turns it off."""
    ami_type: Literal["al2023", "bottlerocket"] = "al2023"
    """`al2023` or `bottlerocket` (the NVIDIA or Neuron variant follows from the type)."""
    root_volume_gib: Annotated[int, Field(ge=20, le=16384)] = 200
    """Encrypted gp3 volume, GiB; on Bottlerocket it sizes the data volume that holds images."""
    labels: dict[str, str] = {}
    """Extra node labels, next to the accelerator and EFA labels every group gets."""
    taints: list[TaintText] = []
    """`key=value:Effect`; empty means `nvidia.com/gpu=true:NoSchedule` (`aws.amazon.com/neuron` for Trainium)."""
    update: UpdatePolicy = UpdatePolicy(max_unavailable=1)
    """Nodes a rolling update (a new minor, AMI or launch template) replaces at a time: `{max_unavailable: N}` or
    `{max_unavailable_percentage: P}`; the pods on them restart (docs/upgrading.md)."""
    health_check: components.node_health_check.Override | None = None
    """This group's changes to the cluster's `health_check`; unset keys keep the cluster's."""

    @property
    def types(self) -> list[str]:
        """The instance types as written, whichever key holds them."""
        return [self.instance_type] if self.instance_type else list(self.instance_types or [])

    def type_path(self, index: int) -> str:
        return "instance_type" if self.instance_type else f"instance_types[{index}]"


class Platform(Strict):
    kubernetes_auth: Literal["exec", "token"] = "exec"
    """`exec` runs `aws eks get-token` (needs the AWS CLI); `token` reads a token of about 15 minutes from aws_eks_cluster_auth,
    for Terraform Cloud runners."""
    nvidia_device_plugin: components.nvidia_device_plugin.Config = components.nvidia_device_plugin.Config()
    neuron_device_plugin: components.neuron_device_plugin.Config = components.neuron_device_plugin.Config()
    efa_device_plugin: components.efa_device_plugin.Config = components.efa_device_plugin.Config()
    cluster_autoscaler: components.cluster_autoscaler.Config = components.cluster_autoscaler.Config()


class FsxLustre(Strict):
    """A shared dataset file system, created in one AZ of the cluster's VPC."""

    enabled: bool = False
    """Make an FSx for Lustre file system mounted at /fsx."""
    storage_capacity_gib: Annotated[int, Field(ge=1200, le=2_073_600)] = 1200
    """1200 or a multiple of 2400 GiB."""
    deployment_type: Literal["PERSISTENT_2", "SCRATCH_2"] = "PERSISTENT_2"
    """`PERSISTENT_2` (replicated, backed up) or `SCRATCH_2` (cheaper, no replication)."""
    throughput_mib_per_tib: Literal[125, 250, 500, 1000] | None = None  # PERSISTENT_2 only; default 250
    """PERSISTENT_2 only: 125, 250, 500 or 1000; unset means 250."""
    availability_zone: str | None = None  # default: the first EFA group's AZ, else the first AZ
    """Unset: the first EFA group's AZ, else the first AZ."""
    import_path: Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")] | None = None
    """An s3:// path the file system links to (lazy load, export)."""


class Checkpoints(Strict):
    """A versioned, KMS-encrypted bucket the training pods mount at /checkpoints."""

    enabled: bool = True
    """Make a versioned, KMS-encrypted S3 bucket for checkpoints, writable by the training pods."""
    bucket_name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = None
    """Unset: `<name>-checkpoints-<account>-<region>`, which is globally unique."""
    noncurrent_version_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Days an overwritten or deleted checkpoint version is kept before it expires."""


class Storage(Strict):
    local_nvme: Literal["raid0", "none"] = "raid0"
    """`raid0`: the instance-store NVMe disks as one array for kubelet and containerd (scratch, images); `none`: unused."""
    fsx_lustre: FsxLustre = FsxLustre()
    checkpoints: Checkpoints = Checkpoints()


class Observability(Strict):
    cloudwatch: bool = True
    """The amazon-cloudwatch-observability add-on: Container Insights with GPU, Neuron and EFA metrics, and a GPU-fault alarm per
    group."""
    alarm_topic: bool = True
    """Send the alarms to a KMS-encrypted SNS topic; subscribe to it yourself."""


class LocalBackend(Strict):
    type: Literal["local"] = "local"
    """State in state/<stack>.tfstate in the repository: for one person."""


class S3Backend(Strict):
    type: Literal["s3"]
    """An S3 backend per stack, encrypted, with S3-native locking (Terraform >= 1.10). The bucket must already exist."""
    bucket: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    """The state bucket (it must exist)."""
    key_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()/-]*[A-Za-z0-9_.*'()-]$")] | None = None
    """Unset: `gpu-eks/<name>`; each stack's state is `<key_prefix>/<network|cluster|platform>.tfstate`."""
    region: Region | None = None  # default: the cluster's region
    """Unset: the cluster's region."""
    dynamodb_table: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,255}$")] | None = None
    """A DynamoDB lock table, for Terraform < 1.10: the stacks then lock with it alone, without `use_lockfile` (which Terraform <
    1.10 rejects), and require Terraform >= 1.1 instead of >= 1.10."""
    kms_key_id: str | None = None
    """A KMS key for the state objects."""


class CloudBackend(Strict):
    type: Literal["cloud"]
    """Terraform Cloud / HCP Terraform, one named workspace per stack."""
    organization: Annotated[str, StringConstraints(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")]
    """The organization."""
    hostname: str = "app.terraform.io"
    """The Terraform Cloud host."""
    project: str | None = None
    """The project the workspaces go in."""
    workspace_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,60}$")] | None = None  # default: name
    """Unset: `name`; workspaces are `<prefix>-network`, `-cluster`, `-platform`."""


Backend = Annotated[LocalBackend | S3Backend | CloudBackend, Field(discriminator="type")]


class ClusterConfig(Strict):
    name: Name
    """3-20 lowercase letters, digits and `-`; prefixes every resource and stack."""
    region: Region
    """An AWS region of the commercial partition (ARNs and service names are built for `aws`)."""
    # The newest minor in EKS standard support on 2026-12-02 (versions.CALENDAR: 1.34 leaves it that
    # day) that every pin runs on: cluster-autoscaler chart 9.59.0 ships 1.35.0 (BY_MINOR); the
    # nvidia-device-plugin 0.19.3, aws-fsx-csi-driver 1.17.0 and aws-mountpoint-s3-csi-driver 2.7.0
    # charts declare kubeVersion >= 1.10, >= 1.20, >= 1.30 (their Chart.yaml); kueue 0.19.2,
    # kubeflow-trainer 2.3.0 and the EFA plugin declare no upper bound. 1.36 is newer than the
    # newest autoscaler chart. tests/unit/test_versions.py derives it again from the data.
    kubernetes_version: str = "1.35"
    """`"1.N"`, a minor of the EKS calendar (cluster_config/versions.py) that is not past extended support. Quote it: YAML reads
    1.30 as the number 1.3."""
    tags: dict[str, str] = {}
    """Tags on every resource (the provider's default_tags), next to gpu-eks:cluster and gpu-eks:managed-by."""
    network: Network
    """The VPC, or your own."""
    cluster: Cluster = Cluster()
    """The EKS control plane."""
    system_nodes: SystemNodes = SystemNodes()
    """The CPU node group for the controllers."""
    gpu_node_groups: list[GpuNodeGroup] = []
    """One managed node group per entry."""
    health_check: components.node_health_check.Config = components.node_health_check.Config()
    """The health gate of new GPU and Trainium nodes; each group may override it (docs/node-health.md)."""
    training_operator: components.kubeflow_trainer.Config = components.kubeflow_trainer.Config()
    """Kubeflow Trainer v2 and the per-group runtimes."""
    platform: Platform = Platform()
    """The in-cluster device plugins and autoscaler."""
    storage: Storage = Storage()
    """Local NVMe, FSx for Lustre and the checkpoint bucket."""
    queues: components.kueue.Config = components.kueue.Config()
    """Kueue quotas per GPU group and team."""
    observability: Observability = Observability()
    """Metrics and alarms."""
    backend: Backend = LocalBackend()
    """Where Terraform state lives: `local`, `s3` or `cloud`."""

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        match = re.fullmatch(r"1\.(\d+)", value)
        if not match:
            raise ValueError(f"'{value}' is not of the form 1.N, e.g. \"1.34\"")
        if int(match.group(1)) < 30:
            raise ValueError(f"{value} is below 1.30, the oldest version this project supports")
        return value
