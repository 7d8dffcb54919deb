"""AWS EFA device plugin: advertises vpc.amazonaws.com/efa on nodes with EFA."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import names
from ..catalog import INSTANCE_TYPES
from .contract import Chart, ChartSettings, ChartToggle, HelmComponent, PlanBasis, chart_settings
from .release_spec import ReleaseSpec, tolerations_for

if TYPE_CHECKING:
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CHART = Chart(
    name="aws-efa-k8s-device-plugin",
    repository="https://aws.github.io/eks-charts",
    version="v0.5.29",
    app_version="v0.5.20",
    confirmed="aws/eks-charts PR #1338 (2026-06-12): chart v0.5.29, appVersion v0.5.20",
)
# Plugin releases before 0.5.10 counted the NVLink controllers of p6-b200 as EFA
# devices (10 instead of 8) and NCCL then failed (AWS EFA team, quoted in
# aws/sagemaker-hyperpod-cli PR #282).
MINIMUM = (0, 5, 10)

# The EFA device plugin image sits in every region's EKS add-on registry under
# eks/aws-efa-k8s-device-plugin; the chart names only us-west-2's. The account per
# region: EKS user guide, "View Amazon container image registries for Amazon EKS
# add-ons" (add-ons-images), as amazon-eks-ami's get-ecr-uri.sh maps it.
EKS_REGISTRY_DEFAULT_ACCOUNT = "602401143452"
EKS_REGISTRY_ACCOUNTS = {
    "af-south-1": "877085696533",
    "ap-east-1": "800184023465",
    "ap-east-2": "533267051163",
    "ap-south-2": "900889452093",
    "ap-southeast-3": "296578399912",
    "ap-southeast-4": "491585149902",
    "ap-southeast-5": "151610086707",
    "ap-southeast-6": "333609536671",
    "ap-southeast-7": "121268973566",
    "ca-west-1": "761377655185",
    "eu-central-2": "900612956339",
    "eu-south-1": "590381155156",
    "eu-south-2": "455263428931",
    "il-central-1": "066635153087",
    "me-central-1": "759879836304",
    "me-south-1": "558608220178",
    "mx-central-1": "730335286997",
}


def image(region: str) -> str:
    account = EKS_REGISTRY_ACCOUNTS.get(region, EKS_REGISTRY_DEFAULT_ACCOUNT)
    return f"{account}.dkr.ecr.{region}.amazonaws.com/eks/aws-efa-k8s-device-plugin"


class Config(ChartToggle):
    """platform.efa_device_plugin: the AWS EFA device plugin (chart versions whose image is 0.5.10 or later)."""


def settings(basis: PlanBasis) -> ChartSettings:
    return chart_settings(basis.config.platform.efa_device_plugin, CHART)


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.of(COMPONENT)
    served = [g for g in groups if g.efa]
    if not component.enabled or not served:
        return None
    values = {
        "nodeSelector": {names.EFA_PRESENT_LABEL: "true"},
        "tolerations": tolerations_for(served),
        # The chart only schedules on instance types it lists; an old list silently
        # yields zero plugin pods on newer types, so we pass the catalog's.
        "supportedInstanceLabels": {
            "keys": [names.INSTANCE_TYPE_LABEL],
            "values": sorted(n for n, t in INSTANCE_TYPES.items() if t.efa_supported),
        },
        # The chart pins its image apart from its own version, and older charts ship
        # images below 0.5.10 (see MINIMUM): always run the
        # plugin release we checked, whatever chart version is chosen.
        # From this region's EKS registry, not the chart's us-west-2 one: no cross-region
        # pull, and it works without NAT through the VPC's ECR endpoints.
        "image": {"repository": image(settings.region), "tag": CHART.app_version},
    }
    return ReleaseSpec.from_chart(CHART, namespace=names.KUBE_SYSTEM_NAMESPACE, version=component.version, values=values)


COMPONENT: HelmComponent[ChartSettings] = HelmComponent(name=CHART.name, settings=settings, release=release)
