"""EKS managed add-ons of one install phase."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from constructs import Construct

from cluster_config.context import ClusterContext
from cluster_config.plan.addons import AddonPlan

from . import bindings as aws


@dataclass(frozen=True, kw_only=True)
class ManagedAddonsProps:
    context: ClusterContext
    addons: tuple[AddonPlan, ...]
    # Role ARN per add-on name, for the add-ons with an identity (the cluster stack's roles).
    role_arns: dict[str, str] = field(default_factory=dict, hash=False)


class ManagedAddons(Construct):
    """Versions are left to EKS, which installs the default version for the
    cluster's Kubernetes version; conflicts with self-managed copies are
    overwritten on create and preserved on update. An add-on that needs AWS access
    gets it through a Pod Identity association on the add-on itself."""

    def __init__(self, scope: Construct, id_: str, *, props: ManagedAddonsProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.addons = []
        for addon in props.addons:
            identity = None
            if addon.identity is not None:
                identity = [aws.EksAddonPodIdentityAssociation(
                    role_arn=props.role_arns[addon.name], service_account=addon.identity.service_account,
                )]
            self.addons.append(aws.EksAddon(
                self, addon.name.replace("-", "_"), cluster_name=props.context.cluster_name, addon_name=addon.name,
                resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE",
                configuration_values=json.dumps(addon.configuration, sort_keys=True) if addon.configuration else None,
                pod_identity_association=identity,
                depends_on=list(depends_on) or None,
            ))
