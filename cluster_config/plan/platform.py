"""The in-cluster platform: every component's settings, its Helm releases in install order, and their identities.

Generic: each component (``cluster_config.components``) declares how its settings are
derived and what its release is; nothing here names a component.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, TypeVar

from .. import names
from ..components import HELM_COMPONENTS
from ..components.contract import HelmComponent, IdentityPlan, PlanBasis
from ..components.release_spec import ReleaseSpec
from .storage import StoragePlan

S = TypeVar("S")


@dataclass(frozen=True, kw_only=True)
class PlatformSettings:
    """What the release specs are derived from, besides the GPU groups."""

    cluster_name: str
    region: str
    storage: StoragePlan
    components: Mapping[str, Any] = field(hash=False)  # each component's settings, by component name

    def of(self, component: HelmComponent[S]) -> S:
        return self.components[component.name]


@dataclass(frozen=True, kw_only=True)
class PlatformPlan:
    auth: Literal["exec", "token"]
    settings: PlatformSettings
    releases: tuple[ReleaseSpec, ...]  # in install order; empty: no platform stack
    identities: tuple[IdentityPlan, ...]  # of the components with a release

    @property
    def namespaces_to_create(self) -> tuple[str, ...]:
        """Release namespaces, and the training namespaces once something runs there."""
        wanted = {r.namespace for r in self.releases}
        if self.releases:
            wanted |= set(self.settings.storage.training_namespaces)
        return tuple(sorted(wanted - set(names.PREINSTALLED_NAMESPACES)))


def platform_plan(basis: PlanBasis) -> PlatformPlan:
    config = basis.config
    settings = PlatformSettings(
        cluster_name=config.name,
        region=config.region,
        storage=basis.storage,
        components={c.name: c.settings(basis) for c in HELM_COMPONENTS if c.settings is not None},
    )
    releases: list[ReleaseSpec] = []
    identities: list[IdentityPlan] = []
    for component in HELM_COMPONENTS:
        spec = component.release(settings, basis.gpu_groups)
        if spec is None:
            continue
        if spec.name != component.name:
            raise ValueError(f"component {component.name} made a release called {spec.name}; the names must agree")
        installed = {r.name for r in releases}
        releases.append(dataclasses.replace(spec, after=tuple(name for name in component.after if name in installed)))
        identities += [
            IdentityPlan(component=component.name, identity=identity, associate=True) for identity in component.identities(basis)
        ]
    return PlatformPlan(
        auth=config.platform.kubernetes_auth, settings=settings, releases=tuple(releases), identities=tuple(identities)
    )
