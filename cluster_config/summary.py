"""The short report printed after every synth: stacks, GPU capacity, and what it costs per hour."""

from __future__ import annotations

from dataclasses import dataclass

from . import catalog, charts
from .model import ClusterConfig
from .plan import gpu_node_group_plan


@dataclass(frozen=True)
class CostLine:
    label: str
    count_idle: int
    count_full: int
    unit_usd: float | None


def cost_lines(config: ClusterConfig) -> list[CostLine]:
    lines = [CostLine("EKS control plane", 1, 1, catalog.EKS_CONTROL_PLANE_USD_PER_HOUR)]
    if config.network.existing_vpc is None:
        nats = {"single": 1, "one_per_az": len(config.network.availability_zones), "none": 0}[config.network.nat_gateways]
        if nats:
            lines.append(CostLine("NAT gateway", nats, nats, catalog.NAT_GATEWAY_USD_PER_HOUR))
    system = config.system_nodes
    system_type = system.instance_types[0]
    lines.append(CostLine(f"system nodes ({system_type})", system.min_size, system.max_size,
                          catalog.CPU_ON_DEMAND_USD_PER_HOUR.get(system_type)))
    for group in config.gpu_node_groups:
        instance = catalog.INSTANCE_TYPES[group.instance_type]
        lines.append(CostLine(f"gpu {group.name} ({instance.name})", group.min_size, group.max_size, instance.on_demand_usd_per_hour))
    return lines


def _total(lines: list[CostLine], attr: str) -> tuple[float, list[str]]:
    total, unpriced = 0.0, []
    for line in lines:
        count = getattr(line, attr)
        if not count:
            continue
        if line.unit_usd is None:
            unpriced.append(line.label)
        else:
            total += count * line.unit_usd
    return total, unpriced


def render(config: ClusterConfig, stacks: dict[str, int], outdir: str) -> str:
    out = [f"Synthesized {len(stacks)} stacks into {outdir}/stacks:"]
    out += [f"  {name:<28} {count:>4} resources" for name, count in stacks.items()]

    if config.gpu_node_groups:
        out.append("")
        out.append("GPU node groups:")
        header = f"  {'group':<14} {'instance':<18} {'accel/node':>10} {'EFA/node':>8} {'nodes':>7} {'accel':>9}  capacity"
        out.append(header)
        for group in config.gpu_node_groups:
            plan = gpu_node_group_plan(group)
            n = plan.instance.accelerators
            capacity = group.capacity_type + (" (priced differently)" if group.capacity_type != "on_demand" else "")
            out.append(
                f"  {group.name:<14} {plan.instance.name:<18} {n:>10} {plan.efa_interfaces:>8} "
                f"{f'{group.min_size}-{group.max_size}':>7} {f'{group.min_size * n}-{group.max_size * n}':>9}  {capacity}"
            )

    lines = cost_lines(config)
    idle, idle_unpriced = _total(lines, "count_idle")
    full, full_unpriced = _total(lines, "count_full")
    out.append("")
    out.append(f"Estimated cost per hour, On-Demand list prices in {catalog.PRICE_REGION} ({config.region} may differ), "
               "excluding data transfer, storage and VPC endpoints:")
    out.append(f"  at idle (min sizes):   ${idle:,.2f}/h" + (f"  (no price for {', '.join(idle_unpriced)})" if idle_unpriced else ""))
    out.append(f"  at full scale (max):   ${full:,.2f}/h" + (f"  (no price for {', '.join(full_unpriced)})" if full_unpriced else ""))
    for line in lines:
        unit = "n/a" if line.unit_usd is None else f"${line.unit_usd:g}"
        out.append(f"    {line.label:<36} {line.count_idle}-{line.count_full} x {unit}")
    if any(g.capacity_type != "on_demand" for g in config.gpu_node_groups):
        out.append("  Spot and Capacity Block groups are shown at On-Demand prices; their real prices differ.")
    out.append(f"  Prices: {catalog.PRICE_SOURCE}.")

    out.append("")
    out.append("Next:")
    out.append("  npx cdktf deploy '*'                         # network, cluster, platform in order (after `npm ci`)")
    out.append(f"  aws eks update-kubeconfig --region {config.region} --name {config.name}")
    nvidia = [g for g in config.gpu_node_groups if catalog.INSTANCE_TYPES[g.instance_type].accelerator_kind == "nvidia"]
    if config.training_operator.enabled and nvidia:
        if any(g.name == "a10g" for g in nvidia):
            out.append("  kubectl apply -k examples/first-job          # a 2-node PyTorch DDP TrainJob (see README)")
        else:
            out.append("  # examples/first-job targets torch-a10g; point runtimeRef and resourcesPerNode at one of:")
            for group in nvidia:
                plan = gpu_node_group_plan(group)
                efa = f", vpc.amazonaws.com/efa: {plan.efa_interfaces}" if plan.efa else ""
                out.append(f"  #   torch-{group.name}: nvidia.com/gpu: {plan.instance.accelerators}{efa}")
        if any(gpu_node_group_plan(g).efa for g in nvidia) and config.training_operator.image == charts.PYTORCH_IMAGE:
            out.append("  # NCCL uses EFA only with libfabric and aws-ofi-nccl in the image; set training_operator.image (README)")
    return "\n".join(out)
