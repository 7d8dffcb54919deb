"""cluster-autoscaler: scales GPU node groups up from zero and back down when idle.

Its AWS permissions come through EKS Pod Identity: the cluster stack makes its role and
associates it with the service account named in ``names``, which this chart creates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import names
from . import kueue, node_health_check, provisioning_request_crd
from .contract import Chart, ChartSettings, ChartToggle, HelmComponent, PlanBasis, PodIdentity, chart_settings
from .release_spec import ReleaseSpec

if TYPE_CHECKING:
    from ..context import ClusterContext
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings

CHART = Chart(
    name="cluster-autoscaler",
    repository="https://kubernetes.github.io/autoscaler",
    version="9.53.0",
    app_version="1.34.2",
    confirmed="kubernetes/autoscaler chart 9.53.0 = cluster-autoscaler 1.34.2, the last chart to say 1.34 (9.54.0-9.55.0 say "
    "1.35.0 but deploy 1.34.2; see BY_MINOR)",
)
# cluster-autoscaler's minor must match the cluster's (its README: "use the latest Cluster
# Autoscaler release that corresponds to the minor version of Kubernetes"). The last chart
# shipping each minor, from the cluster-autoscaler-chart-<version> tags of kubernetes/autoscaler
# (Chart.yaml appVersion and values image.tag). 9.54.0-9.55.0 say appVersion 1.35.0 but still
# deploy v1.34.2; 9.55.1 is the first to run 1.35.
BY_MINOR: dict[str, tuple[str, str, str]] = {
    # minor: (chart, cluster-autoscaler, tag commit and date)
    "1.30": ("9.37.0", "1.30.0", "adea8a0fab7a, 2024-05-07"),
    "1.31": ("9.44.0", "1.31.0", "3fc72cfbbbdd, 2024-12-29"),
    "1.32": ("9.46.6", "1.32.0", "13dba1751ce0, 2025-03-31"),
    "1.33": ("9.51.0", "1.33.0", "9befb31fd94d, 2025-10-10"),
    "1.34": ("9.53.0", "1.34.2", "a2db9eb71c28, 2025-12-03"),
    "1.35": ("9.59.0", "1.35.0", "5a0b98e45f89, 2026-07-21"),
}
NEWEST_MINOR = max(BY_MINOR, key=lambda minor: int(minor.split(".")[1]))

# The image a cluster of each minor runs, set through the chart's image.tag (every chart of
# BY_MINOR reads it: values.yaml "image.tag", templates/deployment.yaml
# "{{ .Values.image.repository }}:{{ .Values.image.tag }}"). The charts' own tags are each
# minor's x.y.0 or an early patch; these are the newest cluster-autoscaler-<version> tags of
# kubernetes/autoscaler per minor (tag commit and date). 1.33.6, 1.34.5, 1.35.2 and 1.36.1 were
# tagged together on 2026-07-22; 1.34.5 carries the ProvisioningRequest fixes all-or-nothing
# queues rely on (cherry-picks #10015, "use application/json for ProvisioningRequest client",
# and #10025, "Apply Provisioned condition with SSA", in cluster-autoscaler-1.34.4..1.34.5). No chart ships 1.36 yet, so a 1.36
# cluster runs the newest chart with its image.
IMAGE_BY_MINOR: dict[str, tuple[str, str]] = {
    "1.30": ("v1.30.7", "15d77eeb9d, 2025-10-30"),
    "1.31": ("v1.31.5", "b91b0caf82, 2025-10-08"),
    "1.32": ("v1.32.7", "444285d49c, 2026-02-13"),
    "1.33": ("v1.33.6", "8b27ca88cb, 2026-07-22"),
    "1.34": ("v1.34.5", "446dcd592c, 2026-07-22"),
    "1.35": ("v1.35.2", "3e1437753d, 2026-07-22"),
    "1.36": ("v1.36.1", "6f44b4d18e, 2026-07-22"),
}


def chart_for(kubernetes_version: str) -> tuple[str, str] | None:
    """(chart version, cluster-autoscaler version) for the cluster's minor; None: no chart ships it yet."""
    row = BY_MINOR.get(kubernetes_version)
    return (row[0], row[1]) if row else None


def image_for(kubernetes_version: str) -> str | None:
    """The image tag for the cluster's minor; None: the project knows no image of it."""
    row = IMAGE_BY_MINOR.get(kubernetes_version)
    return row[0] if row else None


class Config(ChartToggle):
    """platform.cluster_autoscaler: cluster-autoscaler (by default the chart and the newest image for the cluster's Kubernetes
    minor; a chart `version` of yours runs that chart's own image)."""


@dataclass(frozen=True, kw_only=True)
class AutoscalerSettings(ChartSettings):
    image_tag: str | None  # None: the chart's own image (a chart version the user chose)


def settings(basis: PlanBasis) -> AutoscalerSettings:
    # The autoscaler matching the cluster's minor; a minor no chart ships yet gets the newest chart.
    minor = basis.config.kubernetes_version
    toggle = basis.config.platform.cluster_autoscaler
    chart = (chart_for(minor) or BY_MINOR[NEWEST_MINOR])[0]
    base = chart_settings(toggle, CHART, version=chart)
    return AutoscalerSettings(enabled=base.enabled, version=base.version, image_tag=None if toggle.version else image_for(minor))


def statements(context: ClusterContext) -> tuple[dict, ...]:
    """Read access to Auto Scaling, EC2 instance types and node groups (DescribeNodegroup lets
    it learn a managed group's labels and taints while the group is at zero), and write access
    only to Auto Scaling groups EKS tagged as owned by this cluster."""
    return (
        {
            # These actions have no resource-level permissions in IAM.
            "Sid": "Discover",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
            ],
        },
        {
            "Sid": "ReadOwnNodeGroups",
            "Effect": "Allow",
            "Action": "eks:DescribeNodegroup",
            # Every managed node group of this cluster.
            "Resource": context.arn("eks", f"nodegroup/{context.cluster_name}/*/*"),
        },
        {
            "Sid": "ScaleOwnGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            # Every Auto Scaling group of the account and region, narrowed by the tag EKS puts on its own.
            "Resource": context.arn("autoscaling", "autoScalingGroup:*:autoScalingGroupName/*"),
            "Condition": {"StringEquals": {f"aws:ResourceTag/{names.autoscaler_owner_tag(context.cluster_name)}": "owned"}},
        },
    )


IDENTITY = PodIdentity(
    construct_id="autoscaler_identity",
    name="autoscaler",
    namespace=names.AUTOSCALER_NAMESPACE,
    service_account=names.AUTOSCALER_SERVICE_ACCOUNT,
    statements=statements,
    policy_name=names.AUTOSCALER_SERVICE_ACCOUNT,  # named after its only user
)


def release(settings: PlatformSettings, groups: tuple[GpuNodeGroupPlan, ...]) -> ReleaseSpec | None:
    component = settings.of(COMPONENT)
    if not component.enabled:
        return None
    extra_args = {
        "balance-similar-node-groups": "true",
        # Picks the group that wastes the fewest GPUs for the pending pods.
        "expander": "least-waste",
        # kube-system pods other than daemonsets must not pin an idle GPU node.
        "skip-nodes-with-system-pods": "false",
        "scale-down-unneeded-time": "10m",
        "scale-down-delay-after-add": "10m",
        # The health gate's taint is a startup taint: the autoscaler ignores it in node
        # templates, so a pending pod still scales a group up from zero, and does not count
        # a node under it as ready capacity (kubernetes/autoscaler cluster-autoscaler/FAQ.md,
        # startup taints; the flag came in Cluster Autoscaler 1.29.0's release notes, "taints
        # that are used to prevent pods from scheduling before node is fully initialized", so
        # every pin in BY_MINOR has it).
        "startup-taint": names.HEALTH_KEY,
    }
    if any(check.recheck_schedule for check in settings.of(node_health_check.COMPONENT).groups):
        # The recheck's pods sit below this, so they never make the autoscaler buy a node; the
        # flag's default, stated so that the two stay together (node_health_check.RECHECK_PRIORITY).
        extra_args["expendable-pods-priority-cutoff"] = str(node_health_check.AUTOSCALER_EXPENDABLE_CUTOFF)
    values: dict = {}
    queues = settings.of(kueue.COMPONENT)
    if queues is not None and queues.all_or_nothing:
        # Kueue's all-or-nothing admission check asks for a job's nodes through
        # ProvisioningRequests; the autoscaler's FAQ asks for JSON with them. Chart 9.53.0
        # grants no access to these objects (9.57.0 adds it), so the rules are added here.
        extra_args["enable-provisioning-requests"] = "true"
        extra_args["kube-api-content-type"] = "application/json"
        values["rbac"] = {
            "additionalRules": [
                {"apiGroups": [""], "resources": ["podtemplates"], "verbs": ["get", "list", "watch"]},
                {
                    "apiGroups": ["autoscaling.x-k8s.io"],
                    "resources": ["provisioningrequests", "provisioningrequests/status"],
                    "verbs": ["get", "list", "watch", "update", "patch"],
                },
            ]
        }
    return ReleaseSpec.from_chart(
        CHART,
        namespace=names.AUTOSCALER_NAMESPACE,
        version=component.version,
        values={
            "cloudProvider": "aws",
            "awsRegion": settings.region,
            "autoDiscovery": {"clusterName": settings.cluster_name},
            "rbac": {"serviceAccount": {"create": True, "name": names.AUTOSCALER_SERVICE_ACCOUNT}, **values.get("rbac", {})},
            "nodeSelector": names.SYSTEM_NODE_LABELS,
            "extraArgs": extra_args,
            **({"image": {"tag": component.image_tag}} if component.image_tag else {}),
        },
    )


# With all-or-nothing queues it serves ProvisioningRequests, whose API must exist first.
COMPONENT: HelmComponent[AutoscalerSettings] = HelmComponent(
    name=CHART.name,
    settings=settings,
    release=release,
    identities=lambda basis: (IDENTITY,),
    after=(provisioning_request_crd.COMPONENT.name,),
)
