"""AWS EFA device plugin: advertises vpc.amazonaws.com/efa on nodes with EFA."""

from __future__ import annotations

from cluster_config import charts
from cluster_config.catalog import INSTANCE_TYPES

from . import PlatformContext, ReleaseSpec, tolerations_for


def release(context: PlatformContext) -> ReleaseSpec | None:
    component = context.config.platform.efa_device_plugin
    groups = [g for g in context.gpu_groups if g.efa]
    if not component.enabled or not groups:
        return None
    values = {
        "nodeSelector": {"vpc.amazonaws.com/efa.present": "true"},
        "tolerations": tolerations_for(groups),
        # The chart only schedules on instance types it lists; an old list silently
        # yields zero plugin pods on newer types, so we pass the catalog's.
        "supportedInstanceLabels": {
            "keys": ["node.kubernetes.io/instance-type"],
            "values": sorted(n for n, t in INSTANCE_TYPES.items() if t.efa_supported),
        },
        # The chart pins its image apart from its own version, and older charts ship
        # images below 0.5.10 (see charts.EFA_DEVICE_PLUGIN_MINIMUM): always run the
        # plugin release we checked, whatever chart version is chosen.
        "image": {"tag": charts.EFA_DEVICE_PLUGIN.app_version},
    }
    return ReleaseSpec(
        name="aws-efa-k8s-device-plugin", namespace="kube-system", chart=charts.EFA_DEVICE_PLUGIN.name,
        repository=charts.EFA_DEVICE_PLUGIN.repository, version=component.version or charts.EFA_DEVICE_PLUGIN.version,
        values=values,
    )
