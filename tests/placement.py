"""Where every rendered workload could run: kube-scheduler's node-affinity and taint filters
against the synthesized node groups, per instance type.

The filters are kube-scheduler's, followed from kubernetes/kubernetes (v1.34):

- NodeAffinity (pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go, Filter) via
  k8s.io/component-helpers scheduling/corev1/nodeaffinity/nodeaffinity.go: the pod's
  ``nodeSelector`` must match the node's labels exactly, and then its required node affinity:
  ``nodeSelectorTerms`` are ORed, the expressions of a term ANDed; a term with no expressions
  and no fields matches no node, nor does a term whose requirement is invalid (In/NotIn with
  no values, Gt/Lt without exactly one integer). Operators as k8s.io/apimachinery
  pkg/labels/selector.go Requirement.Matches: In and Exists need the label; NotIn and
  DoesNotExist match a node without it; Gt/Lt compare the label's integer value. Preferred
  affinity only scores, so it is ignored here; ``matchFields`` (the DaemonSet controller pins
  each pod to a node by metadata.name) is taken to match the node being asked about.
- TaintToleration (pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go, Filter):
  a node is filtered out by a taint with effect NoSchedule or NoExecute that no toleration
  tolerates; PreferNoSchedule only scores. k8s.io/api core/v1 toleration.go ToleratesTaint: an
  empty effect matches every effect, an empty key (operator Exists) every key, Exists any value,
  Equal (or no operator) only the same value.

Node groups, their labels and taints come from the synthesized cluster stack (aws_eks_node_group
labels, taint, instance_types or the launch template's instance_type, capacity_type, ami_type,
the zone of its one subnet), plus the labels EKS and kubelet put on every node:
``eks.amazonaws.com/nodegroup`` and ``eks.amazonaws.com/capacityType`` (EKS user guide, "Simplify
node lifecycle with managed node groups": EKS adds labels prefixed eks.amazonaws.com to managed
nodes; the capacity type label carries the node group's capacityType, as cluster-autoscaler's AWS
provider rebuilds it for an empty group, kubernetes/autoscaler #6261), and the well-known labels
``kubernetes.io/os``, ``kubernetes.io/arch``, ``kubernetes.io/hostname`` (kubelet),
``node.kubernetes.io/instance-type``, its deprecated ``beta.kubernetes.io/instance-type`` and
``topology.kubernetes.io/zone`` (the AWS cloud provider) (Kubernetes docs, "Well-Known Labels,
Annotations and Taints"). The node conditions' own taints (not-ready, unreachable, pressure),
which the DaemonSet controller tolerates for its pods, are not on a healthy node and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cluster_config import catalog, names

EKS_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
FILTERING_EFFECTS = ("NoSchedule", "NoExecute")
CAPACITY_TYPE_LABEL = "eks.amazonaws.com/capacityType"
OS_LABEL = "kubernetes.io/os"
ARCH_LABEL = "kubernetes.io/arch"
HOSTNAME_LABEL = "kubernetes.io/hostname"
BETA_INSTANCE_TYPE_LABEL = "beta.kubernetes.io/instance-type"
ZONE_LABEL = "topology.kubernetes.io/zone"
SYSTEM = "system"
# The system group has only a name prefix; EKS appends a suffix of its own choosing.
GENERATED_SUFFIX = "generated"


# ---------------------------------------------------------------------------
# The scheduler's filters.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


def tolerates(toleration: dict, taint: Taint) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.effect:
        return False
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    if key and key != taint.key:
        return False
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == taint.value
    return False


def untolerated(taints, tolerations) -> list[Taint]:
    """The taints that filter the node out for a pod with these tolerations."""
    return [t for t in taints if t.effect in FILTERING_EFFECTS and not any(tolerates(tol, t) for tol in tolerations or ())]


def _integer(text) -> int | None:
    try:
        return int(str(text))
    except ValueError:
        return None


def requirement_matches(requirement: dict, labels: dict[str, str]) -> bool | None:
    """Whether a node selector requirement matches; None: the requirement is invalid."""
    key, operator, values = requirement.get("key"), requirement.get("operator"), list(requirement.get("values") or ())
    present = key in labels
    if operator in ("In", "NotIn"):
        if not values:
            return None
        if operator == "In":
            return present and labels[key] in values
        return not present or labels[key] not in values
    if operator in ("Exists", "DoesNotExist"):
        if values:
            return None
        return present if operator == "Exists" else not present
    if operator in ("Gt", "Lt"):
        if len(values) != 1 or _integer(values[0]) is None:
            return None
        if not present or _integer(labels[key]) is None:
            return False
        return _integer(labels[key]) > _integer(values[0]) if operator == "Gt" else _integer(labels[key]) < _integer(values[0])
    return None


def term_matches(term: dict, labels: dict[str, str]) -> bool:
    expressions, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not expressions and not fields:
        return False
    return all(requirement_matches(r, labels) is True for r in expressions)


def affinity_matches(pod: dict, labels: dict[str, str]) -> bool:
    selector = pod.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    required = ((pod.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(term_matches(term, labels) for term in required.get("nodeSelectorTerms") or [])


def why_not(pod: dict, node: "Node") -> str | None:
    """None if the pod passes both filters on this node, else the first reason it does not."""
    if not affinity_matches(pod, node.labels):
        return "node selector or required affinity"
    blocking = untolerated(node.taints, pod.get("tolerations"))
    if blocking:
        t = blocking[0]
        return f"taint {t.key}={t.value}:{t.effect}"
    return None


# ---------------------------------------------------------------------------
# Node groups of the synthesized cluster stack.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    labels: dict[str, str] = field(hash=False)
    taints: tuple[Taint, ...]


@dataclass(frozen=True, kw_only=True)
class NodeGroup:
    group: str  # the configuration's GPU group name, or "system"
    node_group_name: str
    instance_types: tuple[str, ...]
    capacity_type: str
    ami_type: str
    zone: str | None
    efa: bool  # the launch template attaches EFA interfaces
    labels: dict[str, str] = field(hash=False)  # the node group's own
    taints: tuple[Taint, ...]
    # Where a node of a gated group (one registering under the health gate's startup taint) is in
    # the gate: "passed" by default, what every job meets: the taint gone, labelled passed;
    # "pending", as it registers; "failed", labelled failed with the taint kept
    # (node_health/check_node.py pass_operations and fail_operations).
    health: str = names.HEALTH_PASSED

    @property
    def accelerator(self) -> str | None:
        """ "nvidia", "neuron" or None, from the catalog (not from the project's labels)."""
        kinds = {getattr(catalog.lookup(t), "accelerator_kind", None) for t in self.instance_types}
        return kinds.pop() if len(kinds) == 1 else None

    @property
    def bottlerocket(self) -> bool:
        return self.ami_type.startswith("BOTTLEROCKET")

    @property
    def os(self) -> str:
        return "windows" if self.ami_type.startswith("WINDOWS") else "linux"

    @property
    def arch(self) -> str:
        # EKS AMI types name the architecture: *_x86_64_* is amd64, *_ARM_64_* arm64 (EKS API
        # reference, Nodegroup.amiType).
        return "arm64" if "ARM_64" in self.ami_type else "amd64"

    def node(self, instance_type: str) -> Node:
        labels = {
            **self.labels,
            names.NODEGROUP_LABEL: self.node_group_name,
            CAPACITY_TYPE_LABEL: self.capacity_type,
            names.INSTANCE_TYPE_LABEL: instance_type,
            BETA_INSTANCE_TYPE_LABEL: instance_type,
            OS_LABEL: self.os,
            ARCH_LABEL: self.arch,
            HOSTNAME_LABEL: f"ip-{self.group}-{instance_type.replace('.', '-')}",
        }
        if self.zone:
            labels[ZONE_LABEL] = self.zone
        taints = self.taints
        if any(t.key == names.HEALTH_KEY for t in taints) and self.health != "pending":
            labels[names.HEALTH_KEY] = self.health
            if self.health == names.HEALTH_PASSED:
                taints = tuple(t for t in taints if t.key != names.HEALTH_KEY)
        return Node(labels=labels, taints=taints)


_REFERENCE = re.compile(r"^\$\{(?P<expr>[^}]+)\}$")


def _resolver(stacks: dict[str, dict]):
    """Resolves the few references a node group's fields hold: the cluster's name, a launch
    template's attributes, a subnet's zone through the network stack's outputs."""
    by_stack = {}
    for stack in stacks.values():
        for kind, resources in stack.get("resource", {}).items():
            for address, resource in resources.items():
                by_stack[f"{kind}.{address}"] = resource
        for kind, resources in stack.get("data", {}).items():
            for address, resource in resources.items():
                by_stack[f"data.{kind}.{address}"] = resource
    outputs = {name: out["value"] for stack in stacks.values() for name, out in stack.get("output", {}).items()}

    def resource(reference: str) -> dict | None:
        match = _REFERENCE.match(reference)
        if not match:
            return None
        expr = match["expr"]
        if expr.startswith("data.terraform_remote_state."):
            name = expr.split(".outputs.", 1)[1]
            return resource(outputs.get(name, ""))
        head, _, _ = expr.rpartition(".")
        return by_stack.get(head)

    def text(value: str) -> str:
        def cluster_name(m):
            found = by_stack.get(m["head"])
            return found["name"] if found else m[0]

        return re.sub(r"\$\{(?P<head>aws_eks_cluster\.[\w-]+)\.name\}", cluster_name, value)

    return resource, text


def _subnet_zone(subnet: dict | None) -> str | None:
    if subnet is None:
        return None
    if "availability_zone" in subnet:
        return subnet["availability_zone"]
    zones = [f["values"] for f in subnet.get("filter", []) if f.get("name") == "availability-zone"]
    return zones[0][0] if len(zones) == 1 and len(zones[0]) == 1 else None


def node_groups(stacks: dict[str, dict]) -> list[NodeGroup]:
    """Every managed node group of the synthesized stacks (``Synth.stacks``)."""
    resource, text = _resolver(stacks)
    out = []
    for stack_name, stack in stacks.items():
        groups = stack.get("resource", {}).get("aws_eks_node_group", {})
        (cluster,) = stack["resource"]["aws_eks_cluster"].values() if groups else (None,)
        for group in groups.values():
            template = resource((group.get("launch_template") or {}).get("id", "")) or {}
            types = tuple(group.get("instance_types") or ([template["instance_type"]] if "instance_type" in template else []))
            if "node_group_name" in group:
                name = text(group["node_group_name"])
                short = name.removeprefix(f"{cluster['name']}-")
            else:
                name = text(group["node_group_name_prefix"]) + GENERATED_SUFFIX
                short = SYSTEM
            subnets = group.get("subnet_ids") or []
            zones = {_subnet_zone(resource(s)) for s in subnets} if isinstance(subnets, list) else {None}
            interfaces = template.get("network_interfaces") or []
            out.append(
                NodeGroup(
                    group=short,
                    node_group_name=name,
                    instance_types=types,
                    capacity_type=group.get("capacity_type", "ON_DEMAND"),
                    ami_type=group.get("ami_type", ""),
                    zone=zones.pop() if len(zones) == 1 else None,
                    efa=any(i.get("interface_type") in ("efa", "efa-only") for i in interfaces),
                    labels=dict(group.get("labels") or {}),
                    taints=tuple(
                        Taint(t["key"], t.get("value") or "", EKS_EFFECTS[t["effect"]]) for t in group.get("taint") or ()
                    ),
                )
            )
    return sorted(out, key=lambda g: (g.group != SYSTEM, g.group))


# ---------------------------------------------------------------------------
# Workloads in rendered objects.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Workload:
    source: str  # "release nvidia-device-plugin", "add-on eks-node-monitoring-agent"
    kind: str
    name: str  # the object's name; "<runtime>/<replicated job>" inside a ClusterTrainingRuntime
    pod: dict = field(hash=False)  # nodeSelector, affinity, tolerations

    def __str__(self) -> str:
        return f"{self.source}: {self.kind} {self.name}"


def _placement(spec: dict) -> dict:
    return {k: spec[k] for k in ("nodeSelector", "affinity", "tolerations") if spec.get(k)}


# The operator resources of the CloudWatch chart carry pod placement at spec (its CRDs:
# AmazonCloudWatchAgent, DcgmExporter and NeuronMonitor spec.nodeSelector/affinity/tolerations).
OPERATOR_KINDS = ("AmazonCloudWatchAgent", "DcgmExporter", "NeuronMonitor")
POD_TEMPLATE_KINDS = ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job")


def workloads(source: str, obj: dict) -> list[Workload]:
    kind, name, spec = obj.get("kind"), obj.get("metadata", {}).get("name", ""), obj.get("spec") or {}
    if kind in POD_TEMPLATE_KINDS:
        return [Workload(source=source, kind=kind, name=name, pod=_placement(spec["template"].get("spec") or {}))]
    if kind == "CronJob":
        return [
            Workload(
                source=source, kind=kind, name=name, pod=_placement(spec["jobTemplate"]["spec"]["template"].get("spec") or {})
            )
        ]
    if kind == "Pod":
        return [Workload(source=source, kind=kind, name=name, pod=_placement(spec))]
    if kind in OPERATOR_KINDS:
        return [Workload(source=source, kind=kind, name=name, pod=_placement(spec))]
    if kind == "ClusterTrainingRuntime":
        return [
            Workload(
                source=source,
                kind=kind,
                name=f"{name}/{job['name']}",
                pod=_placement(job["template"]["spec"]["template"].get("spec") or {}),
            )
            for job in spec["template"]["spec"]["replicatedJobs"]
        ]
    if kind == "ResourceFlavor":
        # Kueue puts a flavor's nodeLabels into the nodeSelector, and its tolerations into the
        # tolerations, of every pod it admits on that flavor (Kueue docs, "Resource Flavor").
        return [
            Workload(
                source=source,
                kind=kind,
                name=name,
                pod=_placement({"nodeSelector": spec.get("nodeLabels"), "tolerations": spec.get("tolerations")}),
            )
        ]
    return []


# ---------------------------------------------------------------------------
# Where each workload lands, and what it should.
# ---------------------------------------------------------------------------

Slot = tuple[str, str]  # (group, instance type)


def slots(groups: list[NodeGroup]) -> list[Slot]:
    return [(g.group, t) for g in groups for t in g.instance_types]


def placement(workload: Workload, groups: list[NodeGroup]) -> dict[Slot, str | None]:
    """(group, instance type) -> None where the pod fits, else why not."""
    return {(g.group, t): why_not(workload.pod, g.node(t)) for g in groups for t in g.instance_types}


def _nvidia(g: NodeGroup) -> bool:
    return g.accelerator == "nvidia"


# The groups each kind of workload belongs on.
WHERE = {
    "system": lambda g: g.group == SYSTEM,
    "nvidia": _nvidia,
    "nvidia-al2023": lambda g: _nvidia(g) and not g.bottlerocket,
    "neuron": lambda g: g.accelerator == "neuron",
    "efa": lambda g: g.efa,
    "accelerated": lambda g: g.accelerator is not None,
    "every": lambda g: True,
    "nowhere": lambda g: False,
}


@dataclass(frozen=True, kw_only=True)
class Expect:
    """``kind`` objects named ``name`` (a regex; ``{group}`` stands for a GPU group's name) from
    ``source`` belong on the ``where`` groups: exactly those, or at least those."""

    source: str
    kind: str
    name: str
    where: str  # a key of WHERE, or "own" (the group named in the object's name)
    exactly: bool
    why: str

    def matches(self, workload: Workload) -> re.Match | None:
        if workload.source != self.source or workload.kind != self.kind:
            return None
        return re.fullmatch(self.name.replace("{group}", "(?P<group>[a-z0-9-]+?)"), workload.name)


def _agent(source, kind, name, where, why):
    return Expect(source=source, kind=kind, name=name, where=where, exactly=False, why=why)


def _only(source, kind, name, where, why):
    return Expect(source=source, kind=kind, name=name, where=where, exactly=True, why=why)


def _controller(source, kind, name):
    return Expect(
        source=source, kind=kind, name=name, where="system", exactly=False, why="a controller: it needs a system node to run on"
    )


NO_WINDOWS = "Windows nodes only; this project makes no Windows node group"
# One line per workload a release or add-on renders. A new component adds its lines here; a
# workload without one fails test_every_workload_has_an_expectation.
EXPECTATIONS: tuple[Expect, ...] = (
    # Device plugins: exactly the groups that have the device.
    _only(
        "release nvidia-device-plugin",
        "DaemonSet",
        "nvidia-device-plugin",
        "nvidia-al2023",
        "advertises nvidia.com/gpu; Bottlerocket's NVIDIA variant runs its own plugin",
    ),
    _only(
        "release nvidia-device-plugin",
        "DaemonSet",
        "nvidia-device-plugin-mps-control-daemon",
        "nowhere",
        "runs only on nodes labelled nvidia.com/mps.capable=true, which only an MPS sharing config sets; none is set",
    ),
    _only(
        "release aws-efa-k8s-device-plugin", "DaemonSet", "aws-efa-k8s-device-plugin", "efa", "advertises vpc.amazonaws.com/efa"
    ),
    _only("release neuron-helm-chart", "DaemonSet", "neuron-device-plugin", "neuron", "advertises aws.amazon.com/neuron"),
    # Node agents: on every accelerated node (and the system nodes).
    _agent(
        "add-on eks-node-monitoring-agent",
        "DaemonSet",
        "eks-node-monitoring-agent",
        "accelerated",
        "reports the node conditions node auto repair acts on",
    ),
    _only(
        "add-on eks-node-monitoring-agent",
        "DaemonSet",
        "dcgm-server",
        "nvidia",
        "the agent's GPU health checks (XID, ECC, NVLink) read DCGM through it",
    ),
    _agent("add-on amazon-cloudwatch-observability", "DaemonSet", "fluent-bit", "accelerated", "container logs"),
    _only("add-on amazon-cloudwatch-observability", "DaemonSet", "fluent-bit-windows", "nowhere", NO_WINDOWS),
    _agent(
        "add-on amazon-cloudwatch-observability",
        "AmazonCloudWatchAgent",
        "cloudwatch-agent",
        "accelerated",
        "node, pod, GPU and EFA metrics; the GPU alarms read them",
    ),
    _only("add-on amazon-cloudwatch-observability", "AmazonCloudWatchAgent", "cloudwatch-agent-windows", "nowhere", NO_WINDOWS),
    _only(
        "add-on amazon-cloudwatch-observability",
        "AmazonCloudWatchAgent",
        "cloudwatch-agent-windows-container-insights",
        "nowhere",
        NO_WINDOWS,
    ),
    _only(
        "add-on amazon-cloudwatch-observability",
        "DcgmExporter",
        "dcgm-exporter",
        "nvidia",
        "the GPU metrics the CloudWatch agent publishes and the alarms watch",
    ),
    _only(
        "add-on amazon-cloudwatch-observability",
        "NeuronMonitor",
        "neuron-monitor",
        "neuron",
        "the Neuron metrics the CloudWatch agent publishes",
    ),
    _agent(
        "add-on aws-mountpoint-s3-csi-driver",
        "DaemonSet",
        "s3-csi-node",
        "accelerated",
        "mounts the checkpoint bucket into the training pods on their node",
    ),
    _agent(
        "add-on aws-fsx-csi-driver",
        "DaemonSet",
        "fsx-csi-node",
        "accelerated",
        "mounts the Lustre file system into the training pods on their node",
    ),
    # Controllers.
    _controller("release kubeflow-trainer", "Deployment", "kubeflow-trainer-controller-manager"),
    _controller("release kubeflow-trainer", "Deployment", "jobset-controller"),
    _controller("release kueue", "Deployment", "kueue-controller-manager"),
    _controller("release cluster-autoscaler", "Deployment", "cluster-autoscaler-aws-cluster-autoscaler"),
    _controller("add-on amazon-cloudwatch-observability", "Deployment", "amazon-cloudwatch-observability-controller-manager"),
    _controller("add-on aws-mountpoint-s3-csi-driver", "Deployment", "s3-csi-controller"),
    _controller("add-on aws-fsx-csi-driver", "Deployment", "fsx-csi-controller"),
    # Training: a group's runtimes and Kueue flavor put pods on that group and no other.
    _only("release training-runtimes", "ClusterTrainingRuntime", "torch-{group}/node", "own", "torch-<group> trains on <group>"),
    _only(
        "release training-runtimes", "ClusterTrainingRuntime", "mpi-{group}/node", "own", "mpi-<group>'s workers run on <group>"
    ),
    _only(
        "release training-runtimes",
        "ClusterTrainingRuntime",
        "mpi-{group}/launcher",
        "own",
        "mpi-<group>'s launcher tolerates <group>'s taints and is pinned beside its workers",
    ),
    _only("release queues", "ResourceFlavor", "{group}", "own", "a job admitted on flavor <group> runs on <group>"),
    # The health gate: on a group's nodes until they pass (test_node_health_check.py places it on
    # pending and failed nodes).
    _only(
        "release node-health-check",
        "DaemonSet",
        "health-check-{group}",
        "nowhere",
        "it leaves a node once the node passed, and a job only meets passed nodes",
    ),
    # The periodic recheck: on a group's nodes that passed (test_node_health_check.py places it
    # on pending and failed nodes too, where it must not go).
    _only(
        "release node-health-check",
        "CronJob",
        "health-recheck-{group}",
        "own",
        "it rechecks <group>'s nodes that passed, when no training pod holds their GPUs",
    ),
)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    workload: Workload
    where: dict[Slot, str | None] = field(hash=False)
    expect: Expect | None
    expected: frozenset[Slot] = frozenset()
    problems: tuple[str, ...] = ()

    @property
    def fits(self) -> frozenset[Slot]:
        return frozenset(s for s, reason in self.where.items() if reason is None)


def expectation(workload: Workload, groups: list[NodeGroup]) -> tuple[Expect | None, frozenset[Slot] | None]:
    for expect in EXPECTATIONS:
        match = expect.matches(workload)
        if not match:
            continue
        if expect.where == "own":
            own = match.groupdict()["group"]
            if own not in {g.group for g in groups if g.group != SYSTEM}:
                continue
            chosen = [g for g in groups if g.group == own]
        else:
            chosen = [g for g in groups if WHERE[expect.where](g)]
        return expect, frozenset(slots(chosen))
    return None, None


def judge(workload: Workload, groups: list[NodeGroup]) -> Verdict:
    where = placement(workload, groups)
    expect, expected = expectation(workload, groups)
    fits = frozenset(s for s, reason in where.items() if reason is None)
    problems = []
    if expect is None:
        problems.append("no expectation in tests/placement.py EXPECTATIONS: add a line saying where it belongs")
    else:
        missing = sorted(expected - fits)
        if missing:
            problems.append(
                "cannot run on " + ", ".join(f"{g} ({t}: {where[(g, t)]})" for g, t in missing) + f"; it should ({expect.why})"
            )
        extra = sorted(fits - expected)
        if expect.exactly and extra:
            problems.append("also runs on " + ", ".join(f"{g} ({t})" for g, t in extra) + f"; it should not ({expect.why})")
    if not fits and (expect is None or expected):
        problems.append("can run on no node group at all")
    return Verdict(workload=workload, where=where, expect=expect, expected=expected or frozenset(), problems=tuple(problems))


# ---------------------------------------------------------------------------
# The table `make test` prints.
# ---------------------------------------------------------------------------


def _cell(verdict: Verdict, group: NodeGroup) -> str:
    fits = [t for t in group.instance_types if verdict.where[(group.group, t)] is None]
    if len(fits) == len(group.instance_types):
        return "yes"
    if not fits:
        return "-"
    return "only " + ",".join(fits)


def table(config: str, groups: list[NodeGroup], verdicts: list[Verdict]) -> list[str]:
    header = [f"{g.group} ({','.join(g.instance_types)})" for g in groups]
    rows = [[str(v.workload), *[_cell(v, g) for g in groups], "" if not v.problems else "WRONG"] for v in verdicts]
    widths = [max(len(r[i]) for r in [["workload", *header, ""], *rows]) for i in range(len(header) + 2)]
    lines = [f"{config}:", "  " + "  ".join(c.ljust(w) for c, w in zip(["workload", *header, ""], widths)).rstrip()]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return lines if rows else [f"{config}: no workload rendered"]


TABLES: dict[str, list[str]] = {}  # config -> its table, filled by the placement tests
