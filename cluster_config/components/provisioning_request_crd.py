"""The ProvisioningRequest API (autoscaling.x-k8s.io/v1) that Kueue and cluster-autoscaler talk through.

Neither chart ships its CRD at the pinned versions (Kueue 0.19.2 only grants RBAC
for it; cluster-autoscaler's chart has none before 9.57.0), and Kueue starts its
provisioning controller only if the API exists when it starts
(cmd/kueue/main.go: "Skipping provisioning controller setup"). So this release
installs it first. The definition is ours and deliberately permissive: the two
controllers own the object's shape; the schema only lets it be stored, with the
status subresource cluster-autoscaler writes to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from . import kueue
from .contract import HelmComponent
from .release_spec import MANIFESTS_CHART, ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "provisioningrequests.autoscaling.x-k8s.io"},
    "spec": {
        "group": "autoscaling.x-k8s.io",
        "names": {
            "kind": "ProvisioningRequest",
            "listKind": "ProvisioningRequestList",
            "plural": "provisioningrequests",
            "singular": "provisioningrequest",
            "shortNames": ["provreq", "provreqs"],
        },
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
            }
        ],
    },
}


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    queues = settings.of(kueue.COMPONENT)
    if queues is None or not queues.all_or_nothing:
        return None
    return ReleaseSpec(
        name=COMPONENT.name,
        namespace=names.KUBE_SYSTEM_NAMESPACE,
        chart=str(MANIFESTS_CHART),
        version=None,
        values={"manifests": [CRD]},
    )


COMPONENT: HelmComponent[None] = HelmComponent(name="provisioning-request-crd", release=release)
