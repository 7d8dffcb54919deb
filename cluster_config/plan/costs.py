"""What the cluster costs per hour at its minimum and maximum sizes, from catalog list prices."""

from __future__ import annotations

from dataclasses import dataclass

from .. import catalog, versions
from .network import NetworkPlan
from .nodes import GpuNodeGroupPlan, SystemNodesPlan
from .storage import StoragePlan


@dataclass(frozen=True, kw_only=True)
class CostLine:
    label: str
    count_idle: int
    count_full: int
    unit_usd: float | None  # None: no published price; shown unpriced, never guessed
    # The region unit_usd is the price of: the configuration's where the catalog has it,
    # else catalog.PRICE_REGION's, which the summary then marks.
    priced_in: str = catalog.PRICE_REGION
    # Bought up front for the block's whole term (Capacity Blocks): billed whether or not a node runs.
    prepaid: bool = False


@dataclass(frozen=True, kw_only=True)
class CostPlan:
    lines: tuple[CostLine, ...]
    region: str
    price_source: str = catalog.PRICE_SOURCE

    @property
    def borrowed_prices(self) -> tuple[CostLine, ...]:
        """Lines priced at another region's list price, which the catalog holds instead of this region's."""
        return tuple(line for line in self.lines if line.unit_usd is not None and line.priced_in != self.region)

    def total(self, at: str) -> tuple[float, list[str]]:
        """(dollars per hour, labels without a price) at "idle" (min sizes) or "full" (max sizes)."""
        total, unpriced = 0.0, []
        for line in self.lines:
            count = line.count_idle if at == "idle" else line.count_full
            if not count:
                continue
            if line.unit_usd is None and line.prepaid:
                unpriced.append(f"{line.label}: paid up front")
            elif line.unit_usd is None:
                unpriced.append(line.label)
            else:
                total += count * line.unit_usd
        return total, unpriced


def cost_plan(
    *,
    region: str,
    network: NetworkPlan | None,
    system_nodes: SystemNodesPlan,
    gpu_groups: tuple[GpuNodeGroupPlan, ...],
    storage: StoragePlan,
    kubernetes_version: str,
) -> CostPlan:
    # A minor past its standard support is billed at the extended rate (versions.py).
    support = versions.CALENDAR[kubernetes_version].support(versions.today()) if kubernetes_version in versions.CALENDAR else None
    label = "EKS control plane (extended support)" if support is versions.Support.EXTENDED else "EKS control plane"
    lines = [
        CostLine(
            label=label,
            count_idle=1,
            count_full=1,
            unit_usd=versions.control_plane_usd_per_hour(kubernetes_version, versions.today()),
        )
    ]
    if network is not None and network.nat_gateway_count:
        nats = network.nat_gateway_count
        lines.append(CostLine(label="NAT gateway", count_idle=nats, count_full=nats, unit_usd=catalog.NAT_GATEWAY_USD_PER_HOUR))
    if network is not None and network.interface_endpoints:
        # Billed every hour in every AZ whether a node runs or not: part of the idle figure.
        count = len(network.interface_endpoints) * len(network.availability_zones)
        lines.append(
            CostLine(
                label=f"VPC interface endpoints ({len(network.interface_endpoints)} x {len(network.availability_zones)} AZs)",
                count_idle=count,
                count_full=count,
                unit_usd=catalog.INTERFACE_ENDPOINT_USD_PER_AZ_HOUR,
            )
        )
    system_type = system_nodes.instance_types[0]
    lines.append(
        CostLine(
            label=f"system nodes ({system_type})",
            count_idle=system_nodes.scaling.min_size,
            count_full=system_nodes.scaling.max_size,
            unit_usd=catalog.CPU_ON_DEMAND_USD_PER_HOUR.get(system_type),
        )
    )
    for group in gpu_groups:
        types = group.instance.name + (f" +{len(group.instance_types) - 1}" if len(group.instance_types) > 1 else "")
        if group.capacity_type == "CAPACITY_BLOCK":
            # "The price of a Capacity Block offering is charged up front" (EC2 user guide, Capacity
            # Blocks pricing and billing; Extend Capacity Blocks, Billing): its max_size nodes are paid
            # whether or not they run, at idle too: at the rate the user paid, or, unknown, flagged
            # "paid up front" rather than priced at On-Demand (the catalog has no block rates).
            lines.append(
                CostLine(
                    label=f"gpu {group.name} ({types}, Capacity Block)",
                    count_idle=group.scaling.max_size,
                    count_full=group.scaling.max_size,
                    unit_usd=group.capacity_block_usd_per_hour,
                    priced_in=region,
                    prepaid=True,
                )
            )
            continue
        # With several types, the dearest: the estimate is an upper bound. In the configuration's
        # region only: a type without a price there is unpriced, never given another region's.
        prices = [catalog.on_demand_price(t, region) for t in group.instance_types]
        known = [p for p in prices if p is not None]
        unit = max(known) if len(known) == len(prices) else None
        lines.append(
            CostLine(
                label=f"gpu {group.name} ({types})",
                count_idle=group.scaling.min_size,
                count_full=group.scaling.max_size,
                unit_usd=unit,
                priced_in=region,
            )
        )
    fsx = storage.fsx
    if fsx is not None:
        per_gb_month = catalog.FSX_LUSTRE_USD_PER_GB_MONTH[(fsx.deployment_type, fsx.throughput_mib_per_tib)]
        tier = f"/{fsx.throughput_mib_per_tib}" if fsx.throughput_mib_per_tib else ""
        lines.append(
            CostLine(
                label=f"FSx Lustre {fsx.storage_capacity_gib} GiB {fsx.deployment_type}{tier}",
                count_idle=1,
                count_full=1,
                unit_usd=round(fsx.storage_capacity_gib * per_gb_month / catalog.HOURS_PER_MONTH, 4),
            )
        )
    return CostPlan(lines=tuple(lines), region=region)
