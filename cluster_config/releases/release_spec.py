"""One Helm release, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from .. import names

if TYPE_CHECKING:
    from ..plan.nodes import Taint


@dataclass(frozen=True, kw_only=True)
class ReleaseSpec:
    name: str
    namespace: str
    chart: str
    version: str | None
    values: dict = field(hash=False)
    repository: str | None = None  # None: ``chart`` is a directory in this repo
    create_namespace: bool = False
    after: tuple[str, ...] = ()  # names of releases that must be installed first
    uses_namespaces: tuple[str, ...] = ()  # namespaces its manifests put objects in, made first
    # Values known only after the cluster stack is applied (a bucket name, a file
    # system id), set by the platform stack as ``inputs.<name>``; the local chart's
    # manifests read them as {{ .Values.inputs.<name> }}.
    inputs: tuple[str, ...] = ()
    timeout_seconds: int = 600


def toleration(taint: Taint) -> dict:
    """Tolerates exactly this taint."""
    if taint.value:
        return {"key": taint.key, "operator": "Equal", "value": taint.value, "effect": taint.effect}
    return {"key": taint.key, "operator": "Exists", "effect": taint.effect}


def tolerations_for(groups: Iterable) -> list[dict]:
    """Tolerate every taint of these groups whatever its value, each once, in a stable order."""
    seen: dict[tuple, dict] = {}
    for group in groups:
        for taint in group.taints:
            seen.setdefault((taint.key, taint.effect), {"key": taint.key, "operator": "Exists", "effect": taint.effect})
    return [seen[k] for k in sorted(seen)]


def device_plugin_tolerations(groups: Iterable) -> list[dict]:
    """What an accelerator device plugin tolerates: the critical-add-on taint its chart
    tolerates by default (a values list replaces the chart's) and every taint of its groups."""
    return [{"key": names.CRITICAL_ADDONS_ONLY_TAINT_KEY, "operator": "Exists"}, *tolerations_for(groups)]
