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
    # The cluster's minor as planned, a literal: EKS answers the version lookup at plan time
    # either way, and a literal lets the change rehearsal see a bump reach the lookups.
    kubernetes_version: str
    # Role ARN per add-on name, for the add-ons with an identity (the cluster stack's roles).
    role_arns: dict[str, str] = field(default_factory=dict, hash=False)


class ManagedAddons(Construct):
    """Each add-on runs the newest version EKS offers for the cluster's minor (the
    aws_eks_addon_version data source, most_recent = true: hashicorp/aws 5.100.0 docs, "the most
    recent or default version"; EKS DescribeAddonVersions lists the versions compatible with a
    Kubernetes version), so a minor bump updates every add-on in place (UpdateAddon takes a new
    addonVersion; the provider forces a new add-on only for a new addon_name or cluster_name).
    Conflicts with self-managed copies are overwritten on create and preserved on update. An
    add-on that needs AWS access gets it through a Pod Identity association on the add-on itself."""

    def __init__(self, scope: Construct, id_: str, *, props: ManagedAddonsProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.addons = []
        for addon in props.addons:
            identity = None
            if addon.identity is not None:
                identity = [
                    aws.EksAddonPodIdentityAssociation(
                        role_arn=props.role_arns[addon.name],
                        service_account=addon.identity.service_account,
                    )
                ]
            construct_id = addon.name.replace("-", "_")
            version = aws.DataAwsEksAddonVersion(
                self,
                f"{construct_id}_version",
                addon_name=addon.name,
                kubernetes_version=props.kubernetes_version,
                most_recent=True,
            )
            self.addons.append(
                aws.EksAddon(
                    self,
                    construct_id,
                    cluster_name=props.context.cluster_name,
                    addon_name=addon.name,
                    addon_version=version.version,
                    resolve_conflicts_on_create="OVERWRITE",
                    resolve_conflicts_on_update="PRESERVE",
                    configuration_values=json.dumps(addon.configuration, sort_keys=True) if addon.configuration else None,
                    pod_identity_association=identity,
                    depends_on=list(depends_on) or None,
                )
            )
