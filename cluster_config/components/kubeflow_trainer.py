"""Kubeflow Trainer v2 (TrainJob API) with the JobSet controller its chart bundles.

Its settings (the training images, the restart budget) are what the per-group runtimes
(``training_runtimes``) and the example jobs are made from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from .. import names
from ..schema import ChartVersion, Image, Namespace, Strict
from .contract import Chart, HelmComponent, PlanBasis
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CHART = Chart(
    name="kubeflow-trainer",
    repository="oci://ghcr.io/kubeflow/charts",
    version="2.3.0",
    app_version="v2.3.0",
    confirmed="kubeflow/trainer charts/kubeflow-trainer/Chart.yaml version 2.3.0 (release PR #3859, 2026-08-05); "
    "bundles jobset 0.12.0 behind jobset.install",
)

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
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-east-2": "975050140332",
    "ap-south-2": "772153158452",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-6": "633930458069",
    "ap-southeast-7": "590183813437",
    "ap-northeast-3": "364406365360",
    "ca-west-1": "204538143572",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-central-2": "380420809688",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
}


def private_training_image(region: str) -> str:
    return TRAINING_IMAGE_PRIVATE.format(account=DLC_ACCOUNTS.get(region, DLC_DEFAULT_ACCOUNT), region=region)


# Trainium: AWS's Neuron DLC for training (PyTorch 2.9, torch-neuronx, Neuron SDK 2.30.0),
# the newest row of aws-neuron/deep-learning-containers README (2be9ed1, 2026-08-17),
# on public ECR, and by the same tag in the regional DLC registries.
NEURON_TRAINING_IMAGE = "public.ecr.aws/neuron/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.30.0-ubuntu24.04"
NEURON_TRAINING_IMAGE_PRIVATE = (
    "{account}.dkr.ecr.{region}.amazonaws.com/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.30.0-ubuntu24.04"
)


def private_neuron_training_image(region: str) -> str:
    return NEURON_TRAINING_IMAGE_PRIVATE.format(account=DLC_ACCOUNTS.get(region, DLC_DEFAULT_ACCOUNT), region=region)


class Config(Strict):
    """training_operator: Kubeflow Trainer v2 and the PyTorch runtimes made for each GPU group."""

    enabled: bool = True
    """Install Kubeflow Trainer v2 and a PyTorch runtime per GPU group (and an MPI one per NVIDIA group)."""
    version: ChartVersion = CHART.version
    """Chart version of oci://ghcr.io/kubeflow/charts/kubeflow-trainer."""
    image: Image = TRAINING_IMAGE
    """Image of the NVIDIA runtimes; NCCL uses EFA only if it carries libfabric and the AWS NCCL OFI plugin, as the default AWS
    DLC does."""
    neuron_image: Image = NEURON_TRAINING_IMAGE
    """Image of the Trainium runtimes (a PyTorch Neuron image)."""
    namespaces: Annotated[list[Namespace], Field(min_length=1)] = ["default"]
    """Namespaces where TrainJobs run; each gets the storage claims and the queues."""
    max_restarts: Annotated[int, Field(ge=0, le=100)] = 3
    """JobSet restarts of a TrainJob after a pod failure, each resuming from the newest checkpoint."""


@dataclass(frozen=True, kw_only=True)
class TrainerPlan:
    enabled: bool
    version: str
    image: str  # of the NVIDIA groups' runtimes
    image_is_users: bool  # the user set training_operator.image (else a DLC with EFA, public or private)
    neuron_image: str  # of the Trainium groups' runtimes
    max_restarts: int  # JobSet restarts after a pod failure, each resuming from a checkpoint


def training_image(operator: Config, field: str, *, region: str, air_gapped: bool) -> str:
    """The user's image, else the default DLC: from public ECR, or without NAT from the
    region's private DLC registry, which the VPC's ECR endpoints reach."""
    if field in operator.model_fields_set or not air_gapped:
        return getattr(operator, field)
    private = private_training_image if field == "image" else private_neuron_training_image
    return private(region)


def settings(basis: PlanBasis) -> TrainerPlan:
    operator, region = basis.config.training_operator, basis.config.region
    return TrainerPlan(
        enabled=operator.enabled,
        version=operator.version,
        image=training_image(operator, "image", region=region, air_gapped=basis.air_gapped),
        image_is_users="image" in operator.model_fields_set,
        neuron_image=training_image(operator, "neuron_image", region=region, air_gapped=basis.air_gapped),
        max_restarts=operator.max_restarts,
    )


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    trainer = settings.of(COMPONENT)
    if not trainer.enabled:
        return None
    return ReleaseSpec.from_chart(
        CHART,
        namespace=names.TRAINER_NAMESPACE,
        version=trainer.version,
        values={
            # Since 2.3 the CRDs are chart templates, so `helm upgrade` updates them.
            "crds": {"enabled": True},
            "jobset": {"install": True, "controller": {"nodeSelector": names.SYSTEM_NODE_LABELS}},
            "manager": {"nodeSelector": names.SYSTEM_NODE_LABELS},
            # The chart's own runtimes know nothing of our node groups, taints or EFA;
            # training_runtimes.py makes one per GPU group instead.
            "runtimes": {"defaultEnabled": False},
        },
    )


COMPONENT: HelmComponent[TrainerPlan] = HelmComponent(name=CHART.name, settings=settings, release=release)
