"""NVIDIA device plugin: advertises nvidia.com/gpu on AL2023 GPU nodes.

Bottlerocket's NVIDIA variant runs its own device plugin, so its groups are
left out; a second plugin there would double-advertise the GPUs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import charts, names
from .release_spec import ReleaseSpec, device_plugin_tolerations

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.nvidia_device_plugin
    served = [g for g in groups if g.nvidia and not g.bottlerocket]
    if not component.enabled or not served:
        return None
    return ReleaseSpec(
        name=charts.NVIDIA_DEVICE_PLUGIN.name, namespace=names.KUBE_SYSTEM_NAMESPACE, chart=charts.NVIDIA_DEVICE_PLUGIN.name,
        repository=charts.NVIDIA_DEVICE_PLUGIN.repository, version=component.version,
        values={
            "nodeSelector": {names.GPU_PRESENT_LABEL: "true"},
            # Replaces the chart's NFD-based affinity (a list, so Helm does not merge it):
            # only the AL2023 groups, never Bottlerocket ones.
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": names.NODEGROUP_LABEL, "operator": "In", "values": sorted(g.node_group_name for g in served)}]},
            ]}}},
            "tolerations": device_plugin_tolerations(served),
            "gfd": {"enabled": False},
        },
    )
