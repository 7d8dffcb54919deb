"""Kueue: queues, quotas and all-or-nothing admission for TrainJobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from .. import charts, names
from . import provisioning_request_crd
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    queues = settings.queues
    if queues is None:
        return None
    return ReleaseSpec(
        name=charts.KUEUE.name, namespace=names.KUEUE_NAMESPACE, chart=charts.KUEUE.name,
        repository=charts.KUEUE.repository, version=queues.version, create_namespace=False,
        values={
            "controllerManager": {
                "nodeSelector": names.SYSTEM_NODE_LABELS,
                "manager": {"image": {"repository": charts.KUEUE_IMAGE, "tag": f"v{queues.version.lstrip('v')}",
                                      "pullPolicy": "IfNotPresent"}},
            },
            "managerConfig": {"controllerManagerConfigYaml": yaml.safe_dump(manager_config(queues), sort_keys=False)},
        },
        after=(provisioning_request_crd.RELEASE_NAME,) if queues.all_or_nothing else (),
    )


def manager_config(queues) -> dict:
    """Kueue's configuration file, which the chart takes whole (config.kueue.x-k8s.io/v1beta2).

    The chart's defaults, less the integrations nobody here uses (a pod webhook on
    every pod, Ray, AppWrapper), plus waitForPodsReady: a job admitted but whose pods
    are not all running after the timeout (an Auto Scaling group that delivered only
    some of the nodes a ProvisioningRequest asked for) is evicted, its nodes released,
    and it is queued again with backoff.
    """
    return {
        "apiVersion": "config.kueue.x-k8s.io/v1beta2",
        "kind": "Configuration",
        "health": {"healthProbeBindAddress": ":8081"},
        "metrics": {"bindAddress": ":8443"},
        "webhook": {"port": 9443},
        "leaderElection": {"leaderElect": True, "resourceName": "c1f6bfd2.kueue.x-k8s.io"},
        "waitForPodsReady": {
            "timeout": WAIT_FOR_PODS_READY,
            "blockAdmission": False,
            "requeuingStrategy": {"timestamp": "Eviction", "backoffLimitCount": 5, "backoffBaseSeconds": 60,
                                  "backoffMaxSeconds": 1800},
        },
        "integrations": {"frameworks": ["batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob"]},
    }


# Long enough for a p5 to boot, join and pull a multi-GB image; short enough that a
# partial scale-up does not hold GPUs for long.
WAIT_FOR_PODS_READY = "20m"
