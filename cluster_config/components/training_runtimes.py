"""One PyTorch ClusterTrainingRuntime per GPU node group.

A TrainJob that names ``torch-<group>`` lands on that group's nodes, tolerates
its taints, and gets its GPUs and EFA devices without the user knowing either
count. The runtimes are installed as a second Helm release (a local chart that
applies the manifests it is given) that waits for the Trainer release: Helm does
not need the CRDs at plan time, so the custom resources never sit in the same
Terraform plan as the CRDs that define them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from ..inputs import FROM_CLUSTER
from . import kubeflow_trainer
from .contract import HelmComponent
from .release_spec import MANIFESTS_CHART, ReleaseSpec, toleration

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CODE_CONFIGMAP = "training-code"  # optional; the examples put their scripts here
CODE_MOUNT = "/workspace/code"
SCRATCH_MOUNT = "/scratch"
CHECKPOINTS_MOUNT = "/checkpoints"
FSX_MOUNT = "/fsx"


def pod_template(settings: PlatformSettings, group: GpuNodeGroupPlan) -> dict:
    resources = group.resources_per_node
    env: list[dict] = []
    trainer = settings.of(kubeflow_trainer.COMPONENT)
    image = trainer.image if group.nvidia else trainer.neuron_image
    mounts = [
        {"name": "dshm", "mountPath": "/dev/shm"},
        {"name": "code", "mountPath": CODE_MOUNT, "readOnly": True},
        {"name": "scratch", "mountPath": SCRATCH_MOUNT},
    ]
    volumes = [
        # NCCL and DataLoader workers exchange data through /dev/shm; the
        # container default of 64 MiB is far too small.
        {"name": "dshm", "emptyDir": {"medium": "Memory"}},
        {"name": "code", "configMap": {"name": CODE_CONFIGMAP, "optional": True}},
        # On the node's NVMe RAID0 array where the group has one (kubelet's directory
        # lives there), else on the root volume. No ephemeral-storage request and no
        # sizeLimit: a worker takes every accelerator of its node, so it is alone there
        # and the whole disk is its scratch, which the accelerators already reserve; a
        # request could only fail to fit (it is checked against allocatable, 90% of the
        # disk, see GpuNodeGroupPlan.ephemeral_storage), and a limit would evict a job
        # whose scratch outgrew a guess. Pods that do ask for it are scaled up for by the
        # group's ephemeral-storage node-template tag.
        {"name": "scratch", "emptyDir": {}},
    ]
    storage = settings.storage
    if storage.checkpoints is not None:
        mounts.append({"name": "checkpoint-bucket", "mountPath": CHECKPOINTS_MOUNT})
        # The group's own claim: its volume carries the group's Mountpoint throughput target.
        volumes.append({"name": "checkpoint-bucket", "persistentVolumeClaim": {"claimName": names.checkpoints_claim(group.name)}})
        # One directory per TrainJob, so a restarted job finds its own checkpoints.
        env.append(
            {"name": "TRAINJOB_NAME", "valueFrom": {"fieldRef": {"fieldPath": f"metadata.labels['{names.JOBSET_NAME_LABEL}']"}}}
        )
        env.append({"name": "CHECKPOINT_DIR", "value": f"{CHECKPOINTS_MOUNT}/$(TRAINJOB_NAME)"})
        # For DCP through s3torchconnector, straight to S3 (train_fsdp.py): the bucket, its region,
        # and the job's key prefix under its namespace's, the only one its role reaches
        # (training_storage.identities). $(VAR) names a variable defined earlier in the list
        # (Kubernetes "Define Dependent Environment Variables").
        env.append({"name": "CHECKPOINT_BUCKET", "value": FROM_CLUSTER.checkpoint_bucket})
        env.append({"name": "AWS_REGION", "value": settings.region})
        env.append({"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}})
        env.append({"name": "CHECKPOINT_PREFIX", "value": "$(NAMESPACE)/$(TRAINJOB_NAME)"})
    if storage.fsx is not None:
        mounts.append({"name": "dataset", "mountPath": FSX_MOUNT})
        volumes.append({"name": "dataset", "persistentVolumeClaim": {"claimName": names.FSX_CLAIM}})
    if group.efa:
        # What AWS sets for collectives over EFA (EKS user guide EFA pages; the DLC docs:
        # without it NCCL may fall back to sockets). The NCCL OFI plugin in the image
        # tunes the rest per instance type.
        env.append({"name": "FI_PROVIDER", "value": "efa"})
        if group.instance.gpudirect_rdma or not group.nvidia:
            # RDMA reads and writes between devices: p4d/p5/p6 GPUs and Trainium. On a
            # type without it libfabric aborts the job, so never on the g types.
            env.append({"name": "FI_EFA_USE_DEVICE_RDMA", "value": "1"})
        if not group.nvidia:
            # AWS's Trainium EKS samples (aws-neuron-eks-samples, trn1_dist_ddp.py).
            env.append({"name": "FI_EFA_FORK_SAFE", "value": "1"})
    spec: dict = {}
    if storage.checkpoints is not None:
        # training_storage makes it in every training namespace, with that namespace's prefix.
        spec["serviceAccountName"] = names.TRAINING_SERVICE_ACCOUNT
    return {
        "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
        "spec": {
            **spec,
            "nodeSelector": {names.NODEGROUP_LABEL: group.node_group_name},
            "tolerations": [toleration(t) for t in group.taints],
            "containers": [
                {
                    "name": "node",
                    "image": image,
                    "env": env,
                    "resources": {"limits": resources, "requests": resources},
                    "volumeMounts": mounts,
                }
            ],
            "volumes": volumes,
        },
    }


def runtime(settings: PlatformSettings, group: GpuNodeGroupPlan) -> dict:
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "ClusterTrainingRuntime",
        "metadata": {"name": names.runtime_name(group.name), "labels": {"trainer.kubeflow.org/framework": "torch"}},
        "spec": {
            "mlPolicy": {"numNodes": 1, "torch": {}},
            "template": {
                "spec": {
                    # A pod lost with its node (or OOM-killed) restarts the whole JobSet,
                    # which resumes from the newest checkpoint, up to max_restarts times.
                    "failurePolicy": {"maxRestarts": settings.of(kubeflow_trainer.COMPONENT).max_restarts},
                    "replicatedJobs": [
                        {
                            "name": "node",
                            "template": {
                                "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                                "spec": {"template": pod_template(settings, group)},
                            },
                        }
                    ],
                }
            },
        },
    }


SSH_PORT = 22  # the DLC's sshd port (its tests require 22)


def mpi_runtime(settings: PlatformSettings, group: GpuNodeGroupPlan) -> dict:
    """``mpi-<group>``: Open MPI over SSH, for tools such as nccl-tests' all_reduce_perf.

    Trainer generates the SSH key pair and the hostfile (/etc/mpi/hostfile, in the
    launcher only). The workers run sshd; the launcher runs the TrainJob's command
    (mpirun) and, since Trainer puts a TrainJob's resources on the launcher only when
    it also trains, the workers' GPUs and EFA are set here (Trainer v2.3.0 MPI plugin).
    """
    base = pod_template(settings, group)["spec"]
    worker = base["containers"][0]
    launcher_container = {
        "name": "node",
        "image": worker["image"],
        "env": worker["env"],
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}},
    }
    sshd = {
        **worker,
        # The DLC ships sshd but starts none; host keys are made here in case the image has none.
        "command": ["/bin/bash", "-c", "ssh-keygen -A && mkdir -p /run/sshd && exec /usr/sbin/sshd -De"],
        "readinessProbe": {"tcpSocket": {"port": SSH_PORT}, "initialDelaySeconds": 5},
    }
    placement = {"nodeSelector": base["nodeSelector"], "tolerations": base["tolerations"]}
    return {
        "apiVersion": "trainer.kubeflow.org/v1alpha1",
        "kind": "ClusterTrainingRuntime",
        "metadata": {"name": names.mpi_runtime_name(group.name), "labels": {"trainer.kubeflow.org/framework": "mpi"}},
        "spec": {
            "mlPolicy": {
                "numNodes": 1,
                "mpi": {
                    "numProcPerNode": group.instance.accelerators,
                    "mpiImplementation": "OpenMPI",
                    "sshAuthMountPath": "/root/.ssh",
                    "runLauncherAsNode": False,
                },
            },
            "template": {
                "spec": {
                    # Workers must resolve each other before they are Ready, for mpirun's first ssh.
                    "network": {"publishNotReadyAddresses": True},
                    "successPolicy": {"operator": "All", "targetReplicatedJobs": ["launcher"]},
                    "replicatedJobs": [
                        {
                            "name": "node",
                            "template": {
                                "spec": {
                                    "template": {
                                        "spec": {
                                            **placement,
                                            "containers": [sshd],
                                            "volumes": base["volumes"],
                                        }
                                    }
                                }
                            },
                        },
                        {
                            "name": "launcher",
                            "dependsOn": [{"name": "node", "status": "Ready"}],
                            "template": {
                                "metadata": {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}},
                                "spec": {"template": {"spec": {**placement, "containers": [launcher_container]}}},
                            },
                        },
                    ],
                }
            },
        },
    }


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    if not settings.of(kubeflow_trainer.COMPONENT).enabled or not groups:
        return None
    # nccl-tests is a CUDA program: Trainium groups get the torch runtime only.
    manifests = [
        m for g in groups for m in ((runtime(settings, g), mpi_runtime(settings, g)) if g.nvidia else (runtime(settings, g),))
    ]
    return ReleaseSpec(
        name=COMPONENT.name,
        namespace=names.TRAINER_NAMESPACE,
        chart=str(MANIFESTS_CHART),
        version=None,
        values={"manifests": manifests},
    )


COMPONENT: HelmComponent[None] = HelmComponent(
    name="training-runtimes", release=release, after=(kubeflow_trainer.COMPONENT.name,)
)
