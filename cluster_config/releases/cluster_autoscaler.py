"""cluster-autoscaler: scales GPU node groups up from zero and back down when idle.

Its AWS permissions come through EKS Pod Identity: the cluster stack associates a
role with the service account named in ``names``, which this chart creates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import charts, names
from . import provisioning_request_crd
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.cluster_autoscaler
    if not component.enabled:
        return None
    extra_args = {
        "balance-similar-node-groups": "true",
        # Picks the group that wastes the fewest GPUs for the pending pods.
        "expander": "least-waste",
        # kube-system pods other than daemonsets must not pin an idle GPU node.
        "skip-nodes-with-system-pods": "false",
        "scale-down-unneeded-time": "10m",
        "scale-down-delay-after-add": "10m",
    }
    values: dict = {}
    after: tuple[str, ...] = ()
    if settings.queues is not None and settings.queues.all_or_nothing:
        # Kueue's all-or-nothing admission check asks for a job's nodes through
        # ProvisioningRequests; the autoscaler's FAQ asks for JSON with them. Chart 9.53.0
        # grants no access to these objects (9.57.0 adds it), so the rules are added here.
        extra_args["enable-provisioning-requests"] = "true"
        extra_args["kube-api-content-type"] = "application/json"
        values["rbac"] = {"additionalRules": [
            {"apiGroups": [""], "resources": ["podtemplates"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["autoscaling.x-k8s.io"], "resources": ["provisioningrequests", "provisioningrequests/status"],
             "verbs": ["get", "list", "watch", "update", "patch"]},
        ]}
        after = (provisioning_request_crd.RELEASE_NAME,)
    return ReleaseSpec(
        name=charts.CLUSTER_AUTOSCALER.name, namespace=names.AUTOSCALER_NAMESPACE, chart=charts.CLUSTER_AUTOSCALER.name,
        repository=charts.CLUSTER_AUTOSCALER.repository, version=component.version,
        values={
            "cloudProvider": "aws",
            "awsRegion": settings.region,
            "autoDiscovery": {"clusterName": settings.cluster_name},
            "rbac": {"serviceAccount": {"create": True, "name": names.AUTOSCALER_SERVICE_ACCOUNT}, **values.get("rbac", {})},
            "nodeSelector": names.SYSTEM_NODE_LABELS,
            "extraArgs": extra_args,
        },
        after=after,
    )
