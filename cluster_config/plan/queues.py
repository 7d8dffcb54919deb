"""Who may use which GPUs: Kueue's flavors, cluster queues and local queues, derived from the groups and teams."""

from __future__ import annotations

from dataclasses import dataclass

from .. import names
from ..model import Queues
from .nodes import GpuNodeGroupPlan


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

    def queue_for(self, namespace: str, group: str) -> str:
        """The local queue a TrainJob in this namespace names to run on this group."""
        names = {q.name for q in self.local_queues if q.namespace == namespace}
        return group if group in names else "default"


DEFAULT_QUEUE = "default"


def queues_plan(queues: Queues, *, cluster_name: str, version: str, groups: tuple[GpuNodeGroupPlan, ...],
                training_namespaces: tuple[str, ...]) -> QueuesPlan | None:
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
    for group in groups:
        rest = group.scaling.max_size * group.instance.accelerators - claimed[group.name]
        cluster_queues.append(ClusterQueuePlan(name=group.name, quotas=(QueueQuota(group=group.name, accelerators=rest),)))
    for namespace in training_namespaces:
        if namespace in team_namespaces:
            continue
        for group in groups:
            local_queues.append(LocalQueuePlan(namespace=namespace, name=group.name, cluster_queue=group.name))
        # A TrainJob without a queue label goes to the namespace's "default" queue
        # (Kueue's LocalQueueDefaulting): the first GPU group's.
        local_queues.append(LocalQueuePlan(namespace=namespace, name=DEFAULT_QUEUE, cluster_queue=groups[0].name))
    return QueuesPlan(
        version=version, cohort=cluster_name, all_or_nothing=queues.all_or_nothing,
        cluster_queues=tuple(cluster_queues), local_queues=tuple(local_queues),
    )
