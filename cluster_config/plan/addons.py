"""EKS managed add-ons: which are on, in which phase, with what configuration.

Generic: each add-on (``cluster_config.components``) declares when it is on, its phase, its
configuration and its identity; nothing here names an add-on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..components import ADDONS
from ..components.contract import IdentityPlan, PlanBasis, PodIdentity


@dataclass(frozen=True, kw_only=True)
class AddonPlan:
    name: str
    # Installed right after the control plane (what a node needs to become Ready, or a pod
    # to get credentials); else after the system node group, which it runs on.
    before_nodes: bool
    configuration: dict | None = field(default=None, hash=False)  # the add-on's configuration_values
    # The IAM role EKS Pod Identity gives the add-on's own service account, which the cluster
    # stack makes; None: the add-on needs no AWS access of its own.
    identity: PodIdentity | None = None


def addons_plan(basis: PlanBasis) -> tuple[AddonPlan, ...]:
    return tuple(
        AddonPlan(name=a.name, before_nodes=a.before_nodes, configuration=a.configuration, identity=a.identity)
        for a in ADDONS
        if a.enabled(basis)
    )


def addon_identities(addons: tuple[AddonPlan, ...]) -> tuple[IdentityPlan, ...]:
    """The add-ons hand their roles over themselves (the aws_eks_addon's pod_identity_association)."""
    return tuple(IdentityPlan(component=a.name, identity=a.identity, associate=False) for a in addons if a.identity)
