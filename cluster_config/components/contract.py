"""The component contract: what each in-cluster component and each EKS add-on declares, as plain data.

A component module declares one ``COMPONENT``, a ``HelmComponent`` or an ``EksAddon``, with
everything that is particular to it: the YAML keys a user writes for it (a pydantic
``Config`` that ``model.py`` places where the key sits), its chart pin or add-on name, the
settings it derives from the configuration, its release spec or add-on configuration, the
AWS identity it needs, and what it is installed after. The generic code treats every
component alike: ``cluster_config.plan`` derives the settings (keyed by component name),
the releases in an order sorted from ``after``, the add-ons and the Pod Identity roles of
the components that are on; the cluster stack makes those roles in one loop and the
platform stack installs the releases. Nothing here imports cdktf.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Callable, Generic, TypeVar

from ..schema import ChartVersion, Strict

if TYPE_CHECKING:
    from ..context import ClusterContext
    from ..model import ClusterConfig
    from ..plan.nodes import GpuNodeGroupPlan
    from ..plan.platform import PlatformSettings
    from ..plan.storage import StoragePlan
    from .release_spec import ReleaseSpec


@dataclass(frozen=True, kw_only=True)
class Chart:
    """A pinned Helm chart, with where the pin was confirmed."""

    name: str
    repository: str
    version: str
    app_version: str
    confirmed: str


# EKS-built images carry a build suffix, e.g. the EFA device plugin's v0.5.29-eksbuild.1 (its
# images in the EKS ECR repositories, eks/aws-efa-k8s-device-plugin); the build orders nothing
# against the upstream release it packages.
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:-eksbuild\.\d+)?")


def version_tuple(version: str) -> tuple[int, ...] | None:
    match = _VERSION.fullmatch(version)
    return tuple(int(p) for p in match.groups()) if match else None


class ChartToggle(Strict):
    """The keys of a chart a user may switch off or pin to another version."""

    enabled: bool = True
    """Install the chart; it is installed only where a node group needs it."""
    version: ChartVersion | None = None  # None: the component's pin (its CHART)
    """Unset: the chart version this project pins and tested."""


@dataclass(frozen=True, kw_only=True)
class ChartSettings:
    enabled: bool
    version: str  # the user's chart version, else the component's pin


def chart_settings(toggle: ChartToggle, chart: Chart, *, version: str | None = None) -> ChartSettings:
    """``version``: the component's own choice of pin, where it is not ``chart.version``."""
    return ChartSettings(enabled=toggle.enabled, version=toggle.version or version or chart.version)


class Grant(Enum):
    """Access to something the cluster stack makes, asked for by name; the stack resolves it to
    IAM statements scoped to that resource (modules.checkpoint_bucket.read_write_statements)."""

    CHECKPOINT_BUCKET_READ_WRITE = "read and write the checkpoint bucket"
    # Only the identity's own namespace's prefix, <namespace>/ (modules.checkpoint_bucket.prefix_statements).
    CHECKPOINT_NAMESPACE_PREFIX_READ_WRITE = "read and write its namespace's prefix of the checkpoint bucket"


@dataclass(frozen=True, kw_only=True)
class PodIdentity:
    """An IAM role that EKS Pod Identity hands one service account of the component."""

    # The role's construct id in the cluster stack, and so its Terraform address: a new id
    # would replace the role.
    construct_id: str
    name: str  # the role is named <cluster>-<name>-<random suffix>
    namespace: str
    service_account: str
    # Inline statements, for access that can be scoped to this cluster: written against
    # the context (ARNs of this account and region, the cluster's name).
    statements: Callable[[ClusterContext], tuple[dict, ...]] | None = None
    policy_name: str = "access"  # of the inline policy
    managed_policies: tuple[str, ...] = ()  # AWS-managed policy names
    grants: tuple[Grant, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlanBasis:
    """What a component derives its settings from: the validated configuration, and what the
    plan derived before the components."""

    config: ClusterConfig
    gpu_groups: tuple[GpuNodeGroupPlan, ...]
    storage: StoragePlan
    training_namespaces: tuple[str, ...]  # where TrainJobs run: the operator's namespaces and the teams'
    air_gapped: bool  # no NAT: nodes reach only what the VPC endpoints serve


S = TypeVar("S")


@dataclass(frozen=True, kw_only=True)
class HelmComponent(Generic[S]):
    """An in-cluster component installed as one Helm release by the platform stack."""

    name: str  # the release's name, and what other components' ``after`` says
    # Its release for this cluster, or None when it has nothing to do here (switched off,
    # or no GPU group it serves). It reads its own settings and others' with settings.of().
    release: Callable[[PlatformSettings, tuple[GpuNodeGroupPlan, ...]], ReleaseSpec | None]
    settings: Callable[[PlanBasis], S] | None = None  # None: it reads only other components' settings
    # Components installed before it, when they are installed at all: a release of this
    # component waits for theirs (``ReleaseSpec.after``).
    after: tuple[str, ...] = ()
    # Its Pod Identity roles, made whenever it has a release: one for a controller, or one per
    # GPU group or training namespace, each with a construct id and scope of its own.
    identities: Callable[[PlanBasis], tuple[PodIdentity, ...]] = lambda basis: ()


@dataclass(frozen=True, kw_only=True)
class EksAddon:
    """An EKS managed add-on, installed by the cluster stack."""

    name: str  # the add-on's name in EKS
    # Installed right after the control plane (what a node needs to become Ready, or a pod
    # to get credentials); otherwise after the system node group, which it runs on.
    before_nodes: bool
    enabled: Callable[[PlanBasis], bool] = lambda basis: True
    configuration: dict | None = None  # the add-on's configuration values
    identity: PodIdentity | None = None  # the add-on hands the role to its service account


@dataclass(frozen=True, kw_only=True)
class IdentityPlan:
    """A Pod Identity role the cluster stack makes, for a component that is on."""

    component: str
    identity: PodIdentity
    # True: the role is associated with its service account by an association of its own (a
    # Helm chart's service account); False: the EKS add-on hands it over itself.
    associate: bool
