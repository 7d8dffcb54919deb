"""Which of the user's own private subnets lie in one availability zone."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from . import bindings as aws


@dataclass(frozen=True, kw_only=True)
class ExistingSubnetsProps:
    private_subnet_ids: tuple[str, ...]
    availability_zone: str


class ExistingSubnets(Construct):
    """An ``aws_subnets`` lookup read at plan time: only AWS knows where the subnets of a
    VPC the user brings are. One construct per zone; the lookup is its default child, so its
    address is the construct's id, where earlier versions of this project made it."""

    def __init__(self, scope: Construct, id_: str, *, props: ExistingSubnetsProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        self.lookup = aws.DataAwsSubnets(
            self,
            "Default",
            filter=[
                aws.DataAwsSubnetsFilter(name="subnet-id", values=list(props.private_subnet_ids)),
                aws.DataAwsSubnetsFilter(name="availability-zone", values=[props.availability_zone]),
            ],
            depends_on=list(depends_on) or None,
        )

    @property
    def ids(self) -> list[str]:
        return self.lookup.ids
