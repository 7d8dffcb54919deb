"""NVIDIA device plugin: advertises nvidia.com/gpu on AL2023 GPU nodes.

Bottlerocket's NVIDIA variant runs its own device plugin, so its groups are
left out; a second plugin there would double-advertise the GPUs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from .contract import Chart, ChartSettings, ChartToggle, HelmComponent, PlanBasis, chart_settings
from .release_spec import ReleaseSpec, device_plugin_tolerations

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CHART = Chart(
    name="nvidia-device-plugin",
    repository="https://nvidia.github.io/k8s-device-plugin",
    version="0.19.3",
    app_version="v0.19.3",
    confirmed="NVIDIA/k8s-device-plugin releases; 0.19.3 was the release downstream projects moved from to 0.20.0 in 2026-08",
)


class Config(ChartToggle):
    """platform.nvidia_device_plugin: the NVIDIA device plugin."""


def settings(basis: PlanBasis) -> ChartSettings:
    return chart_settings(basis.config.platform.nvidia_device_plugin, CHART)


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.of(COMPONENT)
    served = [g for g in groups if g.nvidia and not g.bottlerocket]
    if not component.enabled or not served:
        return None
    return ReleaseSpec.from_chart(
        CHART,
        namespace=names.KUBE_SYSTEM_NAMESPACE,
        version=component.version,
        values={
            "nodeSelector": {names.GPU_PRESENT_LABEL: "true"},
            # Replaces the chart's NFD-based affinity (a list, so Helm does not merge it):
            # only the AL2023 groups, never Bottlerocket ones.
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": names.NODEGROUP_LABEL,
                                        "operator": "In",
                                        "values": sorted(g.node_group_name for g in served),
                                    }
                                ]
                            },
                        ]
                    }
                }
            },
            "tolerations": device_plugin_tolerations(served),
            "gfd": {"enabled": False},
        },
    )


COMPONENT: HelmComponent[ChartSettings] = HelmComponent(name=CHART.name, settings=settings, release=release)
