"""Ready-to-apply example jobs for every GPU group of this synth, derived from the plan.

Each NVIDIA group gets a first distributed job, the NCCL bus-bandwidth check through
torch.distributed, nccl-tests' all_reduce_perf through MPI, and, with a checkpoint bucket,
FSDP2 training that checkpoints to it with DCP, with the group's
runtime, accelerator and EFA counts and queue, and on a group whose flavor names the Kueue
Topology, the network level a job of its size should keep within. They are written beside the stacks
(<outdir>/examples/<group>/<example>/), one `kubectl apply -k` each. The checked-in
examples/ are what this writes for config/default.yaml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from cluster_config import names
from cluster_config.components import kubeflow_trainer, kueue
from cluster_config.components.training_runtimes import CODE_CONFIGMAP, CODE_MOUNT
from cluster_config.plan import ClusterPlan
from cluster_config.plan.nodes import GpuNodeGroupPlan

ROOT = Path(__file__).resolve().parent
SCRIPTS = ROOT / "examples" / "code"
# What the training-code ConfigMap carries: the examples' scripts and checkpoint_protocol.py,
# which train.py and train_fsdp.py import from their own directory.
SCRIPT_FILES = ("train.py", "allreduce_bench.py", "checkpoint_protocol.py", "train_fsdp.py", "checkpoint_bench.py")
EXAMPLE_NODES = 2  # a distributed job needs two nodes to cross the network
API_VERSION = "trainer.kubeflow.org/v1alpha1"


def _nodes(group: GpuNodeGroupPlan) -> int:
    return min(EXAMPLE_NODES, group.scaling.max_size)


def _metadata(plan: ClusterPlan, group: GpuNodeGroupPlan, name: str) -> dict:
    metadata: dict = {"name": name}
    queues = plan.platform.settings.of(kueue.COMPONENT)
    if queues is not None:
        metadata["labels"] = {names.QUEUE_NAME_LABEL: queues.queue_for(example_namespace(plan), group.name)}
    return metadata


# Trainer v2.3.0 wants a runtime patch's manager to be a domain-prefixed path
# (pkg/runtime/framework/plugins/jobset/jobset.go 176, IsDomainPrefixedPath).
PATCH_MANAGER = "gpu-eks/examples"


def preferred_level(nodes: int) -> str:
    """The Topology level a job of this many nodes asks Kueue to keep its pods within.

    One node: its host. More: the bottom network layer the labels of every type have (layer 3),
    the switch nodes closest to the instances. EC2 publishes no count of instances per network
    node, so the tightest level is the honest start: a preferred level lets Kueue climb to
    layer 2, then layer 1, then spread, when the job does not fit (kubernetes-sigs/kueue
    v0.19.2 apis/kueue/v1beta2/topology_types.go 30-39).
    """
    return names.HOSTNAME_LABEL if nodes == 1 else names.NETWORK_NODE_LAYER_LABELS[-1]


def _ask_for_topology(plan: ClusterPlan, group: GpuNodeGroupPlan, job: dict, *, also_unconstrained: tuple[str, ...] = ()) -> dict:
    """On a group whose flavor references the Topology: the workers' pods ask for the level
    of the job's size, and other replicated jobs (the MPI launcher) for TAS without a level,
    so a team queue that mixes topology and plain flavors still admits them (Kueue
    v0.19.2 pkg/scheduler/flavorassigner/tas_flavorassigner.go 166-200: a podset that asks for
    no TAS fits no TAS flavor unless every flavor of its queue is one).

    Annotations on the TrainJob go through a runtime patch: Trainer merges every patch into
    the runtime's JobSet template (pkg/runtime/core/trainingruntime.go mergeRuntimePatches: at
    v2.2.1, the Trainer Kueue v0.19.2 builds against, 203-239; at the installed v2.3.0, from 251),
    and Kueue reads each
    replicated job's pod-template annotations into its PodSet's topology request
    (pkg/controller/jobs/trainjob/trainjob_controller.go podSets 217-224 ->
    pkg/controller/jobs/jobset/jobset_controller.go PodSets 115-135). Kueue's TrainJob
    webhook checks the same merged podsets and allows one topology annotation each
    (trainjob_webhook.go 159-175, pkg/controller/jobframework/tas_validation.go 42-57).
    """
    queues = plan.platform.settings.of(kueue.COMPONENT)
    if queues is None or group.name not in queues.topology_groups:
        return job
    annotations = {"node": {names.PODSET_PREFERRED_TOPOLOGY: preferred_level(job["spec"]["trainer"]["numNodes"])}}
    annotations.update({name: {names.PODSET_UNCONSTRAINED_TOPOLOGY: "true"} for name in also_unconstrained})
    job["spec"]["runtimePatches"] = [
        {
            "manager": PATCH_MANAGER,
            "trainingRuntimeSpec": {
                "template": {
                    "spec": {
                        "replicatedJobs": [
                            {"name": name, "template": {"spec": {"template": {"metadata": {"annotations": value}}}}}
                            for name, value in annotations.items()
                        ]
                    }
                }
            },
        }
    ]
    return job


def example_namespace(plan: ClusterPlan) -> str:
    return plan.storage.training_namespaces[0]


def _torchrun_job(plan: ClusterPlan, group: GpuNodeGroupPlan, name: str, script: list[str], env: dict[str, str]) -> dict:
    """A TrainJob on the group's torch runtime that runs one of the examples' scripts."""
    trainer: dict = {"numNodes": _nodes(group), "command": ["torchrun", f"{CODE_MOUNT}/{script[0]}", *script[1:]]}
    if env:
        trainer["env"] = [{"name": key, "value": value} for key, value in env.items()]
    trainer["resourcesPerNode"] = {"limits": group.resources_per_node}
    return _ask_for_topology(
        plan,
        group,
        {
            "apiVersion": API_VERSION,
            "kind": "TrainJob",
            "metadata": _metadata(plan, group, name),
            "spec": {"runtimeRef": {"name": names.runtime_name(group.name)}, "trainer": trainer},
        },
    )


def first_job(plan: ClusterPlan, group: GpuNodeGroupPlan) -> dict:
    return _torchrun_job(plan, group, "ddp-first-job", ["train.py", "--steps", "300"], env={})


def nccl_allreduce(plan: ClusterPlan, group: GpuNodeGroupPlan) -> dict:
    # The NET/OFI lines of NCCL's log name the efa provider when EFA carries the traffic.
    return _torchrun_job(plan, group, "nccl-allreduce", ["allreduce_bench.py", "--max-bytes", "1G"], env={"NCCL_DEBUG": "INFO"})


def nccl_tests(plan: ClusterPlan, group: GpuNodeGroupPlan) -> dict:
    """all_reduce_perf, the tool AWS quotes its EFA figures from, across the nodes by mpirun."""
    gpus = group.instance.accelerators
    nodes = _nodes(group)
    command = [
        "mpirun",
        "--allow-run-as-root",
        "--hostfile",
        "/etc/mpi/hostfile",
        "-np",
        str(nodes * gpus),
        "-N",
        str(gpus),
        "--bind-to",
        "none",
        "-x",
        "NCCL_DEBUG=INFO",
    ]
    if group.efa:
        command += ["-x", "FI_PROVIDER=efa"]
    command += ["/usr/local/bin/all_reduce_perf", "-b", "8", "-e", "2G", "-f", "2", "-g", "1"]
    return _ask_for_topology(
        plan,
        group,
        {
            "apiVersion": API_VERSION,
            "kind": "TrainJob",
            "metadata": _metadata(plan, group, "nccl-tests"),
            # The workers' GPUs and EFA come from the runtime; the command runs in its launcher.
            "spec": {
                "runtimeRef": {"name": names.mpi_runtime_name(group.name)},
                "trainer": {"numNodes": nodes, "command": command},
            },
        },
        also_unconstrained=("launcher",),
    )


# Not in the AWS DLC PyTorch images' package list (shared reference training-images.md, from
# the DLC docs/pytorch/index.md), so installed, pinned, at start: a cluster without internet
# access (no NAT) needs an image derived with it instead.
S3TORCHCONNECTOR = "s3torchconnector==1.5.0"


def fsdp(plan: ClusterPlan, group: GpuNodeGroupPlan) -> dict:
    """train_fsdp.py: FSDP2 with DCP checkpoints straight to the job's prefix of the bucket
    (CHECKPOINT_BUCKET and CHECKPOINT_PREFIX from the runtime); a restarted job resumes from
    the newest complete one there."""
    job = _torchrun_job(plan, group, "fsdp", ["train_fsdp.py"], env={})
    torchrun = " ".join(
        [
            *job["spec"]["trainer"]["command"],
            "--steps",
            "1000",
            "--checkpoint-every",
            "100",
            "--checkpoint-uri",
            "s3://$(CHECKPOINT_BUCKET)/$(CHECKPOINT_PREFIX)",
        ]
    )
    # $(VAR) is expanded by the kubelet from the container's env before bash sees the line.
    job["spec"]["trainer"]["command"] = ["bash", "-c", f"pip install --no-cache-dir {S3TORCHCONNECTOR} && exec {torchrun}"]
    return job


EXAMPLES = {"first-job": first_job, "nccl-allreduce": nccl_allreduce, "nccl-tests": nccl_tests, "fsdp": fsdp}
USES_SCRIPTS = {"first-job", "nccl-allreduce", "fsdp"}
NEEDS_BUCKET = {"fsdp"}


def examples_for(plan: ClusterPlan) -> dict[str, dict[str, dict]]:
    """group name -> example name -> TrainJob, for every group with runtimes."""
    if not plan.platform.settings.of(kubeflow_trainer.COMPONENT).enabled:
        return {}
    chosen = {n: b for n, b in EXAMPLES.items() if plan.storage.checkpoints is not None or n not in NEEDS_BUCKET}
    return {g.name: {name: build(plan, g) for name, build in chosen.items()} for g in plan.gpu_groups if g.nvidia}


def kustomization(plan: ClusterPlan, example: str, code_path: str) -> dict:
    resources = [code_path, "trainjob.yaml"] if example in USES_SCRIPTS else ["trainjob.yaml"]
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": example_namespace(plan),
        "resources": resources,
    }


def write(plan: ClusterPlan, outdir: str) -> dict[str, dict[str, Path]]:
    """Writes <outdir>/examples and returns group -> example -> its directory."""
    root = Path(outdir) / "examples"
    shutil.rmtree(root, ignore_errors=True)
    examples = examples_for(plan)
    if not examples:
        return {}
    code = root / "code"
    code.mkdir(parents=True)
    for script in SCRIPT_FILES:
        shutil.copy2(SCRIPTS / script, code / script)
    (code / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": example_namespace(plan),
                "generatorOptions": {"disableNameSuffixHash": True},
                "configMapGenerator": [{"name": CODE_CONFIGMAP, "files": list(SCRIPT_FILES)}],
            },
            sort_keys=False,
        )
    )
    written: dict[str, dict[str, Path]] = {}
    for group, jobs in examples.items():
        for example, job in jobs.items():
            directory = root / group / example
            directory.mkdir(parents=True)
            (directory / "trainjob.yaml").write_text(yaml.safe_dump(job, sort_keys=False))
            (directory / "kustomization.yaml").write_text(
                yaml.safe_dump(kustomization(plan, example, "../../code"), sort_keys=False)
            )
            written.setdefault(group, {})[example] = directory
    return written
