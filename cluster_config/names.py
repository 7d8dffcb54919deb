"""The project's vocabulary: every name the AWS side and the in-cluster side must agree on.

A node label written on a node group and read by a device plugin's nodeSelector, a
service account named in a Pod Identity association and in a Helm chart, a runtime
name in a ClusterTrainingRuntime and in an example TrainJob: each is spelled here
once and imported on both sides, so the two can never drift apart.
"""

from __future__ import annotations

# Node labels the project sets on GPU and Trainium groups (users may not set them).
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
NEURON_PRESENT_LABEL = "aws.amazon.com/neuron.present"
EFA_PRESENT_LABEL = "vpc.amazonaws.com/efa.present"
# cluster-autoscaler's AWS provider treats a node with this label as a GPU node that
# is not ready until its device plugin advertises the GPUs; without it, a new node
# looks ready but empty and the autoscaler adds a second one (kubernetes/autoscaler
# cluster-autoscaler/cloudprovider/aws/README.md, "Special note on GPU instances").
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
PROJECT_LABEL_KEYS = (GPU_PRESENT_LABEL, NEURON_PRESENT_LABEL, EFA_PRESENT_LABEL, ACCELERATOR_LABEL)

# The system node group's label; every platform controller's nodeSelector uses it.
SYSTEM_ROLE_LABEL = "gpu-eks/role"
SYSTEM_NODE_LABELS = {SYSTEM_ROLE_LABEL: "system"}

# Labels EKS and Kubernetes set on every node.
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"
INSTANCE_TYPE_LABEL = "node.kubernetes.io/instance-type"

# Extended resources the device plugins advertise and the runtimes request.
NVIDIA_GPU_RESOURCE = "nvidia.com/gpu"
NEURON_RESOURCE = "aws.amazon.com/neuron"
# The same chips by core, which the Neuron device plugin registers too; nothing here requests it.
NEURONCORE_RESOURCE = "aws.amazon.com/neuroncore"
EFA_RESOURCE = "vpc.amazonaws.com/efa"

# The taint a group gets when the user writes none: only pods that ask for the
# accelerator land on these expensive nodes.
DEFAULT_NVIDIA_TAINT = f"{NVIDIA_GPU_RESOURCE}=true:NoSchedule"
DEFAULT_NEURON_TAINT = f"{NEURON_RESOURCE}=true:NoSchedule"
# The taint EKS documents for nodes kept for critical add-ons; device plugins tolerate it.
CRITICAL_ADDONS_ONLY_TAINT_KEY = "CriticalAddonsOnly"
# The health gate (issue 19): a new GPU or Trainium node waits under this taint until its
# checks pass; node_health/check_node.py then removes it and labels the node with the same
# key. Every device plugin and node agent tolerates it (it must run on a pending node),
# no training pod does, and cluster-autoscaler knows it as a startup taint.
HEALTH_KEY = "gpu-eks/health"
HEALTH_PENDING_TAINT = f"{HEALTH_KEY}=pending:NoSchedule"
HEALTH_PASSED = "passed"  # the label's value once every check passed; "failed" keeps the taint
HEALTH_CHECK_NAMESPACE = "kube-system"
HEALTH_CHECK_SERVICE_ACCOUNT = "node-health-check"  # Pod Identity hands it autoscaling:SetInstanceHealth


def health_check_name(group: str) -> str:
    """The group's health-check DaemonSet."""
    return f"health-check-{group}"


def health_recheck_name(group: str) -> str:
    """The group's periodic-recheck CronJob (at most 52 characters, for its Jobs' names: a group name has 20)."""
    return f"health-recheck-{group}"


# The recheck's pods yield to any training pod (priority 0 without a class) and never make
# cluster-autoscaler add a node: it does not scale up for pods below its expendable cutoff.
HEALTH_RECHECK_PRIORITY_CLASS = "gpu-eks-health-recheck"


# Namespaces and service accounts.
KUBE_SYSTEM_NAMESPACE = "kube-system"
TRAINER_NAMESPACE = "kubeflow-system"
PREINSTALLED_NAMESPACES = (KUBE_SYSTEM_NAMESPACE, "default")
AUTOSCALER_NAMESPACE = KUBE_SYSTEM_NAMESPACE
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
# Namespaces no TrainJob may run in: the ones Kubernetes creates for itself (Kubernetes docs,
# "Namespaces", Initial namespaces: kube-system, kube-public, kube-node-lease; it asks that no
# other namespace start with kube-) and the platform's own. "default" is not among them: it is
# the namespace Kubernetes gives user workloads, and training_operator.namespaces' default.
KUBERNETES_NAMESPACES = (KUBE_SYSTEM_NAMESPACE, "kube-public", "kube-node-lease")

# Shared storage: the EKS add-ons' CSI drivers, and the claims every training namespace
# gets and the runtimes mount (Mountpoint for Amazon S3 runs as this service account;
# Pod Identity gives it the bucket).
S3_CSI_DRIVER = "s3.csi.aws.com"
FSX_CSI_DRIVER = "fsx.csi.aws.com"
MOUNTPOINT_SERVICE_ACCOUNT = "s3-csi-driver-sa"
CHECKPOINTS_CLAIM = "checkpoints"
# The service account the training pods of every training namespace run as; Pod Identity gives
# it that namespace's prefix of the checkpoint bucket, for DCP writing to S3 directly.
TRAINING_SERVICE_ACCOUNT = "training"
FSX_CLAIM = "fsx"
# JobSet labels every pod with the name of its JobSet, which Trainer names after the TrainJob.
JOBSET_NAME_LABEL = "jobset.sigs.k8s.io/jobset-name"

# Kueue: where it runs, and the label a TrainJob names its queue with.
KUEUE_NAMESPACE = "kueue-system"
QUEUE_NAME_LABEL = "kueue.x-k8s.io/queue-name"
# Kueue's topology-aware scheduling: the one Topology, its levels from the top of the EC2
# network to the node (the labels EKS sets, catalog.NETWORK_TOPOLOGY_LAYERS), and the podset
# annotations a job asks for a level with (kubernetes-sigs/kueue v0.19.2 apis/kueue/v1beta2/topology_types.go 28-46).
TOPOLOGY_NAME = "ec2-network"
NETWORK_NODE_LAYER_LABELS = tuple(f"topology.k8s.aws/network-node-layer-{n}" for n in (1, 2, 3))
HOSTNAME_LABEL = "kubernetes.io/hostname"
PODSET_PREFERRED_TOPOLOGY = "kueue.x-k8s.io/podset-preferred-topology"
PODSET_UNCONSTRAINED_TOPOLOGY = "kueue.x-k8s.io/podset-unconstrained-topology"

# The CloudWatch observability add-on's agent; Pod Identity gives it CloudWatch access.
CLOUDWATCH_NAMESPACE = "amazon-cloudwatch"
CLOUDWATCH_SERVICE_ACCOUNT = "cloudwatch-agent"
CONTAINER_INSIGHTS = "ContainerInsights"  # the CloudWatch metric namespace
RESERVED_NAMESPACES = (*KUBERNETES_NAMESPACES, TRAINER_NAMESPACE, KUEUE_NAMESPACE, CLOUDWATCH_NAMESPACE)

# Tag keys the project sets on every AWS resource itself.
CLUSTER_TAG_KEY = "gpu-eks:cluster"
MANAGED_BY_TAG_KEY = "gpu-eks:managed-by"
PROJECT_TAG_KEYS = (CLUSTER_TAG_KEY, MANAGED_BY_TAG_KEY)

# Subnet tags the AWS Load Balancer Controller and the in-tree service controller read.
INTERNAL_ELB_SUBNET_TAG = "kubernetes.io/role/internal-elb"
PUBLIC_ELB_SUBNET_TAG = "kubernetes.io/role/elb"

# cluster-autoscaler's AWS provider reads these from Auto Scaling group tags.
AUTOSCALER_NODE_TEMPLATE_TAG = "k8s.io/cluster-autoscaler/node-template"


def autoscaler_owner_tag(cluster_name: str) -> str:
    """The tag EKS puts on every Auto Scaling group of a managed node group of this cluster."""
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


def node_group_name(cluster_name: str, group_name: str) -> str:
    """The EKS node group of a GPU group; the platform selects its nodes through NODEGROUP_LABEL."""
    return f"{cluster_name}-{group_name}"


def system_node_group_name(cluster_name: str) -> str:
    return f"{cluster_name}-system"


def checkpoints_claim(group_name: str) -> str:
    """The checkpoint bucket's claim the runtimes of this GPU group mount, in every training namespace."""
    return f"{CHECKPOINTS_CLAIM}-{group_name}"


def runtime_name(group_name: str) -> str:
    """The ClusterTrainingRuntime a TrainJob names to run PyTorch on this GPU group."""
    return f"torch-{group_name}"


def mpi_runtime_name(group_name: str) -> str:
    """The ClusterTrainingRuntime for MPI programs (nccl-tests) on this GPU group."""
    return f"mpi-{group_name}"
