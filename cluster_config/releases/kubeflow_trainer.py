"""Kubeflow Trainer v2 (TrainJob API) with the JobSet controller its chart bundles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import charts, names
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

RELEASE_NAME = charts.KUBEFLOW_TRAINER.name


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    trainer = settings.trainer
    if not trainer.enabled:
        return None
    return ReleaseSpec(
        name=RELEASE_NAME, namespace=names.TRAINER_NAMESPACE, chart=charts.KUBEFLOW_TRAINER.name,
        repository=charts.KUBEFLOW_TRAINER.repository, version=trainer.version,
        values={
            # Since 2.3 the CRDs are chart templates, so `helm upgrade` updates them.
            "crds": {"enabled": True},
            "jobset": {"install": True, "controller": {"nodeSelector": names.SYSTEM_NODE_LABELS}},
            "manager": {"nodeSelector": names.SYSTEM_NODE_LABELS},
            # The chart's own runtimes know nothing of our node groups, taints or EFA;
            # training_runtimes.py makes one per GPU group instead.
            "runtimes": {"defaultEnabled": False},
        },
    )
