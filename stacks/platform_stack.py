from __future__ import annotations

from cdktf import TerraformStack
from constructs import Construct

from cluster_config.model import ClusterConfig
from modules.cluster_access import ClusterAccess, ClusterAccessProps
from modules.helm_release import HelmRelease
from modules.platform import ReleaseSpec
from modules.platform_namespace import PlatformNamespace

from .common import aws_provider, state_backend

PREINSTALLED_NAMESPACES = ("kube-system", "default")


class PlatformStack(TerraformStack):
    """Helm releases in dependency order; namespaces other than the built-in ones are
    made first with the kubernetes provider."""

    def __init__(self, scope: Construct, id_: str, *, config: ClusterConfig, cluster: ClusterAccessProps,
                 releases: list[ReleaseSpec]) -> None:
        super().__init__(scope, id_)
        state_backend(self, config, "platform")
        if cluster.auth == "token":
            aws_provider(self, config)
        ClusterAccess(self, "cluster_access", props=cluster)

        namespaces = {
            name: PlatformNamespace(self, f"namespace_{name.replace('-', '_')}", name=name).namespace
            for name in sorted({r.namespace for r in releases} - set(PREINSTALLED_NAMESPACES))
        }
        installed: dict[str, HelmRelease] = {}
        for spec in releases:
            depends_on = [installed[name].release for name in spec.after]
            if spec.namespace in namespaces:
                depends_on.append(namespaces[spec.namespace])
            installed[spec.name] = HelmRelease(self, spec.name.replace("-", "_"), spec=spec, depends_on=depends_on)
