"""What the network stack hands the cluster stack: where the cluster finds its VPC (the platform's
inputs from the cluster stack are ``cluster_config.inputs.PlatformInputs``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class NetworkRefs:
    """Values the cluster stack needs from the network. When they come from the
    network stack, cdktf turns each into a cross-stack reference."""

    vpc_id: str
    private_subnet_ids: list[str] = field(hash=False)
    subnet_ids_by_zone: dict[str, list[str]] = field(hash=False)

    def subnet_ids_in(self, availability_zone: str | None) -> list[str]:
        """The subnets of one zone, or every private subnet when the group is not pinned to one."""
        return self.subnet_ids_by_zone[availability_zone] if availability_zone else self.private_subnet_ids
