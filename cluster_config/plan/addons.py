"""EKS managed add-ons: which, in which phase, with what configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import names

# One /28 kept attached beyond what a node's pods use, as EKS recommends for prefix mode:
# a new pod gets an address without an EC2 call, and little of the subnet sits idle.
WARM_PREFIX_TARGET = 1
PREFIX_SIZE = 16


def max_pods(vcpus: int) -> int:
    """The max-pods EKS managed node groups use with prefix delegation (110 below 30 vCPUs, else 250)."""
    return 110 if vcpus < 30 else 250


def addresses_per_node(vcpus: int, pods: int | None = None) -> int:
    """Private IPs a node takes from its subnet in prefix mode running ``pods`` pods
    (default: max-pods): their prefixes, the warm one, and its own address."""
    pods = max_pods(vcpus) if pods is None else pods
    prefixes = -(-pods // PREFIX_SIZE) + WARM_PREFIX_TARGET
    return prefixes * PREFIX_SIZE + 1


@dataclass(frozen=True, kw_only=True)
class AddonPlan:
    name: str
    # vpc-cni must run before a node can become Ready and the Pod Identity agent
    # before any workload asks for credentials; the rest need nodes to run on, so
    # they wait for the system node group.
    before_nodes: bool
    configuration: dict | None = field(default=None, hash=False)  # the add-on's configuration_values
    # The add-on's own service account, given an IAM role through Pod Identity by
    # the cluster stack; None: the add-on needs no AWS access of its own.
    service_account: str | None = None


def addons_plan(*, node_repair: bool, checkpoints: bool, fsx: bool, cloudwatch: bool) -> tuple[AddonPlan, ...]:
    addons = [
        # Prefix delegation: each ENI slot holds a /28 (16 pod IPs) instead of one IP. On
        # p5-class nodes card 0 carries the primary ENI and an EFA-only interface, so the
        # CNI has that one ENI: about 49 pod IPs against kubelet's max-pods of 100
        # without prefixes (EKS user guide, "Assign more IP addresses to Amazon EKS
        # nodes with prefixes"; EKS best practices, "Prefix Mode for Linux").
        AddonPlan(name="vpc-cni", before_nodes=True, configuration={"env": {
            "ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": str(WARM_PREFIX_TARGET),
        }}),
        AddonPlan(name="eks-pod-identity-agent", before_nodes=True),
        AddonPlan(name="kube-proxy", before_nodes=True),
        AddonPlan(name="coredns", before_nodes=False),
    ]
    if node_repair:
        # Reports GPU (XID, NVLink), network, kernel, storage and container-runtime
        # faults as node conditions, which node auto repair acts on.
        addons.append(AddonPlan(name="eks-node-monitoring-agent", before_nodes=False))
    if checkpoints:
        # Mounts the checkpoint bucket; its node plugin makes the S3 calls, with the
        # role the cluster stack scopes to that bucket.
        addons.append(AddonPlan(name="aws-mountpoint-s3-csi-driver", before_nodes=False,
                                service_account=names.MOUNTPOINT_SERVICE_ACCOUNT))
    if fsx:
        # Mounts the Lustre file system; static volumes need no AWS access of their own.
        addons.append(AddonPlan(name="aws-fsx-csi-driver", before_nodes=False))
    if cloudwatch:
        # Container Insights with enhanced observability: node, pod and container metrics,
        # with NVIDIA GPU (through the DCGM exporter it runs), Neuron and EFA metrics on by
        # default; its DaemonSets tolerate every taint, so they reach the GPU nodes too
        # (CloudWatch user guide, "Install the CloudWatch agent with the Amazon CloudWatch
        # Observability EKS add-on"; Pod Identity from add-on v3.1.0).
        addons.append(AddonPlan(name="amazon-cloudwatch-observability", before_nodes=False,
                                service_account=names.CLOUDWATCH_SERVICE_ACCOUNT))
    return tuple(addons)
