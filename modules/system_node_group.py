"""A small CPU node group for operators, controllers and add-ons."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cluster_config import names
from cluster_config.context import ClusterContext
from cluster_config.plan.nodes import SystemNodesPlan

from . import bindings as aws
from .node_launch_template import NodeLaunchTemplate, NodeLaunchTemplateProps


@dataclass(frozen=True, kw_only=True)
class SystemNodeGroupProps:
    context: ClusterContext
    node_role_arn: str
    subnet_ids: list[str]
    plan: SystemNodesPlan


class SystemNodeGroup(Construct):
    """Spread over every private subnet; labelled (``names.SYSTEM_NODE_LABELS``) so the
    platform components can be pinned here and keep GPU nodes free to scale to zero."""

    def __init__(self, scope: Construct, id_: str, *, props: SystemNodeGroupProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        plan = props.plan
        cluster_name = props.context.cluster_name
        name = names.system_node_group_name(cluster_name)
        template = NodeLaunchTemplate(
            self, "template", props=NodeLaunchTemplateProps(name=name, root_volume_gib=plan.root_volume_gib)
        )
        self.node_group = aws.EksNodeGroup(
            self,
            "this",
            cluster_name=cluster_name,
            node_group_name_prefix=f"{name}-",
            node_role_arn=props.node_role_arn,
            subnet_ids=props.subnet_ids,
            # The control plane's version, at the newest AMI EKS has for it (why: modules/gpu_node_group.py).
            version=props.context.kubernetes_version,
            instance_types=list(plan.instance_types),
            ami_type=plan.ami_type,
            capacity_type=plan.capacity_type,
            scaling_config=aws.EksNodeGroupScalingConfig(
                min_size=plan.scaling.min_size,
                max_size=plan.scaling.max_size,
                desired_size=plan.scaling.desired_size,
            ),
            update_config=aws.EksNodeGroupUpdateConfig(max_unavailable=1),
            # EKS replaces a node whose monitoring agent reports a fault it cannot recover.
            node_repair_config=aws.EksNodeGroupNodeRepairConfig(enabled=True) if plan.node_repair else None,
            launch_template=aws.EksNodeGroupLaunchTemplate(id=template.id, version=template.latest_version),
            labels=dict(plan.labels),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True, ignore_changes=["scaling_config[0].desired_size"]),
            depends_on=list(depends_on),
        )
