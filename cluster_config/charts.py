"""Pinned Helm charts for the in-cluster platform, with where each pin was confirmed.

Kept next to the instance catalog (and free of provider imports) because the
configuration validates user-supplied versions against these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Chart:
    name: str
    repository: str
    version: str
    app_version: str
    confirmed: str


KUBEFLOW_TRAINER = Chart(
    name="kubeflow-trainer", repository="oci://ghcr.io/kubeflow/charts", version="2.3.0", app_version="v2.3.0",
    confirmed="kubeflow/trainer charts/kubeflow-trainer/Chart.yaml version 2.3.0 (release PR #3859, 2026-08-05); "
    "bundles jobset 0.12.0 behind jobset.install",
)
NVIDIA_DEVICE_PLUGIN = Chart(
    name="nvidia-device-plugin", repository="https://nvidia.github.io/k8s-device-plugin", version="0.19.3",
    app_version="v0.19.3",
    confirmed="NVIDIA/k8s-device-plugin releases; 0.19.3 was the release downstream projects moved from to 0.20.0 in 2026-08",
)
# The EFA device plugin image sits in every region's EKS add-on registry under
# eks/aws-efa-k8s-device-plugin; the chart names only us-west-2's. The account per
# region: EKS user guide, "View Amazon container image registries for Amazon EKS
# add-ons" (add-ons-images), as amazon-eks-ami's get-ecr-uri.sh maps it.
EKS_REGISTRY_DEFAULT_ACCOUNT = "602401143452"
EKS_REGISTRY_ACCOUNTS = {
    "af-south-1": "877085696533", "ap-east-1": "800184023465", "ap-east-2": "533267051163",
    "ap-south-2": "900889452093", "ap-southeast-3": "296578399912", "ap-southeast-4": "491585149902",
    "ap-southeast-5": "151610086707", "ap-southeast-6": "333609536671", "ap-southeast-7": "121268973566",
    "ca-west-1": "761377655185", "eu-central-2": "900612956339", "eu-south-1": "590381155156",
    "eu-south-2": "455263428931", "il-central-1": "066635153087", "me-central-1": "759879836304",
    "me-south-1": "558608220178", "mx-central-1": "730335286997",
}


def efa_device_plugin_image(region: str) -> str:
    account = EKS_REGISTRY_ACCOUNTS.get(region, EKS_REGISTRY_DEFAULT_ACCOUNT)
    return f"{account}.dkr.ecr.{region}.amazonaws.com/eks/aws-efa-k8s-device-plugin"


EFA_DEVICE_PLUGIN = Chart(
    name="aws-efa-k8s-device-plugin", repository="https://aws.github.io/eks-charts", version="v0.5.29",
    app_version="v0.5.20",
    confirmed="aws/eks-charts PR #1338 (2026-06-12): chart v0.5.29, appVersion v0.5.20",
)
# Plugin releases before 0.5.10 counted the NVLink controllers of p6-b200 as EFA
# devices (10 instead of 8) and NCCL then failed (AWS EFA team, quoted in
# aws/sagemaker-hyperpod-cli PR #282).
EFA_DEVICE_PLUGIN_MINIMUM = (0, 5, 10)
CLUSTER_AUTOSCALER = Chart(
    name="cluster-autoscaler", repository="https://kubernetes.github.io/autoscaler", version="9.53.0",
    app_version="1.34.2",
    confirmed="kubernetes/autoscaler chart 9.53.0 = cluster-autoscaler 1.34.2, the last chart to say 1.34 (9.54.0-9.55.0 say 1.35.0 but deploy 1.34.2; see CLUSTER_AUTOSCALER_BY_MINOR)",
)
# cluster-autoscaler's minor must match the cluster's (its README: "use the latest Cluster
# Autoscaler release that corresponds to the minor version of Kubernetes"). The last chart
# shipping each minor, from the cluster-autoscaler-chart-<version> tags of kubernetes/autoscaler
# (Chart.yaml appVersion and values image.tag). 9.54.0-9.55.0 say appVersion 1.35.0 but still
# deploy v1.34.2; 9.55.1 is the first to run 1.35.
CLUSTER_AUTOSCALER_BY_MINOR: dict[str, tuple[str, str, str]] = {
    # minor: (chart, cluster-autoscaler, tag commit and date)
    "1.30": ("9.37.0", "1.30.0", "adea8a0fab7a, 2024-05-07"),
    "1.31": ("9.44.0", "1.31.0", "3fc72cfbbbdd, 2024-12-29"),
    "1.32": ("9.46.6", "1.32.0", "13dba1751ce0, 2025-03-31"),
    "1.33": ("9.51.0", "1.33.0", "9befb31fd94d, 2025-10-10"),
    "1.34": ("9.53.0", "1.34.2", "a2db9eb71c28, 2025-12-03"),
    "1.35": ("9.59.0", "1.35.0", "5a0b98e45f89, 2026-07-21"),
}


def cluster_autoscaler_chart(kubernetes_version: str) -> tuple[str, str] | None:
    """(chart version, cluster-autoscaler version) for the cluster's minor; None: no chart ships it yet."""
    row = CLUSTER_AUTOSCALER_BY_MINOR.get(kubernetes_version)
    return (row[0], row[1]) if row else None

# AWS's Neuron chart (aws-neuron/neuron-helm-charts, charts/neuron-helm-chart): the Neuron
# device plugin (aws.amazon.com/neuron, aws.amazon.com/neuroncore), an optional scheduler
# extension and a node problem detector.
#
# What is confirmed, and from where:
# - The repository snapshot (5 commits, cdfb6b6 2024-09-04 .. 8172e5e 2024-09-17, no tags)
#   says version 1.0.0 throughout. There the device plugin's DaemonSet has a required node
#   affinity to the top-level `neuronInstances` list (templates/device-plugin-daemonset.yaml),
#   which lacks trn2, and the values have devicePlugin.tolerations, scheduler.enabled,
#   npd.enabled.
# - Loose files in the search index from later commits (device-plugin/device-plugin-
#   daemonset.yaml at 7324cd0, _helpers.tpl) still build the affinity from `neuronInstances`,
#   through devicePlugin.affinity's __NEURON_INSTANCES__ placeholder.
# - 1.10.0 itself is known only from a third party's public `helm show values
#   oci://public.ecr.aws/neuron/neuron-helm-chart --version 1.10.0` transcript (a blog post,
#   2026-09-12; digest sha256:ed5d8f73b7a05d3a1edf17b2bfaf277ea995ad1c65b115fa8ba2c7b4dc649346):
#   device plugin 2.32.0.0, the keys neuronInstances (there with trn2.3xlarge and
#   trn2.48xlarge), devicePlugin.tolerations, scheduler.enabled and npd.enabled.
# Not confirmed: the 1.10.0 templates themselves, from any upstream snapshot. So the render
# tests leave the Neuron release unrendered: there is no chart at the pin to render.
NEURON = Chart(
    name="neuron-helm-chart", repository="oci://public.ecr.aws/neuron", version="1.10.0", app_version="1.10.0",
    confirmed="version and values keys from a third party's helm show values transcript of 1.10.0 (not from the "
    "repository); keys and the neuronInstances affinity also at aws-neuron/neuron-helm-charts 8172e5e (chart 1.0.0): "
    "neuronInstances, devicePlugin.tolerations, scheduler.enabled, npd.enabled",
)

KUEUE = Chart(
    name="kueue", repository="oci://registry.k8s.io/kueue/charts", version="0.19.2", app_version="v0.19.2",
    confirmed="kubernetes-sigs/kueue v0.19.2 = 8eab68778fc1 (2026-08-20), charts/kueue/Chart.yaml; its values.yaml "
    "enables the trainer.kubeflow.org/trainjob integration",
)
# The chart's values point at the project's staging registry with pullPolicy Always;
# releases are published to registry.k8s.io (charts/kueue/README.md).
KUEUE_IMAGE = "registry.k8s.io/kueue/kueue"

# The default image of the per-group runtimes: AWS's PyTorch Deep Learning Container for
# EC2/EKS, with PyTorch 2.13, NCCL 2.30.7, the EFA installer 1.49 (libfabric and the AWS
# NCCL OFI plugin, so collectives go over EFA) and nccl-tests' all_reduce_perf. GA
# 2026-07-20, patched until 2027-07-20 (aws/deep-learning-containers docs/pytorch/index.md,
# snapshot 2026-08-21). Trainer 2.3.0's own torch runtime uses
# pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime, which has no libfabric or OFI plugin
# (charts/kubeflow-trainer/files/runtimes/torch-distributed.yaml at v2.3.0).
TRAINING_IMAGE = "public.ecr.aws/deep-learning-containers/pytorch:2.13.0-cu133-amzn2023"
TRAINING_IMAGE_REGISTRY = "public.ecr.aws"
# The same image in each region's private DLC registry, which the VPC's ecr.api, ecr.dkr
# and S3 endpoints serve without NAT. Repository "pytorch" (docs/src/data/pytorch/
# 2.13-cuda-ec2.yml; the release config publishes to the private registries too); account
# 763104351884 except where listed (docs/reference/region_availability.md).
TRAINING_IMAGE_PRIVATE = "{account}.dkr.ecr.{region}.amazonaws.com/pytorch:2.13.0-cu133-amzn2023"
DLC_DEFAULT_ACCOUNT = "763104351884"
DLC_ACCOUNTS = {
    "af-south-1": "626614931356", "ap-east-1": "871362719292", "ap-east-2": "975050140332",
    "ap-south-2": "772153158452", "ap-southeast-3": "907027046896", "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462", "ap-southeast-6": "633930458069", "ap-southeast-7": "590183813437",
    "ap-northeast-3": "364406365360", "ca-west-1": "204538143572", "eu-south-1": "692866216735",
    "eu-south-2": "503227376785", "eu-central-2": "380420809688", "il-central-1": "780543022126",
    "me-central-1": "914824155844", "me-south-1": "217643126080", "mx-central-1": "637423239942",
}


def private_training_image(region: str) -> str:
    return TRAINING_IMAGE_PRIVATE.format(account=DLC_ACCOUNTS.get(region, DLC_DEFAULT_ACCOUNT), region=region)


# Trainium: AWS's Neuron DLC for training (PyTorch 2.9, torch-neuronx, Neuron SDK 2.30.0),
# the newest row of aws-neuron/deep-learning-containers README (2be9ed1, 2026-08-17),
# on public ECR, and by the same tag in the regional DLC registries.
NEURON_TRAINING_IMAGE = "public.ecr.aws/neuron/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.30.0-ubuntu24.04"
NEURON_TRAINING_IMAGE_PRIVATE = "{account}.dkr.ecr.{region}.amazonaws.com/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.30.0-ubuntu24.04"


def private_neuron_training_image(region: str) -> str:
    return NEURON_TRAINING_IMAGE_PRIVATE.format(account=DLC_ACCOUNTS.get(region, DLC_DEFAULT_ACCOUNT), region=region)


def version_tuple(version: str) -> tuple[int, ...] | None:
    parts = version.lstrip("v").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)
