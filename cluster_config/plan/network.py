"""The VPC the cluster lives in: carved from the config, or the one the user brings."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from ..model import Network

NAT_GATEWAYS_PER_MODE = {"single": lambda azs: 1, "one_per_az": len, "none": lambda azs: 0}
# Endpoint services reached through route tables (free); every other one is an interface
# endpoint with an ENI per AZ, billed by the hour.
GATEWAY_ENDPOINTS = frozenset({"s3"})


@dataclass(frozen=True, kw_only=True)
class SubnetPlan:
    availability_zone: str
    private_cidr: str
    public_cidr: str


@dataclass(frozen=True, kw_only=True)
class NetworkPlan:
    name: str
    region: str
    partition: str
    vpc_cidr: str
    subnets: tuple[SubnetPlan, ...]
    nat_gateways: Literal["single", "one_per_az", "none"]
    vpc_endpoints: tuple[str, ...]
    flow_logs_retention_days: int

    @property
    def availability_zones(self) -> tuple[str, ...]:
        return tuple(s.availability_zone for s in self.subnets)

    @property
    def interface_endpoints(self) -> tuple[str, ...]:
        return tuple(e for e in self.vpc_endpoints if e not in GATEWAY_ENDPOINTS)

    @property
    def nat_gateway_count(self) -> int:
        return NAT_GATEWAYS_PER_MODE[self.nat_gateways](self.availability_zones)


@dataclass(frozen=True, kw_only=True)
class ExistingVpcPlan:
    """A VPC the user brings. Which of its subnets sits in which AZ only AWS knows,
    so AZ-pinned groups look their subnet up at plan time."""

    vpc_id: str
    private_subnet_ids: tuple[str, ...]


def network_plan(name: str, region: str, partition: str, network: Network) -> NetworkPlan:
    """Private subnets take the first eighths of the VPC (one /19 each in a /16);
    public subnets share the last eighth, since they hold only NAT gateways and
    load balancers."""
    vpc = ipaddress.IPv4Network(network.vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    public_slices = list(eighths[-1].subnets(prefixlen_diff=3))
    subnets = tuple(
        SubnetPlan(availability_zone=az, private_cidr=str(eighths[i]), public_cidr=str(public_slices[i]))
        for i, az in enumerate(network.availability_zones)
    )
    return NetworkPlan(
        name=name,
        region=region,
        partition=partition,
        vpc_cidr=network.vpc_cidr,
        subnets=subnets,
        nat_gateways=network.nat_gateways,
        vpc_endpoints=tuple(network.vpc_endpoints),
        flow_logs_retention_days=network.flow_logs_retention_days,
    )
