"""The EKS control plane's settings, as the cluster stack builds it."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Cluster


@dataclass(frozen=True, kw_only=True)
class ControlPlanePlan:
    name: str
    region: str
    partition: str
    kubernetes_version: str
    endpoint_public_access: bool
    endpoint_public_access_cidrs: tuple[str, ...]
    admin_principal_arns: tuple[str, ...]
    log_types: tuple[str, ...]
    log_retention_days: int
    service_ipv4_cidr: str | None

    @property
    def log_group_name(self) -> str:
        return f"/aws/eks/{self.name}/cluster"


def control_plane_plan(*, name: str, region: str, partition: str, kubernetes_version: str, cluster: Cluster) -> ControlPlanePlan:
    return ControlPlanePlan(
        name=name,
        region=region,
        partition=partition,
        kubernetes_version=kubernetes_version,
        endpoint_public_access=cluster.endpoint_public_access,
        # Without a public endpoint EKS takes no CIDR list; the rules reject one.
        endpoint_public_access_cidrs=tuple(cluster.endpoint_public_access_cidrs),
        admin_principal_arns=tuple(cluster.admin_principal_arns),
        log_types=tuple(cluster.log_types),
        log_retention_days=cluster.log_retention_days,
        service_ipv4_cidr=cluster.service_ipv4_cidr,
    )
