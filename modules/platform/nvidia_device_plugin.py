"""NVIDIA device plugin: advertises nvidia.com/gpu on AL2023 GPU nodes.

Bottlerocket's NVIDIA variant runs its own device plugin, so its groups are
left out; a second plugin there would double-advertise the GPUs.
"""

from __future__ import annotations

from cluster_config import charts

from . import NODEGROUP_LABEL, PlatformContext, ReleaseSpec, tolerations_for


def release(context: PlatformContext) -> ReleaseSpec | None:
    component = context.config.platform.nvidia_device_plugin
    groups = [
        g for g in context.gpu_groups
        if g.instance.accelerator_kind == "nvidia" and not g.bottlerocket
    ]
    if not component.enabled or not groups:
        return None
    return ReleaseSpec(
        name="nvidia-device-plugin", namespace="kube-system", chart=charts.NVIDIA_DEVICE_PLUGIN.name,
        repository=charts.NVIDIA_DEVICE_PLUGIN.repository, version=component.version or charts.NVIDIA_DEVICE_PLUGIN.version,
        values={
            "nodeSelector": {"nvidia.com/gpu.present": "true"},
            # Replaces the chart's NFD-based affinity (a list, so Helm does not merge it):
            # only the AL2023 groups, never Bottlerocket ones.
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": NODEGROUP_LABEL, "operator": "In", "values": sorted(context.node_group_name(g) for g in groups)}]},
            ]}}},
            "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}, *tolerations_for(groups)],
            "gfd": {"enabled": False},
        },
    )
