"""Kueue's objects for this cluster: a flavor per GPU group, cluster queues with quotas, local queues,
and the Topology the flavors of EFA groups reference.

Custom resources, so like the training runtimes they are a second release of
the local manifests chart that waits for the Kueue release (and its CRDs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from . import kueue
from .contract import HelmComponent
from .release_spec import MANIFESTS_CHART, ReleaseSpec, toleration

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings
    from .kueue import QueuesPlan

API_VERSION = "kueue.x-k8s.io/v1beta2"
PROVISIONING_CHECK = "all-or-nothing"
# cluster-autoscaler scales every node group a request needs at once, or none
# (its ProvisioningRequest class for atomic scale-up; see the README for what it guarantees).
ATOMIC_SCALE_UP_CLASS = "best-effort-atomic-scale-up.autoscaling.x-k8s.io"


def topology() -> dict:
    """The EC2 network from its top layer down to the node, the levels a job asks Kueue to keep
    its pods within. Layers 1 to 3 only: every labelled type has them, the four-layer p6 types
    a fourth below, and Kueue ignores a node missing any level's label (kueue.topology_labelled).
    The hostname last, as the Topology CRD requires (kueue.x-k8s.io_topologies.yaml v1beta2, 141-144).
    No feature gate to set: TopologyAwareScheduling is beta and on by default since Kueue 0.14
    (v0.19.2 pkg/features/kube_features.go 683-686), and the chart sets none (values.yaml featureGates: [])."""
    return {
        "apiVersion": API_VERSION,
        "kind": "Topology",
        "metadata": {"name": names.TOPOLOGY_NAME},
        "spec": {"levels": [{"nodeLabel": label} for label in (*names.NETWORK_NODE_LAYER_LABELS, names.HOSTNAME_LABEL)]},
    }


def flavor(group: GpuNodeGroupPlan, queues: QueuesPlan) -> dict:
    spec: dict = {
        # Kueue matches a pod to the flavor whose labels its nodeSelector agrees with,
        # and adds the labels and tolerations to the pods it admits.
        "nodeLabels": {names.NODEGROUP_LABEL: group.node_group_name},
        "tolerations": [toleration(t) for t in group.taints],
    }
    if group.name in queues.topology_groups:
        # The CRD wants nodeLabels beside it (kueue.x-k8s.io_resourceflavors.yaml v1beta2, 371-372),
        # and once set, nodeLabels, tolerations and the name itself are immutable (373-381).
        spec["topologyName"] = names.TOPOLOGY_NAME
    return {"apiVersion": API_VERSION, "kind": "ResourceFlavor", "metadata": {"name": group.name}, "spec": spec}


def cluster_queue(queue, queues: QueuesPlan, groups: dict[str, GpuNodeGroupPlan]) -> dict:
    """One resource group covering every resource of the queue's groups, and a flavor per group.

    Kueue's ClusterQueue webhook rejects a resource covered by two resource groups and a
    flavor listed twice, and wants each flavor's resources named in the order of
    ``coveredResources`` (kubernetes-sigs/kueue v0.19.2 pkg/webhooks/clusterqueue_webhook.go
    validateResourceGroups, lines 302-329: field.Duplicate at 313 and 322;
    validateFlavorQuotas, "must match the name in coveredResources", 339-341). A team
    with quota on an EFA group and a group without EFA still gets one group: the flavor
    without the resource holds 0 of it. Kueue picks the flavor whose node labels match
    the pod's nodeSelector, which the runtimes set to their group.
    """
    quotas = [(quota, quota.resources(groups[quota.group])) for quota in queue.quotas]
    covered = list(dict.fromkeys(name for _, resources in quotas for name in resources))
    flavors = []
    for quota, resources in quotas:
        entries = []
        for name in covered:
            value = resources.get(name, 0)
            entry = {"name": name, "nominalQuota": value}
            if quota.borrowing_limit is not None:
                entry["borrowingLimit"] = 0 if isinstance(value, int) else "0"
            entries.append(entry)
        flavors.append({"name": quota.group, "resources": entries})
    resource_groups = [{"coveredResources": covered, "flavors": flavors}]
    spec = {
        "cohortName": queues.cohort,
        "namespaceSelector": {},
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": resource_groups,
        # A queue takes back what others borrowed from it, and never preempts for borrowing.
        "preemption": {
            "reclaimWithinCohort": "Any",
            "borrowWithinCohort": {"policy": "Never"},
            "withinClusterQueue": "LowerPriority",
        },
    }
    if queues.all_or_nothing:
        spec["admissionChecksStrategy"] = {"admissionChecks": [{"name": PROVISIONING_CHECK}]}
    return {"apiVersion": API_VERSION, "kind": "ClusterQueue", "metadata": {"name": queue.name}, "spec": spec}


def manifests(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> list[dict]:
    queues = settings.of(kueue.COMPONENT)
    assert queues is not None, "release() asks for the manifests only when queues are on"
    by_name = {g.name: g for g in groups}
    out = [topology()] if queues.topology_groups else []
    out += [flavor(g, queues) for g in groups]
    if queues.all_or_nothing:
        out.append(
            {
                "apiVersion": API_VERSION,
                "kind": "ProvisioningRequestConfig",
                "metadata": {"name": PROVISIONING_CHECK},
                "spec": {
                    "provisioningClassName": ATOMIC_SCALE_UP_CLASS,
                    # Only pods that ask for accelerators wait for new nodes; CPU pods fit the system nodes.
                    "managedResources": sorted({g.accelerator_resource for g in groups}),
                    "retryStrategy": {"backoffLimitCount": 3, "backoffBaseSeconds": 60, "backoffMaxSeconds": 1800},
                },
            }
        )
        out.append(
            {
                "apiVersion": API_VERSION,
                "kind": "AdmissionCheck",
                "metadata": {"name": PROVISIONING_CHECK},
                "spec": {
                    "controllerName": "kueue.x-k8s.io/provisioning-request",
                    "parameters": {"apiGroup": "kueue.x-k8s.io", "kind": "ProvisioningRequestConfig", "name": PROVISIONING_CHECK},
                },
            }
        )
    out += [cluster_queue(q, queues, by_name) for q in queues.cluster_queues]
    out += [
        {
            "apiVersion": API_VERSION,
            "kind": "LocalQueue",
            "metadata": {"name": q.name, "namespace": q.namespace},
            "spec": {"clusterQueue": q.cluster_queue},
        }
        for q in queues.local_queues
    ]
    return out


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    queues = settings.of(kueue.COMPONENT)
    if queues is None:
        return None
    return ReleaseSpec(
        name=COMPONENT.name,
        namespace=names.KUEUE_NAMESPACE,
        chart=str(MANIFESTS_CHART),
        version=None,
        values={"manifests": manifests(settings, groups)},
        uses_namespaces=tuple(sorted({q.namespace for q in queues.local_queues})),
    )


COMPONENT: HelmComponent[None] = HelmComponent(name="queues", release=release, after=(kueue.COMPONENT.name,))
