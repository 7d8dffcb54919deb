"""The in-cluster platform: which components are on, at which chart versions, and their Helm releases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import charts, names
from ..model import Platform, TrainingOperator
from ..releases.release_spec import ReleaseSpec
from .queues import QueuesPlan
from .storage import StoragePlan


@dataclass(frozen=True, kw_only=True)
class ComponentPlan:
    enabled: bool
    version: str  # the user's chart version, else the project's pin


@dataclass(frozen=True, kw_only=True)
class TrainerPlan:
    enabled: bool
    version: str
    image: str  # of the NVIDIA groups' runtimes
    image_is_users: bool  # the user set training_operator.image (else a DLC with EFA, public or private)
    neuron_image: str  # of the Trainium groups' runtimes
    max_restarts: int  # JobSet restarts after a pod failure, each resuming from a checkpoint


@dataclass(frozen=True, kw_only=True)
class PlatformSettings:
    """What the release specs are derived from, besides the GPU groups."""

    cluster_name: str
    region: str
    storage: StoragePlan
    queues: QueuesPlan | None  # None: no Kueue
    trainer: TrainerPlan
    nvidia_device_plugin: ComponentPlan
    neuron_device_plugin: ComponentPlan
    efa_device_plugin: ComponentPlan
    cluster_autoscaler: ComponentPlan


@dataclass(frozen=True, kw_only=True)
class PlatformPlan:
    auth: Literal["exec", "token"]
    settings: PlatformSettings
    releases: tuple[ReleaseSpec, ...]  # in install order; empty: no platform stack

    @property
    def namespaces_to_create(self) -> tuple[str, ...]:
        """Release namespaces, and the training namespaces once something runs there."""
        wanted = {r.namespace for r in self.releases}
        if self.releases:
            wanted |= set(self.settings.storage.training_namespaces)
        return tuple(sorted(wanted - set(names.PREINSTALLED_NAMESPACES)))


def training_image(operator: TrainingOperator, field: str, *, region: str, air_gapped: bool) -> str:
    """The user's image, else the default DLC: from public ECR, or without NAT from the
    region's private DLC registry, which the VPC's ECR endpoints reach."""
    if field in operator.model_fields_set or not air_gapped:
        return getattr(operator, field)
    private = charts.private_training_image if field == "image" else charts.private_neuron_training_image
    return private(region)


def platform_settings(*, cluster_name: str, region: str, kubernetes_version: str, storage: StoragePlan,
                      queues: QueuesPlan | None, operator: TrainingOperator, platform: Platform,
                      air_gapped: bool) -> PlatformSettings:
    def component(settings, chart: charts.Chart, version: str | None = None) -> ComponentPlan:
        return ComponentPlan(enabled=settings.enabled, version=settings.version or version or chart.version)

    # The autoscaler matching the cluster's minor; a minor no chart ships yet gets the newest.
    autoscaler = charts.cluster_autoscaler_chart(kubernetes_version) or charts.cluster_autoscaler_chart(
        max(charts.CLUSTER_AUTOSCALER_BY_MINOR, key=lambda minor: int(minor.split(".")[1])))
    return PlatformSettings(
        cluster_name=cluster_name, region=region, storage=storage, queues=queues,
        trainer=TrainerPlan(enabled=operator.enabled, version=operator.version,
                            image=training_image(operator, "image", region=region, air_gapped=air_gapped),
                            image_is_users="image" in operator.model_fields_set,
                            neuron_image=training_image(operator, "neuron_image", region=region, air_gapped=air_gapped),
                            max_restarts=operator.max_restarts),
        nvidia_device_plugin=component(platform.nvidia_device_plugin, charts.NVIDIA_DEVICE_PLUGIN),
        neuron_device_plugin=component(platform.neuron_device_plugin, charts.NEURON),
        efa_device_plugin=component(platform.efa_device_plugin, charts.EFA_DEVICE_PLUGIN),
        cluster_autoscaler=component(platform.cluster_autoscaler, charts.CLUSTER_AUTOSCALER, autoscaler[0]),
    )
