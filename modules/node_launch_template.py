"""A launch template with the settings every node group shares."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cdktf import Token
from constructs import Construct

from cluster_config.plan.nodes import NetworkInterface

from . import bindings as aws


@dataclass(frozen=True, kw_only=True)
class NodeLaunchTemplateProps:
    name: str
    root_volume_gib: int
    # AL2023 keeps images on the root volume (/dev/xvda); Bottlerocket keeps them
    # on its data volume (/dev/xvdb), so that is the one that must be large.
    data_device_name: str = "/dev/xvda"
    # Security groups go on each interface of an EFA layout (EC2 rejects
    # SecurityGroupIds next to NetworkInterfaces). Without a layout none are set
    # and EKS attaches the cluster security group itself.
    network_interfaces: tuple[NetworkInterface, ...] = ()
    interface_security_group_ids: tuple[str, ...] = ()
    placement_group_name: str | None = None
    capacity_reservation_id: str | None = None
    capacity_block: bool = False
    # Set only where EKS wants the type in the template rather than on the group
    # (Capacity Blocks); otherwise the node group names its instance types.
    instance_type: str | None = None
    user_data: str | None = None  # plain text; EKS merges its own bootstrap settings into it


class NodeLaunchTemplate(Construct):
    """Secure node defaults: IMDSv2 only with a hop limit of 1 (pods cannot reach
    the node's instance credentials; they get their own through Pod Identity), an
    encrypted gp3 root volume, and no SSH key. No AMI is set, so EKS picks the
    accelerated AMI matching the node group's ``ami_type`` and Kubernetes version.
    """

    def __init__(self, scope: Construct, id_: str, *, props: NodeLaunchTemplateProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        reservation = None
        if props.capacity_reservation_id:
            reservation = aws.LaunchTemplateCapacityReservationSpecification(
                capacity_reservation_target=aws.LaunchTemplateCapacityReservationSpecificationCapacityReservationTarget(
                    capacity_reservation_id=props.capacity_reservation_id,
                ),
            )
        interfaces = [
            aws.LaunchTemplateNetworkInterfaces(
                network_card_index=n.network_card_index,
                device_index=n.device_index,
                interface_type=n.interface_type,
                security_groups=list(props.interface_security_group_ids),
                delete_on_termination="true",
            )
            for n in props.network_interfaces
        ]
        self.template = aws.LaunchTemplate(
            self,
            "this",
            name_prefix=f"{props.name}-",
            update_default_version=True,
            instance_type=props.instance_type,
            user_data=base64.b64encode(props.user_data.encode()).decode() if props.user_data else None,
            metadata_options=aws.LaunchTemplateMetadataOptions(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.LaunchTemplateBlockDeviceMappings(
                    device_name=props.data_device_name,
                    ebs=aws.LaunchTemplateBlockDeviceMappingsEbs(
                        volume_size=props.root_volume_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=interfaces or None,
            placement=aws.LaunchTemplatePlacement(group_name=props.placement_group_name) if props.placement_group_name else None,
            capacity_reservation_specification=reservation,
            instance_market_options=(
                aws.LaunchTemplateInstanceMarketOptions(market_type="capacity-block") if props.capacity_block else None
            ),
            tag_specifications=[
                aws.LaunchTemplateTagSpecifications(resource_type=kind, tags={"Name": props.name})
                for kind in ("instance", "volume", "network-interface")
            ],
            depends_on=list(depends_on) or None,
        )

    @property
    def id(self) -> str:
        return self.template.id

    @property
    def latest_version(self) -> str:
        return Token.as_string(self.template.latest_version)
