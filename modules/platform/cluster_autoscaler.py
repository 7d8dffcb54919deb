"""cluster-autoscaler: scales GPU node groups up from zero and back down when idle.

Its AWS permissions come through EKS Pod Identity (the role and association are
made in the cluster stack, see modules/autoscaler_identity.py), so the service
account name here must match that association.
"""

from __future__ import annotations

from cluster_config import charts

from . import SYSTEM_NODE_SELECTOR, PlatformContext, ReleaseSpec

NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"


def enabled(config) -> bool:
    return config.platform.cluster_autoscaler.enabled


def release(context: PlatformContext) -> ReleaseSpec | None:
    component = context.config.platform.cluster_autoscaler
    if not component.enabled:
        return None
    return ReleaseSpec(
        name="cluster-autoscaler", namespace=NAMESPACE, chart=charts.CLUSTER_AUTOSCALER.name,
        repository=charts.CLUSTER_AUTOSCALER.repository, version=component.version or charts.CLUSTER_AUTOSCALER.version,
        values={
            "cloudProvider": "aws",
            "awsRegion": context.config.region,
            "autoDiscovery": {"clusterName": context.cluster_name},
            "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
            "nodeSelector": SYSTEM_NODE_SELECTOR,
            "extraArgs": {
                "balance-similar-node-groups": "true",
                # Picks the group that wastes the fewest GPUs for the pending pods.
                "expander": "least-waste",
                # kube-system pods other than daemonsets must not pin an idle GPU node.
                "skip-nodes-with-system-pods": "false",
                "scale-down-unneeded-time": "10m",
                "scale-down-delay-after-add": "10m",
            },
        },
    )
