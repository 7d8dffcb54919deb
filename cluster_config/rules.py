"""Rules that relate fields to each other, each reported at the field that is wrong."""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass

from . import versions
from .catalog import INSTANCE_TYPES, lookup
from .components import cluster_autoscaler, efa_device_plugin, kubeflow_trainer, node_health_check
from .components.contract import version_tuple
from .components.vpc_cni import addresses_per_node
from .model import ClusterConfig
from .names import PROJECT_LABEL_KEYS, PROJECT_TAG_KEYS, RESERVED_NAMESPACES
from .plan.network import network_plan
from .plan.nodes import efa_enabled

PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
SERVICE_RANGES = PRIVATE_RANGES[:3]
# Endpoints nodes need to join and pull images when the VPC has no NAT route.
AIR_GAPPED_ENDPOINTS = ("s3", "ecr.api", "ecr.dkr", "sts", "ec2", "eks", "eks-auth", "logs", "autoscaling")
LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


@dataclass(frozen=True)
class Finding:
    path: str
    message: str
    # Other fields the finding compares with: if one of them is itself wrong, the
    # finding would mislead and is not reported.
    related: tuple[str, ...] = ()


def check(config: ClusterConfig) -> tuple[list[Finding], list[Finding]]:
    """Returns (errors, warnings)."""
    errors: list[Finding] = []
    warnings: list[Finding] = []
    _check_version(config, errors, warnings)
    _check_network(config, errors, warnings)
    _check_cluster(config, errors, warnings)
    _check_sizes("system_nodes", config.system_nodes, errors)
    for i, instance_type in enumerate(config.system_nodes.instance_types):
        if instance_type in INSTANCE_TYPES:
            errors.append(
                Finding(
                    f"system_nodes.instance_types[{i}]",
                    f"{instance_type} is an accelerator type; system nodes run operators and should be a CPU type such as "
                    "m6i.large",
                )
            )
        elif not re.fullmatch(r"[a-z][a-z0-9-]*\.[a-z0-9]+", instance_type):
            errors.append(
                Finding(f"system_nodes.instance_types[{i}]", f"'{instance_type}' is not an EC2 instance type such as m6i.large")
            )
    _check_gpu_groups(config, errors, warnings)
    _check_tags(config, errors)
    _check_platform(config, errors, warnings)
    _check_health_gate(config, errors)
    _check_recheck(config, errors, warnings)
    _check_training(config, errors)
    _check_storage(config, errors)
    _check_queues(config, errors)
    if not errors and config.network.existing_vpc is None:
        _check_subnet_room(config, errors, warnings)
    return errors, warnings


def _check_version(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    minor = config.kubernetes_version
    supported = [m for m, row in versions.CALENDAR.items() if row.support(versions.today()) is not versions.Support.ENDED]
    row = versions.CALENDAR.get(minor)
    if row is None:
        if int(minor.split(".")[1]) > int(versions.NEWEST_KNOWN.split(".")[1]):
            errors.append(
                Finding(
                    "kubernetes_version",
                    f"{minor} is newer than the EKS release calendar this project knows; the newest is {versions.NEWEST_KNOWN}",
                )
            )
        return
    support = row.support(versions.today())
    if support is versions.Support.ENDED:
        # EKS no longer creates a minor past its extended support (EKS user guide, "Understand the
        # Kubernetes version lifecycle on EKS").
        errors.append(
            Finding(
                "kubernetes_version",
                f"{minor}'s EKS extended support ended on {row.end_of_extended}; EKS creates only {', '.join(supported)}",
            )
        )
    elif support is versions.Support.EXTENDED:
        warnings.append(
            Finding(
                "kubernetes_version",
                f"{minor} is in EKS extended support until {row.end_of_extended} (standard support ended {row.end_of_standard}): "
                f"the control plane costs ${versions.EXTENDED_USD_PER_HOUR:.2f}/h instead of "
                f"${versions.STANDARD_USD_PER_HOUR:.2f}/h; upgrade to {versions.NEWEST_KNOWN}",
            )
        )


def _check_network(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    network = config.network
    az_pattern = re.compile(re.escape(config.region) + r"[a-z]")
    seen: dict[str, int] = {}
    for i, az in enumerate(network.availability_zones):
        path = f"network.availability_zones[{i}]"
        if not az_pattern.fullmatch(az):
            errors.append(
                Finding(
                    path,
                    f"'{az}' is not an availability zone of region {config.region} (expected {config.region}a, {config.region}b, "
                    "...)",
                    ("region",),
                )
            )
        if az in seen:
            errors.append(Finding(path, f"'{az}' is listed twice (also at index {seen[az]})"))
        seen.setdefault(az, i)

    vpc = ipaddress.IPv4Network(network.vpc_cidr)
    if network.existing_vpc is not None:
        for key in ("vpc_cidr", "nat_gateways", "vpc_endpoints", "flow_logs_retention_days"):
            if key in network.model_fields_set:
                errors.append(
                    Finding(f"network.{key}", "has no effect with network.existing_vpc (no network stack is made); remove it")
                )
        ids = network.existing_vpc.private_subnet_ids
        for i, subnet in enumerate(ids):
            if subnet in ids[:i]:
                errors.append(Finding(f"network.existing_vpc.private_subnet_ids[{i}]", f"'{subnet}' is listed twice"))
    else:
        if not any(vpc.subnet_of(r) for r in PRIVATE_RANGES):
            errors.append(
                Finding(
                    "network.vpc_cidr",
                    f"{vpc} is not a private range; use one inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
                )
            )
        # A VPC's primary block is /16 to /28 (VPC user guide, "VPC CIDR blocks"); the project's
        # floor is /21, which still leaves each private subnet room for GPU nodes' pod prefixes.
        if vpc.prefixlen < 16:
            errors.append(
                Finding(
                    "network.vpc_cidr",
                    f"/{vpc.prefixlen} is larger than AWS allows: a VPC's CIDR block is /16 at most "
                    "(VPC user guide, VPC CIDR blocks); use a /16 to /21",
                )
            )
        elif vpc.prefixlen > 21:
            errors.append(
                Finding(
                    "network.vpc_cidr",
                    f"/{vpc.prefixlen} is too small: this project needs /21 or larger (/16 to /21); smaller VPCs "
                    "leave too few pod IPs for GPU nodes and public subnets below the /27 a load balancer needs",
                )
            )
        for i, endpoint in enumerate(network.vpc_endpoints):
            if endpoint in network.vpc_endpoints[:i]:
                errors.append(Finding(f"network.vpc_endpoints[{i}]", f"'{endpoint}' is listed twice"))
        if network.nat_gateways == "none":
            missing = [e for e in AIR_GAPPED_ENDPOINTS if e not in network.vpc_endpoints]
            if missing:
                warnings.append(
                    Finding(
                        "network.vpc_endpoints",
                        f"with nat_gateways: none nodes reach AWS only through endpoints; missing: {', '.join(missing)}",
                    )
                )
            warnings.append(
                Finding(
                    "network.nat_gateways",
                    "none: nodes cannot pull the platform's charts and images from ghcr.io, registry.k8s.io, "
                    "nvcr.io or docker.io; mirror them into ECR or the platform stack will not install",
                )
            )
            operator = config.training_operator
            kinds = {t.accelerator_kind for g in config.gpu_node_groups if g.types and (t := lookup(g.types[0]))}
            for field, kind, private in (
                ("image", "nvidia", kubeflow_trainer.private_training_image),
                ("neuron_image", "neuron", kubeflow_trainer.private_neuron_training_image),
            ):
                if not operator.enabled or kind not in kinds:
                    continue
                image = getattr(operator, field)
                if field in operator.model_fields_set and image.startswith(kubeflow_trainer.TRAINING_IMAGE_REGISTRY + "/"):
                    errors.append(
                        Finding(
                            f"training_operator.{field}",
                            f"{image} is on {kubeflow_trainer.TRAINING_IMAGE_REGISTRY}, which nodes cannot reach "
                            "with nat_gateways: none (no VPC endpoint serves it); use an ECR image, e.g. the same DLC from "
                            f"this region's registry: {private(config.region)}",
                            ("network.nat_gateways",),
                        )
                    )
                elif field not in operator.model_fields_set:
                    warnings.append(
                        Finding(
                            f"training_operator.{field}",
                            f"nat_gateways: none: the runtimes use {private(config.region)}, "
                            "the default image from this region's private DLC registry (through the ECR endpoints)",
                        )
                    )

    service = config.cluster.service_ipv4_cidr
    if service is not None:
        service_net = ipaddress.IPv4Network(service)
        if not any(service_net.subnet_of(r) for r in SERVICE_RANGES) or not 12 <= service_net.prefixlen <= 24:
            errors.append(
                Finding(
                    "cluster.service_ipv4_cidr",
                    f"{service} must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a prefix between /12 and /24 (EKS "
                    "rule)",
                )
            )
        if network.existing_vpc is None and service_net.overlaps(vpc):
            errors.append(
                Finding(
                    "cluster.service_ipv4_cidr",
                    f"{service} overlaps network.vpc_cidr {vpc}; Kubernetes service IPs must not collide with VPC addresses",
                    ("network.vpc_cidr",),
                )
            )


def _check_cluster(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    cluster = config.cluster
    if cluster.endpoint_public_access:
        if not cluster.endpoint_public_access_cidrs:
            errors.append(
                Finding(
                    "cluster.endpoint_public_access_cidrs",
                    "must list at least one CIDR when endpoint_public_access is true (write 0.0.0.0/0 explicitly to open it to "
                    "the internet)",
                    ("cluster.endpoint_public_access",),
                )
            )
        for i, cidr in enumerate(cluster.endpoint_public_access_cidrs):
            if ipaddress.IPv4Network(cidr).prefixlen == 0:
                warnings.append(
                    Finding(
                        f"cluster.endpoint_public_access_cidrs[{i}]",
                        "0.0.0.0/0 opens the Kubernetes API endpoint to the whole internet",
                    )
                )
    elif cluster.endpoint_public_access_cidrs:
        errors.append(
            Finding(
                "cluster.endpoint_public_access_cidrs",
                "has no effect while endpoint_public_access is false; remove it or turn public access on",
                ("cluster.endpoint_public_access",),
            )
        )
    else:
        platform = config.platform
        if config.training_operator.enabled or any(
            c.enabled for c in (platform.nvidia_device_plugin, platform.efa_device_plugin, platform.cluster_autoscaler)
        ):
            warnings.append(
                Finding(
                    "cluster.endpoint_public_access",
                    "false: apply the platform stack from inside the VPC (VPN, bastion or an in-VPC runner); "
                    "its kubernetes and helm providers need the API endpoint",
                )
            )
    for i, arn in enumerate(cluster.admin_principal_arns):
        if arn in cluster.admin_principal_arns[:i]:
            errors.append(Finding(f"cluster.admin_principal_arns[{i}]", "listed twice"))
        if ":assumed-role/" in arn:
            errors.append(
                Finding(
                    f"cluster.admin_principal_arns[{i}]",
                    "an assumed-role session cannot hold an access entry; use the role ARN arn:aws:iam::<account>:role/<name>",
                )
            )
    for i, log_type in enumerate(cluster.log_types):
        if log_type in cluster.log_types[:i]:
            errors.append(Finding(f"cluster.log_types[{i}]", f"'{log_type}' is listed twice"))


def _check_sizes(path: str, group, errors: list[Finding]) -> None:
    if group.max_size < 1:
        errors.append(Finding(f"{path}.max_size", "must be at least 1 (EKS node groups need a maximum of 1 or more)"))
    sizes = tuple(f"{path}.{k}" for k in ("min_size", "max_size", "desired_size"))
    if group.min_size > group.max_size:
        errors.append(Finding(f"{path}.max_size", f"must be >= min_size (got {group.max_size} < {group.min_size})", sizes))
    elif group.desired_size < group.min_size:
        errors.append(
            Finding(f"{path}.desired_size", f"must be >= min_size (got {group.desired_size} < {group.min_size})", sizes)
        )
    elif group.desired_size > group.max_size:
        errors.append(
            Finding(f"{path}.desired_size", f"must be <= max_size (got {group.desired_size} > {group.max_size})", sizes)
        )


def _check_gpu_groups(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    names: dict[str, int] = {}
    for i, group in enumerate(config.gpu_node_groups):
        path = f"gpu_node_groups[{i}]"
        if group.name in names:
            errors.append(
                Finding(
                    f"{path}.name",
                    f"'{group.name}' is already used by gpu_node_groups[{names[group.name]}]; node-group names must be unique",
                )
            )
        names.setdefault(group.name, i)
        _check_sizes(path, group, errors)
        given = [k for k in ("max_unavailable", "max_unavailable_percentage") if getattr(group.update, k) is not None]
        if len(given) != 1:
            # EKS takes one or the other (API Reference, NodegroupUpdateConfig).
            errors.append(
                Finding(
                    f"{path}.update",
                    f"give exactly one of max_unavailable (nodes at a time) or "
                    f"max_unavailable_percentage (percent of the group at a time); got {' and '.join(given) or 'neither'}",
                )
            )

        instance = _check_instance_types(path, group, errors)
        if instance is None:
            continue
        type_paths = (f"{path}.instance_type", f"{path}.instance_types")

        if group.efa is True and not instance.efa_supported:
            with_efa = (
                ", ".join(sorted(n for n, t in INSTANCE_TYPES.items() if t.efa_supported and t.family == instance.family))
                or "none in this family"
            )
            errors.append(
                Finding(
                    f"{path}.efa",
                    f"{instance.name} does not support EFA (EFA sizes of {instance.family}: {with_efa}); use efa: auto or false",
                    type_paths,
                )
            )
        efa = efa_enabled(group)

        if group.capacity_type == "capacity_block" and not instance.capacity_block:
            allowed = ", ".join(sorted(n for n, t in INSTANCE_TYPES.items() if t.capacity_block))
            errors.append(
                Finding(
                    f"{path}.capacity_type",
                    f"Capacity Blocks for ML are not sold for {instance.name}; they are for {allowed}",
                    type_paths,
                )
            )
        if group.capacity_type == "capacity_block" and len(group.types) > 1:
            errors.append(
                Finding(
                    f"{path}.instance_types",
                    "a Capacity Block is for one instance type; name it with instance_type",
                    (f"{path}.capacity_type",),
                )
            )
        capacity = (f"{path}.capacity_type",)
        if group.capacity_type == "capacity_block" and group.capacity_reservation_id is None:
            errors.append(
                Finding(
                    f"{path}.capacity_reservation_id",
                    "required when capacity_type is capacity_block (the cr-... id of the purchased Capacity Block)",
                    capacity,
                )
            )
        if group.capacity_type != "capacity_block" and group.capacity_block_usd_per_hour is not None:
            errors.append(
                Finding(
                    f"{path}.capacity_block_usd_per_hour",
                    f"applies to capacity_type capacity_block only (got {group.capacity_type}); remove it",
                    capacity,
                )
            )
        if group.capacity_type == "spot" and group.capacity_reservation_id is not None:
            errors.append(
                Finding(
                    f"{path}.capacity_reservation_id",
                    "cannot be used with capacity_type spot; reservations are on_demand or capacity_block",
                    capacity,
                )
            )

        needs_zone = efa or group.capacity_reservation_id is not None
        if group.availability_zone is None:
            if needs_zone:
                why = "EFA is on" + (" (efa: auto)" if group.efa == "auto" else "") if efa else "a capacity reservation is zonal"
                errors.append(
                    Finding(
                        f"{path}.availability_zone",
                        f"required because {why}; choose one of {', '.join(config.network.availability_zones)}",
                        (f"{path}.efa", *type_paths, f"{path}.capacity_reservation_id", "network.availability_zones"),
                    )
                )
        elif group.availability_zone not in config.network.availability_zones:
            if not group.availability_zone.startswith(config.region):
                reason = f"is not in region {config.region}"
            else:
                reason = "is not one of network.availability_zones"
            errors.append(
                Finding(
                    f"{path}.availability_zone",
                    f"'{group.availability_zone}' {reason}; choose one of {', '.join(config.network.availability_zones)}",
                    ("network.availability_zones", "region"),
                )
            )

        if instance.accelerator_kind == "neuron" and group.ami_type == "bottlerocket":
            warnings.append(
                Finding(
                    f"{path}.ami_type",
                    f"{instance.name} uses the standard Bottlerocket variant (BOTTLEROCKET_x86_64); Neuron components must come "
                    "from your own daemonsets",
                )
            )

        for key, value in group.labels.items():
            if key in PROJECT_LABEL_KEYS:
                errors.append(
                    Finding(f"{path}.labels.{key}", "is set by the project from the instance type and EFA setting; remove it")
                )
            elif not LABEL_KEY.match(key):
                errors.append(Finding(f"{path}.labels.{key}", "is not a valid Kubernetes label key"))
            elif key.split("/")[0].endswith(("kubernetes.io", "k8s.io")):
                errors.append(
                    Finding(f"{path}.labels.{key}", "uses a reserved kubernetes.io/k8s.io prefix, which EKS node groups reject")
                )
            if not LABEL_VALUE.match(value):
                errors.append(
                    Finding(
                        f"{path}.labels.{key}",
                        f"'{value}' is not a valid Kubernetes label value (63 characters of letters, digits, '-', '_', '.')",
                    )
                )


def _check_instance_types(path: str, group, errors: list[Finding]):
    """The group's instance types exist and are interchangeable; returns the first one's facts, or None."""
    if bool(group.instance_type) == bool(group.instance_types):
        errors.append(
            Finding(
                path,
                "needs instance_type (one type) or instance_types (interchangeable types), not both"
                if group.instance_type
                else "needs instance_type (one type) or instance_types (interchangeable types)",
            )
        )
        return None
    found = []
    for i, name in enumerate(group.types):
        instance = lookup(name)
        if instance is None:
            errors.append(Finding(f"{path}.{group.type_path(i)}", unknown_instance_type(name)))
        elif name in group.types[:i]:
            errors.append(Finding(f"{path}.{group.type_path(i)}", f"'{name}' is listed twice"))
        else:
            found.append((i, instance))
    if len(found) != len(group.types):
        return None
    first = found[0][1]
    for i, other in found[1:]:
        # The autoscaler sizes a group from one template and the runtime asks every node
        # for the same devices: the types must look alike to both. The group is labelled
        # and tagged as its first type, so a job sized for that GPU's memory must fit the
        # others too: an L40S job (48 GB) runs out of memory on an L4 (24 GB).
        if (other.accelerator, other.accelerator_memory_gib) != (first.accelerator, first.accelerator_memory_gib):
            errors.append(
                Finding(
                    f"{path}.{group.type_path(i)}",
                    f"{other.name} has {other.accelerator} with {other.accelerator_memory_gib:g} GiB, "
                    f"{first.name} {first.accelerator} with {first.accelerator_memory_gib:g} GiB; a group's types must have the "
                    "same accelerator model and memory",
                )
            )
        elif (other.accelerator_kind, other.accelerators) != (first.accelerator_kind, first.accelerators):
            errors.append(
                Finding(
                    f"{path}.{group.type_path(i)}",
                    f"{other.name} has {other.accelerators} accelerators, {first.name} "
                    f"{first.accelerators}; a group's types must be interchangeable (same accelerator count)",
                )
            )
        elif efa_layout(other) != efa_layout(first) and group.efa is not False:
            errors.append(
                Finding(
                    f"{path}.{group.type_path(i)}",
                    f"{other.name} and {first.name} have different EFA layouts "
                    f"({other.max_efa_interfaces} and {first.max_efa_interfaces} EFA); use types with the same layout, "
                    "or efa: false",
                )
            )
    return first


def efa_layout(instance) -> tuple:
    return (instance.max_efa_interfaces, instance.network_cards, instance.card0_supports_efa) if instance.efa_supported else ()


# EC2 families without accelerators, by their leading letters (general purpose,
# compute, memory, burstable, storage, high-memory, Graviton-only).
CPU_FAMILY = re.compile(r"^(m|c|r|t|x|z|i|d|h|a|u)\d")


def unknown_instance_type(name: str) -> str:
    """The message for a type the catalog does not hold: a likely typo, a CPU type, or what exists."""
    family, _, size = name.partition(".")
    if CPU_FAMILY.match(family):
        return f"{name} has no accelerator; CPU nodes go in system_nodes.instance_types"
    families = sorted({t.family for t in INSTANCE_TYPES.values()})
    if family not in families:
        # Guess the family first: across families, names differ by one character ("p5.4xlarge",
        # "p6.4xlarge"), and a whole-name guess would turn a made-up type into an unrelated real one.
        close = difflib.get_close_matches(family, families, n=1, cutoff=0.75)
        # A family that differs only in its digits is another generation (trn3, g7e), not a typo.
        if not close or re.sub(r"\d", "", close[0]) == re.sub(r"\d", "", family):
            return f"unknown instance type '{name}'; GPU and Trainium families: {', '.join(families)}"
        family = close[0]
        if f"{family}.{size}" in INSTANCE_TYPES:
            return f"unknown instance type '{name}'; did you mean '{family}.{size}'?"
    sizes = sorted((t for t in INSTANCE_TYPES.values() if t.family == family), key=lambda t: t.vcpus)
    guess = difflib.get_close_matches(name, [t.name for t in sizes], n=1, cutoff=0.75)
    if guess:
        return f"unknown instance type '{name}'; did you mean '{guess[0]}'?"
    return f"unknown instance type '{name}'; {family} sizes: {', '.join(t.name for t in sizes)}"


def _check_tags(config: ClusterConfig, errors: list[Finding]) -> None:
    for key, value in config.tags.items():
        if key in PROJECT_TAG_KEYS:
            errors.append(Finding(f"tags.{key}", "is set by the project itself; choose another key"))
        elif key.lower().startswith("aws:"):
            errors.append(Finding(f"tags.{key}", "the aws: prefix is reserved by AWS"))
        elif not 1 <= len(key) <= 128:
            errors.append(Finding(f"tags.{key}", "keys are 1-128 characters"))
        if len(value) > 256:
            errors.append(Finding(f"tags.{key}", f"values are at most 256 characters (got {len(value)})"))


def _check_platform(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    efa = config.platform.efa_device_plugin
    if efa.version is not None and (version_tuple(efa.version) or (0,)) < efa_device_plugin.MINIMUM:
        errors.append(
            Finding(
                "platform.efa_device_plugin.version",
                f"must be >= 0.5.10 (got {efa.version}); earlier releases count NVLink controllers as EFA devices",
            )
        )
    autoscaler = config.platform.cluster_autoscaler
    if autoscaler.enabled and autoscaler.version is None and cluster_autoscaler.chart_for(config.kubernetes_version) is None:
        warnings.append(
            Finding(
                "platform.cluster_autoscaler.version",
                f"no cluster-autoscaler chart ships Kubernetes {config.kubernetes_version} yet; the newest "
                f"({cluster_autoscaler.NEWEST_MINOR}'s chart) is used, "
                f"running image {cluster_autoscaler.image_for(config.kubernetes_version)}. "
                f"Set a matching chart version when one is released",
                ("kubernetes_version",),
            )
        )


def _check_health_gate(config: ClusterConfig, errors: list[Finding]) -> None:
    """A gated node passes only once its device plugins advertise what the check requests: with a
    plugin off it would stay under the startup taint for ever."""
    platform = config.platform
    for i, group in enumerate(config.gpu_node_groups):
        instance = lookup(group.types[0]) if group.types else None
        if instance is None or not node_health_check.group_config(config.health_check, group.health_check).enabled:
            continue
        needed = []
        if instance.accelerator_kind == "nvidia" and group.ami_type == "al2023" and not platform.nvidia_device_plugin.enabled:
            needed.append(("platform.nvidia_device_plugin", "GPUs"))  # Bottlerocket brings its own plugin
        if instance.accelerator_kind == "neuron" and not platform.neuron_device_plugin.enabled:
            needed.append(("platform.neuron_device_plugin", "Neuron devices"))
        if efa_enabled(group) and not platform.efa_device_plugin.enabled:
            needed.append(("platform.efa_device_plugin", "EFA devices"))
        where = (
            f"gpu_node_groups[{i}].health_check.enabled"
            if group.health_check and group.health_check.enabled
            else "health_check.enabled"
        )
        for plugin, devices in needed:
            errors.append(
                Finding(
                    where,
                    f"group '{group.name}': the health gate requests the node's {devices}, which only "
                    f"{plugin} advertises, and it is off: no node could pass and every one would stay "
                    f"tainted. Turn {plugin}.enabled on, or set gpu_node_groups[{i}].health_check.enabled: false",
                    (f"{plugin}.enabled",),
                )
            )


def _check_recheck(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    """The recheck runs on NVIDIA nodes that passed the gate: a group where it cannot run is an
    error when the group asks for it, and a schedule nothing uses is a warning."""
    cluster = config.health_check
    rechecked = []
    for i, group in enumerate(config.gpu_node_groups):
        own = group.health_check
        wanted = node_health_check.group_config(cluster, own)
        instance = lookup(group.types[0]) if group.types else None
        where = f"gpu_node_groups[{i}].health_check"
        if wanted.recheck and wanted.enabled and instance is not None and instance.accelerator_kind == "nvidia":
            rechecked.append(i)
        if not (own and own.recheck):
            if own and "recheck_schedule" in own.model_fields_set and not wanted.recheck:
                warnings.append(Finding(f"{where}.recheck_schedule", f"group '{group.name}': set, but its recheck is off"))
            continue
        if not wanted.enabled:
            errors.append(
                Finding(
                    f"{where}.recheck",
                    f"group '{group.name}': the periodic recheck runs on nodes the health gate labelled passed, and "
                    "with the gate off no node ever is. Turn the group's health_check.enabled on, or its recheck off",
                    (f"{where}.enabled",),
                )
            )
        elif instance is not None and instance.accelerator_kind == "neuron":
            errors.append(
                Finding(
                    f"{where}.recheck",
                    f"group '{group.name}' ({instance.name}): the recheck tells an idle node by holding every "
                    f"device of it, and on {node_health_check.RECHECK_TRAINIUM}; it could run beside a job. "
                    "Set its recheck: false",
                )
            )
    if cluster.recheck and not rechecked and config.gpu_node_groups:
        errors.append(
            Finding(
                "health_check.recheck",
                "no group is rechecked: the recheck runs on NVIDIA groups whose health gate is on"
                + ("; health_check.enabled is false" if not cluster.enabled else "")
                + ". Turn the gate on, or set health_check.recheck: false",
                ("health_check.enabled",),
            )
        )
    elif "recheck_schedule" in cluster.model_fields_set and not rechecked:
        warnings.append(Finding("health_check.recheck_schedule", "set, but no group is rechecked (health_check.recheck)"))


def _check_training(config: ClusterConfig, errors: list[Finding]) -> None:
    namespaces = config.training_operator.namespaces
    for i, namespace in enumerate(namespaces):
        if namespace in namespaces[:i]:
            errors.append(Finding(f"training_operator.namespaces[{i}]", f"'{namespace}' is listed twice"))
        elif reason := reserved_namespace(namespace):
            errors.append(Finding(f"training_operator.namespaces[{i}]", reason))


def reserved_namespace(namespace: str) -> str | None:
    """Why a training namespace is not allowed, or None: Kubernetes' and the platform's own are not for jobs."""
    if namespace in RESERVED_NAMESPACES or namespace.startswith("kube-"):
        return (
            f"'{namespace}' is reserved (Kubernetes' and the platform's namespaces: {', '.join(RESERVED_NAMESPACES)}, "
            "and any kube- name); run jobs in a namespace of your own"
        )
    return None


# FSx for Lustre sizes: 1.2 TiB, 2.4 TiB, then steps of 2.4 TiB, for PERSISTENT_2 and SCRATCH_2
# alike (FSx API CreateFileSystem, StorageCapacity).
FSX_CAPACITY_STEP_GIB = 2400


def _check_storage(config: ClusterConfig, errors: list[Finding]) -> None:
    fsx = config.storage.fsx_lustre
    path = "storage.fsx_lustre"
    if fsx.storage_capacity_gib != 1200 and fsx.storage_capacity_gib % FSX_CAPACITY_STEP_GIB:
        below = fsx.storage_capacity_gib // FSX_CAPACITY_STEP_GIB * FSX_CAPACITY_STEP_GIB or 1200
        errors.append(
            Finding(
                f"{path}.storage_capacity_gib",
                f"{fsx.storage_capacity_gib} is not a size FSx for Lustre offers: "
                f"1200, or a multiple of 2400 (nearest: {below} or {below + FSX_CAPACITY_STEP_GIB if below > 1200 else 2400})",
            )
        )
    if fsx.deployment_type == "SCRATCH_2" and fsx.throughput_mib_per_tib is not None:
        errors.append(
            Finding(
                f"{path}.throughput_mib_per_tib",
                "applies to PERSISTENT_2 only; SCRATCH_2 has a fixed 200 MB/s per TiB (remove it)",
                (f"{path}.deployment_type",),
            )
        )
    zones = config.network.availability_zones
    if fsx.availability_zone is not None and fsx.availability_zone not in zones:
        errors.append(
            Finding(
                f"{path}.availability_zone",
                f"'{fsx.availability_zone}' is not one of network.availability_zones ({', '.join(zones)})",
                ("network.availability_zones",),
            )
        )


def _check_queues(config: ClusterConfig, errors: list[Finding]) -> None:
    groups = {g.name: g for g in config.gpu_node_groups}
    if config.queues.enabled:
        for i, gpu_group in enumerate(config.gpu_node_groups):
            # Each group's queue is named after it, beside each namespace's "default" and the teams' "team-<name>".
            if gpu_group.name == "default" or gpu_group.name.startswith("team-"):
                errors.append(
                    Finding(
                        f"gpu_node_groups[{i}].name",
                        f"'{gpu_group.name}' would clash with a queue name; "
                        "'default' and names starting with 'team-' are taken while queues are enabled",
                    )
                )
    if not config.queues.enabled and config.queues.teams:
        ignored = ", ".join(t.name for t in config.queues.teams)
        errors.append(
            Finding(
                "queues.teams",
                f"has no effect while queues.enabled is false (teams {ignored} would get no quota); "
                "remove the teams or enable the queues",
                ("queues.enabled",),
            )
        )
    claimed: dict[str, str] = {}
    team_names: dict[str, int] = {}
    totals: dict[str, int] = {}
    for i, team in enumerate(config.queues.teams):
        path = f"queues.teams[{i}]"
        if team.name in team_names:
            errors.append(Finding(f"{path}.name", f"'{team.name}' is already used by queues.teams[{team_names[team.name]}]"))
        team_names.setdefault(team.name, i)
        for j, namespace in enumerate(team.namespaces):
            if reason := reserved_namespace(namespace):
                errors.append(Finding(f"{path}.namespaces[{j}]", reason))
            if namespace in claimed:
                errors.append(
                    Finding(
                        f"{path}.namespaces[{j}]",
                        f"'{namespace}' is listed twice (also by {claimed[namespace]}); "
                        "a namespace's jobs go to one team's queue",
                    )
                )
            claimed.setdefault(namespace, f"team {team.name}")
        for group_name, accelerators in team.quota.items():
            where = f"{path}.quota.{group_name}"
            group = groups.get(group_name)
            if group is None:
                known = ", ".join(groups) or "none are configured"
                errors.append(Finding(where, f"'{group_name}' is not a GPU group (gpu_node_groups names: {known})"))
                continue
            instance = lookup(group.types[0]) if group.types else None
            if instance is None:
                continue
            most = group.max_size * instance.accelerators
            totals[group_name] = totals.get(group_name, 0) + accelerators
            if accelerators > most:
                errors.append(
                    Finding(
                        where,
                        f"{accelerators} accelerators is more than the group can have "
                        f"({group.max_size} nodes x {instance.accelerators} = {most})",
                        (f"gpu_node_groups[{list(groups).index(group_name)}].max_size",),
                    )
                )
    for group_name, total in totals.items():
        group = groups[group_name]
        instance = lookup(group.types[0]) if group.types else None
        assert instance is not None, "totals counts only groups whose first type is known (above)"
        most = group.max_size * instance.accelerators
        if total > most:
            errors.append(
                Finding(
                    "queues.teams",
                    f"the teams' quotas for {group_name} add up to {total}, more than its {most} "
                    "accelerators; a quota is a guarantee, so they must fit",
                )
            )


# Above this share of a subnet, prefix delegation can fail to find a free, aligned /28
# even with addresses left, as single node and EFA interface addresses fragment it.
SUBNET_FILL_WARNING = 0.75


def _check_subnet_room(config: ClusterConfig, errors: list[Finding], warnings: list[Finding]) -> None:
    """Every node at its group's max_size must find room in its subnet: at least its own
    address and two /28 prefixes (one in use, one warm) to start, and ideally enough for
    max-pods pods. An unpinned group is counted spread evenly over the zones."""
    network = network_plan(config.name, config.region, "aws", config.network)
    zones = network.availability_zones
    to_start = {zone: 0 for zone in zones}
    when_full = {zone: 0 for zone in zones}

    def place(count: int, vcpus: int, pinned: str | None) -> None:
        for zone in [pinned] if pinned else zones:
            nodes = -(-count // (1 if pinned else len(zones)))
            to_start[zone] += nodes * addresses_per_node(vcpus, pods=1)
            when_full[zone] += nodes * addresses_per_node(vcpus)

    # System nodes' vCPUs are not in the catalog; count them as small nodes (max-pods 110).
    place(config.system_nodes.max_size, 2, None)
    for group in config.gpu_node_groups:
        instance = lookup(group.types[0]) if group.types else None
        if instance is not None:
            place(group.max_size, instance.vcpus, group.availability_zone)
    for subnet in network.subnets:
        room = ipaddress.IPv4Network(subnet.private_cidr).num_addresses - 5  # AWS reserves 5 per subnet
        zone = subnet.availability_zone
        where = f"private subnet {subnet.private_cidr} ({zone})"
        if to_start[zone] > room:
            errors.append(
                Finding(
                    "network.vpc_cidr",
                    f"{where} has {room} addresses; the nodes that can run there at their max_size "
                    f"need {to_start[zone]} just to start (two /28 pod prefixes each, prefix delegation); "
                    "use a larger VPC or lower max_size",
                )
            )
        elif when_full[zone] > SUBNET_FILL_WARNING * room:
            warnings.append(
                Finding(
                    "network.vpc_cidr",
                    f"{where}: nodes at max_size running max-pods would need {when_full[zone]} of "
                    f"its {room} addresses; pod prefixes need free aligned /28 blocks, so pods may stay Pending "
                    "in a fuller subnet; a larger VPC avoids it",
                )
            )
