"""Kueue: queues, quotas and all-or-nothing admission for TrainJobs.

Its settings are the queue plan: a flavor per GPU group, cluster queues with quotas for the
teams and for what no team holds, and the local queues TrainJobs name (the objects are the
``kueue_queues`` release).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import yaml
from pydantic import Field

from .. import catalog, names
from ..schema import ChartVersion, GroupName, Namespace, Strict
from .contract import Chart, HelmComponent, PlanBasis
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CHART = Chart(
    name="kueue",
    repository="oci://registry.k8s.io/kueue/charts",
    version="0.19.2",
    app_version="v0.19.2",
    confirmed="kubernetes-sigs/kueue v0.19.2 = 8eab68778fc1 (2026-08-20), charts/kueue/Chart.yaml; its values.yaml "
    "enables the trainer.kubeflow.org/trainjob integration",
)
# The chart's values point at the project's staging registry with pullPolicy Always;
# releases are published to registry.k8s.io (charts/kueue/README.md).
IMAGE = "registry.k8s.io/kueue/kueue"


class Team(Strict):
    """A team's guaranteed share of the GPUs, in the namespaces it runs jobs in."""

    name: GroupName
    """The team's name; names its queue."""
    namespaces: Annotated[list[Namespace], Field(min_length=1)]
    """Namespaces the team runs jobs in."""
    quota: dict[str, Annotated[int, Field(ge=0)]]  # accelerators per GPU group name
    """Accelerators guaranteed per GPU group name."""
    can_borrow: bool = True  # use other teams' idle quota (given back when they need it)
    """Use other teams' idle quota, given back when they need it."""


class Config(Strict):
    """queues: Kueue's quotas per GPU group and team, and all-or-nothing starts."""

    enabled: bool = True
    """Install Kueue and a queue per GPU group."""
    version: ChartVersion | None = None  # None: the pin (CHART)
    """Unset: the pinned chart."""
    teams: list[Team] = []
    """Teams with guaranteed shares; none means one queue per group for everyone."""
    all_or_nothing: bool = True
    """Admit a job only once all its nodes are provisioned, so a partial scale-up never holds GPUs idle."""
    topology_aware: bool = True
    """Place the pods of a job on EFA groups by EC2 network topology (Kueue TAS): a Topology of the network layers EKS labels
    nodes with, referenced by those groups' flavors, on the types EC2 publishes the topology of."""


@dataclass(frozen=True, kw_only=True)
class QueueQuota:
    """Resources one cluster queue may use of one GPU group (a Kueue flavor)."""

    group: str
    accelerators: int
    borrowing_limit: int | None = None  # None: may borrow everything idle in the cohort; 0: none

    def resources(self, group: GpuNodeGroupPlan) -> dict[str, int | str]:
        """The quota in every resource a pod of this group asks for, in proportion to its accelerators."""
        nodes = self.accelerators / group.instance.accelerators
        quota: dict[str, int | str] = {group.accelerator_resource: self.accelerators}
        if group.efa:
            quota[names.EFA_RESOURCE] = round(nodes * group.efa_interfaces)
        quota["cpu"] = round(nodes * group.instance.vcpus)
        quota["memory"] = f"{round(nodes * group.instance.memory_gib)}Gi"
        return quota


@dataclass(frozen=True, kw_only=True)
class ClusterQueuePlan:
    name: str
    quotas: tuple[QueueQuota, ...]


@dataclass(frozen=True, kw_only=True)
class LocalQueuePlan:
    namespace: str
    name: str
    cluster_queue: str


@dataclass(frozen=True, kw_only=True)
class QueuesPlan:
    version: str
    cohort: str
    all_or_nothing: bool
    cluster_queues: tuple[ClusterQueuePlan, ...]
    local_queues: tuple[LocalQueuePlan, ...]
    # The groups whose flavor references the Topology; empty: no Topology at all.
    topology_groups: tuple[str, ...]

    def queue_for(self, namespace: str, group: str) -> str:
        """The local queue a TrainJob in this namespace names to run on this group."""
        names = {q.name for q in self.local_queues if q.namespace == namespace}
        return group if group in names else "default"


DEFAULT_QUEUE = "default"


def queues_plan(
    queues: Config, *, cluster_name: str, version: str, groups: tuple[GpuNodeGroupPlan, ...], training_namespaces: tuple[str, ...]
) -> QueuesPlan | None:
    if not queues.enabled or not groups:
        return None
    cluster_queues: list[ClusterQueuePlan] = []
    local_queues: list[LocalQueuePlan] = []
    claimed = {g.name: 0 for g in groups}
    team_namespaces: list[str] = []
    for team in queues.teams:
        name = f"team-{team.name}"
        quotas = tuple(
            QueueQuota(group=group, accelerators=accelerators, borrowing_limit=None if team.can_borrow else 0)
            for group, accelerators in team.quota.items()
        )
        cluster_queues.append(ClusterQueuePlan(name=name, quotas=quotas))
        for group, accelerators in team.quota.items():
            claimed[group] += accelerators
        for namespace in team.namespaces:
            team_namespaces.append(namespace)
            # As in the other training namespaces, a queue per group the team holds quota
            # in, so a TrainJob can name the group; all lead to the team's one cluster queue.
            for group in team.quota:
                local_queues.append(LocalQueuePlan(namespace=namespace, name=group, cluster_queue=name))
            local_queues.append(LocalQueuePlan(namespace=namespace, name=DEFAULT_QUEUE, cluster_queue=name))
    # What no team holds is one shared queue per group, which teams that may borrow
    # borrow from, and which every other training namespace uses.
    for node_group in groups:
        rest = node_group.scaling.max_size * node_group.instance.accelerators - claimed[node_group.name]
        cluster_queues.append(
            ClusterQueuePlan(name=node_group.name, quotas=(QueueQuota(group=node_group.name, accelerators=rest),))
        )
    for namespace in training_namespaces:
        if namespace in team_namespaces:
            continue
        for node_group in groups:
            local_queues.append(LocalQueuePlan(namespace=namespace, name=node_group.name, cluster_queue=node_group.name))
        # A TrainJob without a queue label goes to the namespace's "default" queue
        # (Kueue's LocalQueueDefaulting): the first GPU group's.
        local_queues.append(LocalQueuePlan(namespace=namespace, name=DEFAULT_QUEUE, cluster_queue=groups[0].name))
    return QueuesPlan(
        version=version,
        cohort=cluster_name,
        all_or_nothing=queues.all_or_nothing,
        cluster_queues=tuple(cluster_queues),
        local_queues=tuple(local_queues),
        topology_groups=tuple(g.name for g in groups if queues.topology_aware and topology_labelled(g)),
    )


def topology_labelled(group: GpuNodeGroupPlan) -> bool:
    """An EFA group whose every type carries the EC2 network labels. Kueue counts only nodes
    with every level's label toward a topology flavor (kubernetes-sigs/kueue v0.19.2
    pkg/util/tas/node.go NodeMatchesFlavor, 21-33), so a flavor on unlabelled nodes would
    never admit a job; a group without EFA has no spine traffic to keep close."""
    return group.efa and all(t in catalog.NETWORK_TOPOLOGY_LAYERS for t in group.instance_types)


def settings(basis: PlanBasis) -> QueuesPlan | None:
    """Queues need something to queue: the training operator and at least one group."""
    config = basis.config
    return queues_plan(
        config.queues,
        cluster_name=config.name,
        version=config.queues.version or CHART.version,
        groups=basis.gpu_groups if config.training_operator.enabled else (),
        training_namespaces=basis.training_namespaces,
    )


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    queues = settings.of(COMPONENT)
    if queues is None:
        return None
    return ReleaseSpec.from_chart(
        CHART,
        namespace=names.KUEUE_NAMESPACE,
        version=queues.version,
        create_namespace=False,
        values={
            "controllerManager": {
                "nodeSelector": names.SYSTEM_NODE_LABELS,
                "manager": {
                    "image": {"repository": IMAGE, "tag": f"v{queues.version.lstrip('v')}", "pullPolicy": "IfNotPresent"}
                },
            },
            "managerConfig": {"controllerManagerConfigYaml": yaml.safe_dump(manager_config(queues), sort_keys=False)},
        },
    )


def manager_config(queues) -> dict:
    """Kueue's configuration file, which the chart takes whole (config.kueue.x-k8s.io/v1beta2).

    The chart's defaults, less the integrations nobody here uses (a pod webhook on
    every pod, Ray, AppWrapper), plus waitForPodsReady: a job admitted but whose pods
    are not all running after the timeout (an Auto Scaling group that delivered only
    some of the nodes a ProvisioningRequest asked for) is evicted, its nodes released,
    and it is queued again with backoff.
    """
    return {
        "apiVersion": "config.kueue.x-k8s.io/v1beta2",
        "kind": "Configuration",
        "health": {"healthProbeBindAddress": ":8081"},
        "metrics": {"bindAddress": ":8443"},
        "webhook": {"port": 9443},
        "leaderElection": {"leaderElect": True, "resourceName": "c1f6bfd2.kueue.x-k8s.io"},
        "waitForPodsReady": {
            "timeout": WAIT_FOR_PODS_READY,
            "blockAdmission": False,
            "requeuingStrategy": {
                "timestamp": "Eviction",
                "backoffLimitCount": 5,
                "backoffBaseSeconds": 60,
                "backoffMaxSeconds": 1800,
            },
        },
        "integrations": {"frameworks": ["batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob"]},
    }


# Long enough for a p5 to boot, join and pull a multi-GB image; short enough that a
# partial scale-up does not hold GPUs for long.
WAIT_FOR_PODS_READY = "20m"


# Kueue starts its provisioning controller only if the ProvisioningRequest API exists when it
# starts; that component reads Kueue's settings, so it is named here rather than imported.
COMPONENT: HelmComponent[QueuesPlan | None] = HelmComponent(
    name=CHART.name,
    settings=settings,
    release=release,
    after=("provisioning-request-crd",),
)
