from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, TerraformStack
from constructs import Construct

from cluster_config.model import ClusterConfig
from modules import bindings
from modules.helm_release import HelmRelease
from modules.platform import ReleaseSpec

from .common import aws_provider, state_backend

PREINSTALLED_NAMESPACES = ("kube-system", "default")


@dataclass(frozen=True)
class ClusterAccess:
    """What the platform stack needs from the cluster stack (cross-stack references)."""

    name: str
    endpoint: str
    certificate_authority_data: str


class PlatformStack(TerraformStack):
    def __init__(self, scope: Construct, id_: str, *, config: ClusterConfig, cluster: ClusterAccess,
                 releases: list[ReleaseSpec]) -> None:
        super().__init__(scope, id_)
        state_backend(self, config, "platform")
        ca_certificate = Fn.base64decode(cluster.certificate_authority_data)
        if config.platform.kubernetes_auth == "token":
            aws_provider(self, config)
            token = bindings.DataAwsEksClusterAuth(self, "auth", name=cluster.name).token
            bindings.KubernetesProvider(self, "kubernetes", host=cluster.endpoint, cluster_ca_certificate=ca_certificate, token=token)
            bindings.HelmProvider(self, "helm", kubernetes=bindings.HelmProviderKubernetes(
                host=cluster.endpoint, cluster_ca_certificate=ca_certificate, token=token,
            ))
        else:
            command = dict(
                api_version="client.authentication.k8s.io/v1beta1", command="aws",
                args=["eks", "get-token", "--cluster-name", cluster.name, "--region", config.region, "--output", "json"],
            )
            bindings.KubernetesProvider(self, "kubernetes", host=cluster.endpoint, cluster_ca_certificate=ca_certificate,
                                   exec=[bindings.KubernetesProviderExec(**command)])
            bindings.HelmProvider(self, "helm", kubernetes=bindings.HelmProviderKubernetes(
                host=cluster.endpoint, cluster_ca_certificate=ca_certificate, exec=bindings.HelmProviderKubernetesExec(**command),
            ))

        namespaces = {}
        for namespace in sorted({r.namespace for r in releases} - set(PREINSTALLED_NAMESPACES)):
            namespaces[namespace] = bindings.NamespaceV1(self, f"namespace_{namespace.replace('-', '_')}", metadata=bindings.NamespaceV1Metadata(
                name=namespace, labels={"app.kubernetes.io/managed-by": "gpu-eks"},
            ))
        installed: dict[str, HelmRelease] = {}
        for spec in releases:
            depends_on = [installed[name].release for name in spec.after]
            if spec.namespace in namespaces:
                depends_on.append(namespaces[spec.namespace])
            installed[spec.name] = HelmRelease(self, spec.name.replace("-", "_"), spec=spec, depends_on=depends_on)
