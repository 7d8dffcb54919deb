"""One managed node group of GPU or Trainium instances, with EFA done right."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from constructs import Construct

from cluster_config import names
from cluster_config.context import ClusterContext
from cluster_config.plan.nodes import GpuNodeGroupPlan

from . import bindings as aws
from .node_launch_template import NodeLaunchTemplate, NodeLaunchTemplateProps


@dataclass(frozen=True, kw_only=True)
class GpuNodeGroupProps:
    context: ClusterContext
    vpc_id: str
    node_role_arn: str
    cluster_security_group_id: str
    subnet_ids: list[str]
    plan: GpuNodeGroupPlan


class GpuNodeGroup(Construct):
    """A GPU node group that can sit at zero nodes.

    With EFA on, the group lives in one subnet and (unless it runs on reserved
    capacity) a cluster placement group, and its launch template lists the full
    interface layout from the catalog. Each
    interface carries an EFA security group (all traffic to and from itself, which
    EFA's OS bypass needs) and the cluster security group, because EKS stops adding
    the latter once a template lists interfaces.

    Cluster-autoscaler cannot see a node that does not exist, so the labels, taints
    and extended resources a node *would* have are written as node-template tags
    on the group's Auto Scaling group; EKS does not copy node-group tags there.
    """

    def __init__(self, scope: Construct, id_: str, *, props: GpuNodeGroupProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        plan = props.plan
        # Built from the cluster resource's name, not the plan's literal, so the group depends on the cluster.
        cluster_name = props.context.cluster_name
        name = names.node_group_name(cluster_name, plan.name)

        interface_security_group_ids: tuple[str, ...] = ()
        placement_group_name = None
        if plan.efa:
            efa_sg = aws.SecurityGroup(
                self,
                "efa_sg",
                name=f"{name}-efa",
                vpc_id=props.vpc_id,
                description=f"EFA traffic between {name} nodes",
                tags={"Name": f"{name}-efa"},
            )
            aws.VpcSecurityGroupIngressRule(
                self,
                "efa_in",
                security_group_id=efa_sg.id,
                referenced_security_group_id=efa_sg.id,
                ip_protocol="-1",
                description="All traffic from nodes in this EFA group (EFA OS bypass)",
            )
            aws.VpcSecurityGroupEgressRule(
                self,
                "efa_out",
                security_group_id=efa_sg.id,
                referenced_security_group_id=efa_sg.id,
                ip_protocol="-1",
                description="All traffic to nodes in this EFA group (EFA OS bypass)",
            )
            interface_security_group_ids = (efa_sg.id, props.cluster_security_group_id)
        if plan.cluster_placement_group:
            placement_group_name = aws.PlacementGroup(
                self,
                "placement",
                name=name,
                strategy="cluster",
                tags={"Name": name},
            ).name

        # For Capacity Blocks EKS takes the instance type from the launch template and
        # rejects a group that also lists instance types (EKS user guide, "Create a
        # managed node group with Capacity Blocks for ML"; terraform-aws-modules/eks,
        # modules/eks-managed-node-group: instance_types = null for CAPACITY_BLOCK).
        capacity_block = plan.capacity_type == "CAPACITY_BLOCK"
        template = NodeLaunchTemplate(
            self,
            "template",
            props=NodeLaunchTemplateProps(
                name=name,
                root_volume_gib=plan.root_volume_gib,
                data_device_name="/dev/xvdb" if plan.bottlerocket else "/dev/xvda",
                network_interfaces=plan.network_interfaces,
                interface_security_group_ids=interface_security_group_ids,
                placement_group_name=placement_group_name,
                capacity_reservation_id=plan.capacity_reservation_id,
                capacity_block=capacity_block,
                instance_type=plan.instance.name if capacity_block else None,
                user_data=plan.user_data,
            ),
        )

        self.node_group = aws.EksNodeGroup(
            self,
            "this",
            cluster_name=cluster_name,
            node_group_name=name,
            node_role_arn=props.node_role_arn,
            subnet_ids=props.subnet_ids,
            # The control plane's version: a minor bump updates the group in place after the
            # cluster (UpdateNodegroupVersion). release_version stays unset: EKS then takes "the
            # latest AMI version of your cluster's current Kubernetes version" (EKS API,
            # UpdateNodegroupVersion, and CreateNodegroup's releaseVersion default); provider
            # hashicorp/aws 5.100.0 (internal/service/eks/node_group.go) sends only the changed
            # version. terraform-aws-modules/eks v21.19.0 (modules/eks-managed-node-group,
            # use_latest_ami_release_version) instead pins release_version to the SSM
            # /aws/service/eks/optimized-ami/<version>/.../recommended/release_version, which rolls
            # every node, and restarts every training job, whenever AWS publishes an AMI; here an
            # AMI moves only with the minor. Setting version is allowed because the launch template
            # names no image: EKS rejects a version with a custom-AMI template (same API page).
            version=props.context.kubernetes_version,
            instance_types=None if capacity_block else list(plan.instance_types),
            ami_type=plan.ami_type,
            capacity_type=plan.capacity_type,
            scaling_config=aws.EksNodeGroupScalingConfig(
                min_size=plan.scaling.min_size,
                max_size=plan.scaling.max_size,
                desired_size=plan.scaling.desired_size,
            ),
            update_config=aws.EksNodeGroupUpdateConfig(
                max_unavailable=plan.update.max_unavailable,
                max_unavailable_percentage=plan.update.max_unavailable_percentage,
            ),
            # EKS replaces a node whose monitoring agent reports a fault it cannot recover.
            node_repair_config=aws.EksNodeGroupNodeRepairConfig(enabled=True) if plan.node_repair else None,
            launch_template=aws.EksNodeGroupLaunchTemplate(id=template.id, version=template.latest_version),
            labels=dict(plan.labels),
            taint=[aws.EksNodeGroupTaint(key=t.key, value=t.value or None, effect=t.eks_effect) for t in plan.node_taints],
            # cluster-autoscaler owns the desired size once the group exists.
            lifecycle=TerraformResourceLifecycle(ignore_changes=["scaling_config[0].desired_size"]),
            depends_on=list(depends_on),
        )

        asg_name = self.node_group.resources.get(0).autoscaling_groups.get(0).name
        for i, (key, value) in enumerate(sorted(plan.autoscaler_node_template_tags.items())):
            aws.AutoscalingGroupTag(
                self,
                f"node_template_{i}",
                autoscaling_group_name=asg_name,
                tag=aws.AutoscalingGroupTagTag(key=key, value=value, propagate_at_launch=False),
            )
