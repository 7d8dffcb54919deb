"""AWS's Neuron chart: the device plugin that advertises aws.amazon.com/neuron on Trainium nodes.

The scheduler extension stays off: AWS documents it for pods that take some but not
all of a node's Neuron devices (it keeps their devices adjacent, e.g. 1, 4, 8 or 16 on
trn1); the runtimes here take every device of a node, which needs no choice of
devices (Neuron docs, "Neuron scheduler extension"). Its node problem detector stays
off too: the EKS node monitoring agent reports Neuron faults to node auto repair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import charts, names
from ..catalog import INSTANCE_TYPES
from .release_spec import ReleaseSpec, device_plugin_tolerations

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.neuron_device_plugin
    served = [g for g in groups if not g.nvidia]
    if not component.enabled or not served:
        return None
    return ReleaseSpec(
        name=charts.NEURON.name, namespace=names.KUBE_SYSTEM_NAMESPACE, chart=charts.NEURON.name,
        repository=charts.NEURON.repository, version=component.version,
        values={
            # The device plugin's required node affinity lists the chart's neuronInstances
            # (see charts.NEURON for what is confirmed of the key at 1.10.0); chart 1.0.0's
            # list lacks trn2. Like the EFA plugin, it gets the catalog's list, so a type the
            # chart has not caught up with still gets the plugin, at any chart version.
            "neuronInstances": sorted(n for n, t in INSTANCE_TYPES.items() if t.accelerator_kind == "neuron"),
            # The chart's own list tolerates only aws.amazon.com/neuron; groups may have other taints.
            "devicePlugin": {"tolerations": device_plugin_tolerations(served)},
            "scheduler": {"enabled": False},
            "npd": {"enabled": False},
        },
    )
