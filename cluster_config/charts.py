"""The pinned charts, by the names tools and tests look them up by (tools/upstream_charts.py, the render tests).

Nothing is pinned here: each pin is declared, with where it was confirmed, in its component's
module (``cluster_config/components/<name>.py``, ``CHART``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .components import cluster_autoscaler, efa_device_plugin, kubeflow_trainer, kueue, neuron_device_plugin, nvidia_device_plugin

KUBEFLOW_TRAINER = kubeflow_trainer.CHART
NVIDIA_DEVICE_PLUGIN = nvidia_device_plugin.CHART
NEURON = neuron_device_plugin.CHART
EFA_DEVICE_PLUGIN = efa_device_plugin.CHART
CLUSTER_AUTOSCALER = cluster_autoscaler.CHART
CLUSTER_AUTOSCALER_BY_MINOR = cluster_autoscaler.BY_MINOR  # the last chart of each Kubernetes minor
KUEUE = kueue.CHART


@dataclass(frozen=True)
class PairEvidence:
    """Why two pins are known to work together, from their sources at the pinned tags."""

    pins: tuple[tuple[str, str], ...]  # (chart, version) the verdict is about
    verdict: str
    evidence: tuple[str, ...]
    kept_because: str  # why the pins stay (or moved)


# Kueue 0.19.2 is built against Trainer API 2.2.1 (go.mod: github.com/kubeflow/trainer/v2 v2.2.1);
# the project runs Trainer 2.3.0. Read at the tags (kubernetes-sigs/kueue v0.19.2 = 8eab68778fc1,
# kubeflow/trainer v2.2.1 = c505fc7ccec9 and v2.3.0 = 658725bdae5c), it admits and resumes 2.3.0 TrainJobs;
# tests/unit/test_components.py holds
# this record to the pins, so a pin that moves must bring its evidence.
KUEUE_TRAINER = PairEvidence(
    pins=((KUEUE.name, KUEUE.version), (KUBEFLOW_TRAINER.name, KUBEFLOW_TRAINER.version)),
    verdict="Kueue 0.19.2 admits, suspends and resumes Trainer 2.3.0 TrainJobs",
    evidence=(
        # The one field the integration writes exists, same shape, in both APIs.
        "kueue v0.19.2 pkg/controller/jobs/trainjob: the webhook adds a runtimePatches entry with manager "
        "kueue.x-k8s.io/manager; RunWithPodSetsInfo fills its replicatedJobs with each podset's labels, annotations, "
        "nodeSelector, tolerations and schedulingGates and unsuspends; Stop suspends and RestorePodSetsInfo empties them",
        "trainer pkg/apis/trainer/v1alpha1/trainjob_types.go: spec.runtimePatches (json runtimePatches) and RuntimePatch "
        "{manager, time, trainingRuntimeSpec} are in v2.2.1 and v2.3.0; 2.3.0 adds only CEL checks on storageUri, longer "
        "command/args items and an optional PodSpecPatch.terminationGracePeriodSeconds",
        "trainer pkg/webhooks/trainjob_webhook.go is identical at v2.2.1 and v2.3.0 (stamps each patch's time, keeps "
        "other managers' patches immutable); the jobset plugin's runtimePatches rules are the same",
        # PR #14504's "no API compatibility" is about the merge: it does not bite Kueue's own patch.
        "trainer pkg/runtime/core/trainingruntime.go mergeRuntimePatches: v2.2.1 merges each patch into the replicated "
        "job of the same name, v2.3.0 strategic-merges the whole JobSet spec (replicatedJobs by name), so only a patch "
        "naming an absent replicated job differs (appended, not ignored: kubernetes-sigs/kueue PR #14504); Kueue names "
        "exactly the runtime's replicated jobs (RunWithPodSetsInfo rejects another count), so both merge it alike",
        "kueue v0.19.2 computes the podsets from the runtime with the 2.2.1 library: 2.3.0's runtime additions (torch "
        "envInjection) change no pod count or request",
        "limit: Kueue 0.19.2 updates the whole TrainJob through 2.2.1 types, so a 2.3.0-only field a job sets "
        "(runtimePatches ... terminationGracePeriodSeconds) is dropped at admission; the project's runtimes and "
        "examples set none",
    ),
    kept_because="both pins stay: the pair works, and the reference charts hold Kueue 0.19.2 only (no newer Kueue "
    "release exists in kubernetes-sigs/kueue, whose main moved to Trainer 2.3.0 in PR #14504) and "
    "kubeflow-trainer 2.3.0 only (no 2.2.1 chart), so neither pin could move with its chart",
)
