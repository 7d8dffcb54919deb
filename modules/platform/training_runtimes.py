"""One PyTorch ClusterTrainingRuntime per GPU node group.

A TrainJob that names ``torch-<group>`` lands on that group's nodes, tolerates
its taints, and gets its GPUs and EFA devices without the user knowing either
count. The runtimes are installed as a second Helm release (a local chart that
applies the manifests it is given) that waits for the Trainer release: Helm does
not need the CRDs at plan time, so the custom resources never sit in the same
Terraform plan as the CRDs that define them.
"""

from __future__ import annotations

from pathlib import Path

from cluster_config.plan import GpuNodeGroupPlan

from . import NODEGROUP_LABEL, PlatformContext, ReleaseSpec, toleration
from .kubeflow_trainer import NAMESPACE, RELEASE_NAME as TRAINER_RELEASE

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "manifests"
CODE_CONFIGMAP = "training-code"  # optional; the examples put their scripts here
CODE_MOUNT = "/workspace/code"


def runtime_name(group: GpuNodeGroupPlan) -> str:
    return f"torch-{group.name}"


def pod_template(context: PlatformContext, group: GpuNodeGroupPlan) -> dict:
    resources = {group.accelerator_resource: group.instance.accelerators}
    env = []
    if group.efa:
        resources["vpc.amazonaws.com/efa"] = group.efa_interfaces
        env.append({"name": "FI_PROVIDER", "value": "efa"})
        if group.instance.nvlink and group.instance.accelerator_kind == "nvidia":
            # p4d/p5/p6 support GPUDirect RDMA over EFA; the g types do not.
            env.append({"name": "FI_EFA_USE_DEVICE_RDMA", "value": "1"})
    return {
        "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
        "spec": {
            "nodeSelector": {NODEGROUP_LABEL: context.node_group_name(group)},
            "tolerations": [toleration(t) for t in group.taints],
            "containers": [{
                "name": "node",
                "image": context.config.training_operator.image,
                "env": env,
                "resources": {"limits": resources, "requests": resources},
                "volumeMounts": [
                    {"name": "dshm", "mountPath": "/dev/shm"},
                    {"name": "code", "mountPath": CODE_MOUNT, "readOnly": True},
                ],
            }],
            "volumes": [
                # NCCL and DataLoader workers exchange data through /dev/shm; the
                # container default of 64 MiB is far too small.
                {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                {"name": "code", "configMap": {"name": CODE_CONFIGMAP, "optional": True}},
            ],
        },
    }


def runtime(context: PlatformContext, group: GpuNodeGroupPlan) -> dict:
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "ClusterTrainingRuntime",
        "metadata": {"name": runtime_name(group), "labels": {"trainer.kubeflow.org/framework": "torch"}},
        "spec": {
            "mlPolicy": {"numNodes": 1, "torch": {}},
            "template": {"spec": {"replicatedJobs": [{
                "name": "node",
                "template": {
                    "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                    "spec": {"template": pod_template(context, group)},
                },
            }]}},
        },
    }


def release(context: PlatformContext) -> ReleaseSpec | None:
    # Trainium needs torch-neuronx and the Neuron device plugin, neither of which
    # the platform installs yet (the configuration warns), so it gets no runtime.
    groups = [g for g in context.gpu_groups if g.instance.accelerator_kind == "nvidia"]
    if not context.config.training_operator.enabled or not groups:
        return None
    return ReleaseSpec(
        name="training-runtimes", namespace=NAMESPACE, chart=str(CHART_DIR), version=None,
        values={"manifests": [runtime(context, g) for g in groups]},
        after=(TRAINER_RELEASE,),
    )
