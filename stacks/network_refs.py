"""Where the cluster finds its VPC: the network stack, or a VPC the user brings."""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from cluster_config.model import ExistingVpc
from modules import bindings as aws
from modules.network import Network


@dataclass(frozen=True)
class CreatedNetwork:
    """Values come from the network stack; cdktf turns each into a cross-stack reference."""

    network: Network

    @property
    def vpc_id(self) -> str:
        return self.network.vpc.id

    @property
    def private_subnet_ids(self) -> list[str]:
        return self.network.private_subnet_ids

    def subnet_ids_in(self, scope: Construct, availability_zone: str) -> list[str]:
        return [self.network.private_subnets[availability_zone].id]


@dataclass(frozen=True)
class ExistingNetwork:
    """The user's VPC. Which of their subnets sits in which AZ is only known to AWS,
    so single-AZ groups look it up at plan time."""

    vpc: ExistingVpc
    _lookups: dict[str, list[str]] = field(default_factory=dict, compare=False)

    @property
    def vpc_id(self) -> str:
        return self.vpc.vpc_id

    @property
    def private_subnet_ids(self) -> list[str]:
        return list(self.vpc.private_subnet_ids)

    def subnet_ids_in(self, scope: Construct, availability_zone: str) -> list[str]:
        """One lookup per AZ, shared by every group in that AZ."""
        if availability_zone not in self._lookups:
            self._lookups[availability_zone] = aws.DataAwsSubnets(
                scope, f"private_subnets_{availability_zone}",
                filter=[
                    aws.DataAwsSubnetsFilter(name="subnet-id", values=self.private_subnet_ids),
                    aws.DataAwsSubnetsFilter(name="availability-zone", values=[availability_zone]),
                ],
            ).ids
        return self._lookups[availability_zone]


NetworkRefs = CreatedNetwork | ExistingNetwork
