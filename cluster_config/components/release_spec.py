"""One Helm release, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .. import names
from ..inputs import read_by

if TYPE_CHECKING:
    from ..plan.nodes import Taint
    from .contract import Chart

# The local chart that applies the manifests it is given: custom resources as a release of
# their own that waits for the release of their CRDs, so Helm never needs a CRD at plan time.
MANIFESTS_CHART = Path(__file__).resolve().parents[2] / "charts" / "manifests"


@dataclass(frozen=True, kw_only=True)
class ReleaseSpec:
    name: str
    namespace: str
    chart: str
    version: str | None
    values: dict = field(hash=False)
    repository: str | None = None  # None: ``chart`` is a directory in this repo
    create_namespace: bool = False
    after: tuple[str, ...] = ()  # releases installed first (set by the plan from the components' ``after``)
    uses_namespaces: tuple[str, ...] = ()  # namespaces its manifests put objects in, made first
    timeout_seconds: int = 600

    @classmethod
    def from_chart(cls, chart: Chart, *, namespace: str, version: str, values: dict, **options) -> ReleaseSpec:
        """A release of a pinned chart from its repository, named after the chart."""
        return cls(
            name=chart.name,
            namespace=namespace,
            chart=chart.name,
            repository=chart.repository,
            version=version,
            values=values,
            **options,
        )

    @property
    def inputs(self) -> tuple[str, ...]:
        """The cluster stack's values its manifests read (cluster_config.inputs), which the
        platform stack sets on the release."""
        return read_by(self.values)


def toleration(taint: Taint) -> dict:
    """Tolerates exactly this taint."""
    if taint.value:
        return {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def tolerations_for(groups: Iterable) -> list[dict]:
    """What a node agent tolerates: every taint of these groups whatever its value, and the
    health gate's startup taint (an agent must run on a node that has not passed yet), each
    once, in a stable order."""
    seen: dict[tuple, dict] = {
        (names.HEALTH_KEY, "NoSchedule"): {"key": names.HEALTH_KEY, "operator": "Exists", "effect": "NoSchedule"}
    }
    for group in groups:
        for taint in group.taints:
            seen.setdefault((taint.key, taint.effect), {"key": taint.key, "operator": "Exists", "effect": taint.effect})
    return [seen[k] for k in sorted(seen)]


def device_plugin_tolerations(groups: Iterable) -> list[dict]:
    """What an accelerator device plugin tolerates: the critical-add-on taint its chart
    tolerates by default (a values list replaces the chart's) and every taint of its groups."""
    return [{"key": names.CRITICAL_ADDONS_ONLY_TAINT_KEY, "operator": "Exists"}, *tolerations_for(groups)]
