"""Kubeflow Trainer v2 (TrainJob API) with the JobSet controller its chart bundles."""

from __future__ import annotations

from cluster_config import charts

from . import SYSTEM_NODE_SELECTOR, PlatformContext, ReleaseSpec

NAMESPACE = "kubeflow-system"
RELEASE_NAME = "kubeflow-trainer"


def release(context: PlatformContext) -> ReleaseSpec | None:
    operator = context.config.training_operator
    if not operator.enabled:
        return None
    return ReleaseSpec(
        name=RELEASE_NAME, namespace=NAMESPACE, chart=charts.KUBEFLOW_TRAINER.name,
        repository=charts.KUBEFLOW_TRAINER.repository, version=operator.version,
        values={
            # Since 2.3 the CRDs are chart templates, so `helm upgrade` updates them.
            "crds": {"enabled": True},
            "jobset": {"install": True, "controller": {"nodeSelector": SYSTEM_NODE_SELECTOR}},
            "manager": {"nodeSelector": SYSTEM_NODE_SELECTOR},
            # The chart's own runtimes know nothing of our node groups, taints or EFA;
            # training_runtimes.py makes one per GPU group instead.
            "runtimes": {"defaultEnabled": False},
        },
    )
