"""AWS's Neuron chart: the device plugin that advertises aws.amazon.com/neuron on Trainium nodes.

The scheduler extension stays off: AWS documents it for pods that take some but not
all of a node's Neuron devices (it keeps their devices adjacent, e.g. 1, 4, 8 or 16 on
trn1); the runtimes here take every device of a node, which needs no choice of
devices (Neuron docs, "Neuron scheduler extension"). Its node problem detector stays
off too: the EKS node monitoring agent reports Neuron faults to node auto repair.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from ..catalog import INSTANCE_TYPES
from .contract import Chart, ChartSettings, ChartToggle, HelmComponent, PlanBasis, chart_settings
from .release_spec import ReleaseSpec, device_plugin_tolerations

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

# AWS's Neuron chart (aws-neuron/neuron-helm-charts, charts/neuron-helm-chart): the Neuron
# device plugin (aws.amazon.com/neuron, aws.amazon.com/neuroncore), an optional scheduler
# extension and a node problem detector.
#
# What is confirmed, and from where:
# - The repository snapshot (5 commits, cdfb6b6 2024-09-04 .. 8172e5e 2024-09-17, no tags)
#   says version 1.0.0 throughout. There the device plugin's DaemonSet has a required node
#   affinity to the top-level `neuronInstances` list (templates/device-plugin-daemonset.yaml),
#   which lacks trn2, and the values have devicePlugin.tolerations, scheduler.enabled,
#   npd.enabled.
# - Loose files in the search index from later commits (device-plugin/device-plugin-
#   daemonset.yaml at 7324cd0, _helpers.tpl) still build the affinity from `neuronInstances`,
#   through devicePlugin.affinity's __NEURON_INSTANCES__ placeholder.
# - 1.10.0 itself is known only from a third party's public `helm show values
#   oci://public.ecr.aws/neuron/neuron-helm-chart --version 1.10.0` transcript (a blog post,
#   2026-09-12; digest sha256:ed5d8f73b7a05d3a1edf17b2bfaf277ea995ad1c65b115fa8ba2c7b4dc649346):
#   device plugin 2.32.0.0, the keys neuronInstances (there with trn2.3xlarge and
#   trn2.48xlarge), devicePlugin.tolerations, scheduler.enabled and npd.enabled.
# Not confirmed: the 1.10.0 templates themselves, from any upstream snapshot. So the render
# tests leave the Neuron release unrendered: there is no chart at the pin to render.
CHART = Chart(
    name="neuron-helm-chart",
    repository="oci://public.ecr.aws/neuron",
    version="1.10.0",
    app_version="1.10.0",
    confirmed="version and values keys from a third party's helm show values transcript of 1.10.0 (not from the "
    "repository); keys and the neuronInstances affinity also at aws-neuron/neuron-helm-charts 8172e5e (chart 1.0.0): "
    "neuronInstances, devicePlugin.tolerations, scheduler.enabled, npd.enabled",
)


class Config(ChartToggle):
    """platform.neuron_device_plugin: AWS's Neuron device plugin, for the Trainium groups."""


def settings(basis: PlanBasis) -> ChartSettings:
    return chart_settings(basis.config.platform.neuron_device_plugin, CHART)


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.of(COMPONENT)
    served = [g for g in groups if not g.nvidia]
    if not component.enabled or not served:
        return None
    return ReleaseSpec.from_chart(
        CHART,
        namespace=names.KUBE_SYSTEM_NAMESPACE,
        version=component.version,
        values={
            # The device plugin's required node affinity lists the chart's neuronInstances
            # (see CHART for what is confirmed of the key at 1.10.0); chart 1.0.0's
            # list lacks trn2. Like the EFA plugin, it gets the catalog's list, so a type the
            # chart has not caught up with still gets the plugin, at any chart version.
            "neuronInstances": sorted(n for n, t in INSTANCE_TYPES.items() if t.accelerator_kind == "neuron"),
            # The chart's own list tolerates only aws.amazon.com/neuron; groups may have other taints.
            "devicePlugin": {"tolerations": device_plugin_tolerations(served)},
            "scheduler": {"enabled": False},
            "npd": {"enabled": False},
        },
    )


COMPONENT: HelmComponent[ChartSettings] = HelmComponent(name=CHART.name, settings=settings, release=release)
