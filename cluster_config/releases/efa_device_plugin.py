"""AWS EFA device plugin: advertises vpc.amazonaws.com/efa on nodes with EFA."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import charts, names
from ..catalog import INSTANCE_TYPES
from .release_spec import ReleaseSpec, tolerations_for

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.efa_device_plugin
    served = [g for g in groups if g.efa]
    if not component.enabled or not served:
        return None
    values = {
        "nodeSelector": {names.EFA_PRESENT_LABEL: "true"},
        "tolerations": tolerations_for(served),
        # The chart only schedules on instance types it lists; an old list silently
        # yields zero plugin pods on newer types, so we pass the catalog's.
        "supportedInstanceLabels": {
            "keys": [names.INSTANCE_TYPE_LABEL],
            "values": sorted(n for n, t in INSTANCE_TYPES.items() if t.efa_supported),
        },
        # The chart pins its image apart from its own version, and older charts ship
        # images below 0.5.10 (see charts.EFA_DEVICE_PLUGIN_MINIMUM): always run the
        # plugin release we checked, whatever chart version is chosen.
        # From this region's EKS registry, not the chart's us-west-2 one: no cross-region
        # pull, and it works without NAT through the VPC's ECR endpoints.
        "image": {"repository": charts.efa_device_plugin_image(settings.region), "tag": charts.EFA_DEVICE_PLUGIN.app_version},
    }
    return ReleaseSpec(
        name=charts.EFA_DEVICE_PLUGIN.name, namespace=names.KUBE_SYSTEM_NAMESPACE, chart=charts.EFA_DEVICE_PLUGIN.name,
        repository=charts.EFA_DEVICE_PLUGIN.repository, version=component.version, values=values,
    )
