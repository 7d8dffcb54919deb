"""Kueue: queues, quotas and all-or-nothing admission for TrainJobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import charts, names
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    queues = settings.queues
    if queues is None:
        return None
    return ReleaseSpec(
        name=charts.KUEUE.name, namespace=names.KUEUE_NAMESPACE, chart=charts.KUEUE.name,
        repository=charts.KUEUE.repository, version=queues.version, create_namespace=False,
        values={
            "controllerManager": {
                "nodeSelector": names.SYSTEM_NODE_LABELS,
                "manager": {"image": {"repository": charts.KUEUE_IMAGE, "tag": f"v{queues.version.lstrip('v')}",
                                      "pullPolicy": "IfNotPresent"}},
            },
        },
    )
