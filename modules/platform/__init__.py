"""The in-cluster platform as a list of small components.

Each component module has one function, ``release(context) -> ReleaseSpec | None``,
that returns the Helm release it needs (or None when it has nothing to do for this
cluster). Values are plain data, so they are tested without a synth; the platform
stack turns each spec into a ``helm_release`` through ``modules.helm_release``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cluster_config.model import ClusterConfig
from cluster_config.plan import GpuNodeGroupPlan, Taint, gpu_node_group_plan, node_group_name

SYSTEM_NODE_SELECTOR = {"gpu-eks/role": "system"}
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"  # set by EKS on every managed node


@dataclass(frozen=True, kw_only=True)
class ReleaseSpec:
    name: str
    namespace: str
    chart: str
    version: str | None
    values: dict = field(hash=False)
    repository: str | None = None  # None: ``chart`` is a directory in this repo
    create_namespace: bool = False
    after: tuple[str, ...] = ()  # names of releases that must be installed first
    timeout_seconds: int = 600


@dataclass(frozen=True, kw_only=True)
class PlatformContext:
    config: ClusterConfig
    gpu_groups: tuple[GpuNodeGroupPlan, ...]

    @property
    def cluster_name(self) -> str:
        return self.config.name

    def node_group_name(self, group: GpuNodeGroupPlan) -> str:
        return node_group_name(self.config.name, group.name)


def context_for(config: ClusterConfig) -> PlatformContext:
    return PlatformContext(config=config, gpu_groups=tuple(gpu_node_group_plan(g) for g in config.gpu_node_groups))


def toleration(taint: Taint) -> dict:
    if taint.value:
        return {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def tolerations_for(groups) -> list[dict]:
    """Tolerate every taint of these groups, each once, in a stable order."""
    seen: dict[tuple, dict] = {}
    for group in groups:
        for taint in group.taints:
            seen.setdefault((taint.key, taint.effect), {"key": taint.key, "operator": "Exists", "effect": taint.effect})
    return [seen[k] for k in sorted(seen)]


def platform_releases(config: ClusterConfig) -> list[ReleaseSpec]:
    from . import cluster_autoscaler, efa_device_plugin, kubeflow_trainer, nvidia_device_plugin, training_runtimes

    context = context_for(config)
    components = (kubeflow_trainer, training_runtimes, nvidia_device_plugin, efa_device_plugin, cluster_autoscaler)
    return [spec for spec in (c.release(context) for c in components) if spec is not None]
