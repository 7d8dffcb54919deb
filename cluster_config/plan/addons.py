"""EKS managed add-ons: which, in which phase, with what configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import names
from ..catalog import INSTANCE_TYPES

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
        addons.append(AddonPlan(name="eks-node-monitoring-agent", before_nodes=False, configuration=NODE_MONITORING_AGENT))
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
                                configuration=cloudwatch_observability(), service_account=names.CLOUDWATCH_SERVICE_ACCOUNT))
    return tuple(addons)


# The agent's GPU checks (XID, double-bit ECC, NVLink, PCIe) read the DCGM host engine that
# the chart's dcgm-server DaemonSet runs on every NVIDIA node; without it the agent reports
# DCGMError and AcceleratedHardwareReady=False, and auto repair has nothing to act on. The
# chart gives that DaemonSet no tolerations (aws/eks-node-monitoring-agent v1.7.0,
# charts/eks-node-monitoring-agent/values.yaml dcgmAgent.tolerations: []), so it never ran
# on a GPU group, all of which are tainted. It now tolerates every taint, as the chart's
# agent DaemonSet does (nodeAgent.tolerations: [{operator: Exists}]): wherever the agent
# runs on an NVIDIA node, its DCGM server runs too, whatever taints a user gives a group.
# dcgmAgent.tolerations is in the add-on's configuration schema since v1.6.0
# (charts/configuration.schema.json at v1.6.0 and v1.7.0).
#
# Its node affinity is the chart's own list of NVIDIA instance types, amd64 only; every
# catalog NVIDIA type is on it in every release from v1.6.0 to v1.7.0, so it is left as it
# is (tests/unit/test_addons.py holds the catalog against the v1.7.0 list). Setting it would
# need dcgmAgent.affinity, which the schema has only since v1.6.3, and EKS rejects a key the
# installed version's schema lacks (EKS user guide, "Configure the Amazon EKS node
# monitoring agent").
NODE_MONITORING_AGENT = {"dcgmAgent": {"tolerations": [{"operator": "Exists"}]}}


def _on_instance_types(types: list[str]) -> dict:
    """A required node affinity to these instance types, with the chart's Fargate exclusion."""
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": names.INSTANCE_TYPE_LABEL, "operator": "In", "values": types},
        {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]},
    ]}]}}}


def cloudwatch_observability() -> dict:
    """The add-on's DCGM exporter and Neuron monitor, on every accelerator type of the catalog.

    The chart pins each to its own list of instance types with a required node affinity
    (aws-observability/helm-charts amazon-cloudwatch-observability-6.4.0 values.yaml,
    dcgmExporter.affinity and neuronMonitor.affinity, read by templates/linux/
    dcgm-exporter-daemonset.yaml and neuron-monitor-daemonset.yaml). 6.4.0's DCGM list lacks
    p5.4xlarge, so such a group got no GPU metrics and its temperature alarm never saw data;
    a type added to the catalog after the chart would be missed the same way. The lists
    replace the chart's (Helm replaces lists), so they are the catalog's whole sets. The
    add-on's own configuration schema was not available to check here (only the chart is):
    if an add-on version's schema lacked these keys, EKS would reject the configuration
    at apply time rather than ignore it.
    """
    def kind(accelerator_kind: str) -> list[str]:
        return sorted(name for name, t in INSTANCE_TYPES.items() if t.accelerator_kind == accelerator_kind)

    return {"dcgmExporter": {"affinity": _on_instance_types(kind("nvidia"))},
            "neuronMonitor": {"affinity": _on_instance_types(kind("neuron"))}}
