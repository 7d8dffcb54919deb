"""EKS managed add-ons, split by whether they must exist before nodes join."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws

# vpc-cni must be running before a node can become Ready; the Pod Identity agent
# must be there before any workload asks for credentials. coredns needs nodes to
# schedule on, so it waits for the system node group.
BEFORE_NODES = ("vpc-cni", "eks-pod-identity-agent", "kube-proxy")
AFTER_NODES = ("coredns",)


@dataclass(frozen=True, kw_only=True)
class ManagedAddonsProps:
    cluster_name: str
    addons: tuple[str, ...]


class ManagedAddons(Construct):
    """Versions are left to EKS, which installs the default version for the
    cluster's Kubernetes version; conflicts with self-managed copies are
    overwritten on create and preserved on update."""

    def __init__(self, scope: Construct, id_: str, *, props: ManagedAddonsProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.addons = [
            aws.EksAddon(
                self, addon.replace("-", "_"), cluster_name=props.cluster_name, addon_name=addon,
                resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="PRESERVE",
                depends_on=list(depends_on) or None,
            )
            for addon in props.addons
        ]
