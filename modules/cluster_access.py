"""The kubernetes and helm providers, pointed at the cluster from the cluster stack's outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from cdktf import Fn
from constructs import Construct

from . import bindings


@dataclass(frozen=True, kw_only=True)
class ClusterAccessProps:
    cluster_name: str
    endpoint: str
    certificate_authority_data: str  # base64, as EKS returns it
    region: str
    auth: Literal["exec", "token"]


class ClusterAccess(Construct):
    """``exec`` asks `aws eks get-token` for a fresh token on every provider
    configuration (needs the AWS CLI: laptops, most CI). ``token`` reads one from
    aws_eks_cluster_auth at plan time, for Terraform Cloud runners, which have no
    AWS CLI; that token lives about 15 minutes, so it needs the aws provider in
    the same stack."""

    def __init__(self, scope: Construct, id_: str, *, props: ClusterAccessProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        ca_certificate = Fn.base64decode(props.certificate_authority_data)
        if props.auth == "token":
            token = bindings.DataAwsEksClusterAuth(
                self, "auth", name=props.cluster_name, depends_on=list(depends_on) or None
            ).token
            bindings.KubernetesProvider(
                scope, "kubernetes", host=props.endpoint, cluster_ca_certificate=ca_certificate, token=token
            )
            bindings.HelmProvider(
                scope,
                "helm",
                kubernetes=bindings.HelmProviderKubernetes(
                    host=props.endpoint,
                    cluster_ca_certificate=ca_certificate,
                    token=token,
                ),
            )
            return
        command: dict[str, Any] = dict(
            api_version="client.authentication.k8s.io/v1beta1",
            command="aws",
            args=["eks", "get-token", "--cluster-name", props.cluster_name, "--region", props.region, "--output", "json"],
        )
        bindings.KubernetesProvider(
            scope,
            "kubernetes",
            host=props.endpoint,
            cluster_ca_certificate=ca_certificate,
            exec=[bindings.KubernetesProviderExec(**command)],
        )
        bindings.HelmProvider(
            scope,
            "helm",
            kubernetes=bindings.HelmProviderKubernetes(
                host=props.endpoint,
                cluster_ca_certificate=ca_certificate,
                exec=bindings.HelmProviderKubernetesExec(**command),
            ),
        )
