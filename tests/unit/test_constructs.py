"""Constructs synthesized on their own with cdktf's Testing helpers."""

import json

import modules  # noqa: F401  (jsii environment before cdktf)
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting

from cluster_config.model import GpuNodeGroup as GroupConfig
from cluster_config.plan.nodes import gpu_node_group_plan
from modules.gpu_node_group import GpuNodeGroup, GpuNodeGroupProps
from modules.node_launch_template import NodeLaunchTemplate, NodeLaunchTemplateProps


def synth_one(build) -> str:
    stack = TerraformStack(CdktfTesting.app(), "test")
    build(stack)
    return CdktfTesting.synth(stack)


def test_launch_template_without_interfaces_leaves_security_groups_to_eks():
    out = synth_one(lambda scope: NodeLaunchTemplate(scope, "lt", props=NodeLaunchTemplateProps(name="x", root_volume_gib=100)))
    assert CdktfTesting.to_have_resource_with_properties(out, "aws_launch_template", {
        "metadata_options": {"http_tokens": "required", "http_put_response_hop_limit": 1},
        "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": {"volume_size": 100, "volume_type": "gp3", "encrypted": "true"}}],
    })
    (template,) = json.loads(out)["resource"]["aws_launch_template"].values()
    assert "network_interfaces" not in template and "vpc_security_group_ids" not in template


def test_gpu_node_group_without_efa_has_no_placement_group_or_interfaces():
    plan = gpu_node_group_plan(GroupConfig.model_validate({"name": "g", "instance_type": "g6.xlarge", "capacity_type": "spot"}), "c")
    out = json.loads(synth_one(lambda scope: GpuNodeGroup(scope, "g", props=GpuNodeGroupProps(
        cluster_name="c", vpc_id="vpc-1", node_role_arn="arn:role", cluster_security_group_id="sg-c",
        subnet_ids=["subnet-a", "subnet-b"], plan=plan,
    ))))
    resources = out["resource"]
    assert "aws_placement_group" not in resources and "aws_security_group" not in resources
    (template,) = resources["aws_launch_template"].values()
    assert "network_interfaces" not in template and "vpc_security_group_ids" not in template
    (group,) = resources["aws_eks_node_group"].values()
    assert group["capacity_type"] == "SPOT" and group["subnet_ids"] == ["subnet-a", "subnet-b"]
