"""Which of the user's own private subnets lie in which availability zone."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws


@dataclass(frozen=True, kw_only=True)
class ExistingSubnetsProps:
    private_subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]  # the zones to look up, each once


class ExistingSubnets:
    """One ``aws_subnets`` lookup per zone, read at plan time: only AWS knows where
    the subnets of a VPC the user brings are.

    Like ``EncryptedLogGroup`` it adds its data sources to ``scope`` itself, as
    ``<id>_<zone>``, where earlier versions of this project made them, so their
    addresses stay the same.
    """

    def __init__(self, scope: Construct, id_: str, *, props: ExistingSubnetsProps, depends_on=()) -> None:
        self.ids_by_zone: dict[str, list[str]] = {
            zone: aws.DataAwsSubnets(
                scope, f"{id_}_{zone}",
                filter=[
                    aws.DataAwsSubnetsFilter(name="subnet-id", values=list(props.private_subnet_ids)),
                    aws.DataAwsSubnetsFilter(name="availability-zone", values=[zone]),
                ],
                depends_on=list(depends_on) or None,
            ).ids
            for zone in props.availability_zones
        }
