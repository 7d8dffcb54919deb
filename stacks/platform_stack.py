from __future__ import annotations

from cdktf import TerraformResource, TerraformStack
from constructs import Construct

from cluster_config.inputs import PlatformInputs
from cluster_config.plan import ClusterPlan
from modules.cluster_access import ClusterAccess, ClusterAccessProps
from modules.helm_release import HelmRelease, HelmReleaseProps
from modules.platform_namespace import PlatformNamespace, PlatformNamespaceProps

from .common import aws_access, state_backend


class PlatformStack(TerraformStack):
    """Helm releases in dependency order; namespaces other than the built-in ones are
    made first with the kubernetes provider."""

    def __init__(
        self, scope: Construct, id_: str, *, plan: ClusterPlan, cluster: ClusterAccessProps, inputs: PlatformInputs
    ) -> None:
        super().__init__(scope, id_)
        state_backend(self, plan, "platform")
        if cluster.auth == "token":
            aws_access(self, plan)
        ClusterAccess(self, "cluster_access", props=cluster)

        namespaces = {
            name: PlatformNamespace(
                self, f"namespace_{name.replace('-', '_')}", props=PlatformNamespaceProps(name=name)
            ).namespace
            for name in plan.platform.namespaces_to_create
        }
        installed: dict[str, HelmRelease] = {}
        for spec in plan.platform.releases:
            depends_on: list[TerraformResource] = [installed[name].release for name in spec.after]
            depends_on += [namespaces[n] for n in (spec.namespace, *spec.uses_namespaces) if n in namespaces]
            installed[spec.name] = HelmRelease(
                self,
                spec.name.replace("-", "_"),
                props=HelmReleaseProps(
                    spec=spec,
                    inputs=inputs,
                ),
                depends_on=depends_on,
            )
