"""GpuNodeGroup: one managed node group per GPU (or Trainium) group, with EFA, scale-from-zero tags."""

import pytest

from modules import bindings
from modules.gpu_node_group import GpuNodeGroup, GpuNodeGroupProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import CLUSTER_SECURITY_GROUP_ID, NODE_ROLE_ARN, VPC_ID, context_for, synth_alone

SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa"]


def group_of(config_file, name):
    plan = plan_for(config_file)
    (group,) = [g for g in plan.gpu_groups if g.name == name]

    def build(scope):
        # Node groups wait for the node role's policies and the CNI; the cluster stack passes them.
        prerequisite = bindings.EksAddon(scope, "vpc_cni", cluster_name=plan.name, addon_name="vpc-cni")
        return GpuNodeGroup(
            scope,
            f"gpu_{group.name}",
            props=GpuNodeGroupProps(
                context=context_for(plan),
                vpc_id=VPC_ID,
                node_role_arn=NODE_ROLE_ARN,
                cluster_security_group_id=CLUSTER_SECURITY_GROUP_ID,
                subnet_ids=SUBNETS,
                plan=group,
            ),
            depends_on=[prerequisite],
        )

    return group, synth_alone(build)


@pytest.fixture(scope="module")
def p5():
    return group_of("p5-efa.yaml", "h100")  # 32 EFA, on demand: a cluster placement group


@pytest.fixture(scope="module")
def capacity_block():
    return group_of("capacity-block.yaml", "h200-block")


@pytest.fixture(scope="module")
def odcr():
    return group_of("capacity-block.yaml", "a100-odcr")  # targeted On-Demand Capacity Reservation


@pytest.fixture(scope="module")
def spot():
    return group_of("existing-vpc.yaml", "l4-spot")  # g6.xlarge: no EFA


@pytest.fixture(scope="module")
def bottlerocket():
    return group_of("bottlerocket.yaml", "l40s")


def test_the_node_group_is_what_the_plan_says(p5):
    group, spec = p5
    spec.expect_resource(
        "aws_eks_node_group",
        {
            "cluster_name": "p5train",
            "node_group_name": "p5train-h100",
            "node_role_arn": NODE_ROLE_ARN,
            "subnet_ids": SUBNETS,
            "instance_types": ["p5.48xlarge"],
            "ami_type": "AL2023_x86_64_NVIDIA",
            "capacity_type": "ON_DEMAND",
            "scaling_config": {"min_size": 0, "max_size": 2, "desired_size": 0},
            "labels": {"nvidia.com/gpu.present": "true", "vpc.amazonaws.com/efa.present": "true", "workload": "training"},
            # The group's own taint, then the health gate's startup taint (health_check is on by default).
            "taint": [
                {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"},
                {"key": "gpu-eks/health", "value": "pending", "effect": "NO_SCHEDULE"},
            ],
            "update_config": {"max_unavailable": 1},
            "depends_on": [spec.only_address("aws_eks_addon")],
        },
    )
    assert spec.resource("aws_eks_node_group")["labels"] == group.labels


def test_terraform_leaves_the_desired_size_to_the_autoscaler(p5):
    # Without this every apply would reset a scaled-up group to its configured desired size.
    _, spec = p5
    assert spec.resource("aws_eks_node_group")["lifecycle"] == {"ignore_changes": ["scaling_config[0].desired_size"]}


def test_nodes_boot_from_this_groups_own_launch_template(p5):
    _, spec = p5
    template = spec.only_address("aws_launch_template")
    assert spec.resource("aws_eks_node_group")["launch_template"] == {
        "id": f"${{{template}.id}}",
        "version": f"${{{template}.latest_version}}",
    }
    assert spec.resource("aws_launch_template")["name_prefix"] == "p5train-h100-"


def test_efa_traffic_flows_only_between_the_groups_own_nodes(p5):
    _, spec = p5
    sg = spec.only_address("aws_security_group")
    spec.expect_resource("aws_security_group", {"name": "p5train-h100-efa", "vpc_id": VPC_ID})
    for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        rule = spec.resource(kind)
        # EFA's OS bypass needs every protocol, from and to the group itself and nothing else.
        assert (rule["ip_protocol"], rule["security_group_id"], rule["referenced_security_group_id"]) == (
            "-1",
            f"${{{sg}.id}}",
            f"${{{sg}.id}}",
        )
        assert "cidr_ipv4" not in rule and rule["description"]


def test_every_interface_carries_the_efa_group_and_the_cluster_group(p5):
    """EKS stops adding the cluster security group once a template lists interfaces."""
    _, spec = p5
    sg = spec.only_address("aws_security_group")
    interfaces = spec.resource("aws_launch_template")["network_interfaces"]
    assert len(interfaces) == 33  # ENA primary + 32 EFA
    assert all(i["security_groups"] == [f"${{{sg}.id}}", CLUSTER_SECURITY_GROUP_ID] for i in interfaces)
    assert "vpc_security_group_ids" not in spec.resource("aws_launch_template")


def test_an_on_demand_efa_group_gets_a_cluster_placement_group(p5):
    _, spec = p5
    spec.expect_resource("aws_placement_group", {"name": "p5train-h100", "strategy": "cluster"})
    assert spec.resource("aws_launch_template")["placement"] == {
        "group_name": f"${{{spec.only_address('aws_placement_group')}.name}}"
    }


def test_scale_from_zero_tags_say_what_a_node_would_have(p5):
    """cluster-autoscaler reads labels, taints and GPU/EFA counts of a group at zero from its ASG's tags."""
    _, spec = p5
    node_group = spec.only_address("aws_eks_node_group")
    tags = list(spec.resources("aws_autoscaling_group_tag").values())
    prefix = "k8s.io/cluster-autoscaler/node-template"
    # p5.48xlarge: 8 GPUs, 32 EFA interfaces, 8 x 3800 GB NVMe of which kubelet leaves pods 90%
    # (EC2 accelerated computing specifications; Kubernetes "Node-pressure Eviction").
    assert {t["tag"]["key"]: t["tag"]["value"] for t in tags} == {
        f"{prefix}/label/workload": "training",  # the user's own label too
        f"{prefix}/label/k8s.amazonaws.com/accelerator": "nvidia-h100",
        f"{prefix}/label/nvidia.com/gpu.present": "true",
        f"{prefix}/label/vpc.amazonaws.com/efa.present": "true",
        f"{prefix}/taint/nvidia.com/gpu": "true:NoSchedule",
        f"{prefix}/taint/gpu-eks/health": "pending:NoSchedule",  # dropped by the autoscaler's --startup-taint
        f"{prefix}/resources/nvidia.com/gpu": "8",
        f"{prefix}/resources/vpc.amazonaws.com/efa": "32",
        f"{prefix}/resources/ephemeral-storage": "27360G",
    }
    assert len(tags) == 9
    for tag in tags:
        assert tag["autoscaling_group_name"] == f"${{{node_group}.resources[0].autoscaling_groups[0].name}}"
        assert tag["tag"]["propagate_at_launch"] is False  # for the autoscaler, not the instances


def test_a_capacity_block_is_launched_into_its_block_without_a_new_placement_group(capacity_block):
    _, spec = capacity_block
    spec.expect_resource("aws_eks_node_group", {"capacity_type": "CAPACITY_BLOCK", "node_group_name": "cbtrain-h200-block"})
    template = spec.resource("aws_launch_template")
    assert template["instance_market_options"] == {"market_type": "capacity-block"}
    assert template["capacity_reservation_specification"] == {
        "capacity_reservation_target": {"capacity_reservation_id": "cr-0123456789abcdef0"}
    }
    # EC2 already co-locates a block; a placement group made after it cannot hold it.
    assert "aws_placement_group" not in spec.kinds() and "placement" not in template
    assert sum(1 for i in template["network_interfaces"] if i["interface_type"] == "efa-only") == 16


def test_a_targeted_reservation_is_on_demand_and_keeps_out_of_placement_groups(odcr):
    _, spec = odcr
    spec.expect_resource("aws_eks_node_group", {"capacity_type": "ON_DEMAND"})
    template = spec.resource("aws_launch_template")
    assert template["capacity_reservation_specification"] == {
        "capacity_reservation_target": {"capacity_reservation_id": "cr-0fedcba9876543210"}
    }
    assert "instance_market_options" not in template
    assert "aws_placement_group" not in spec.kinds() and "placement" not in template


def test_a_group_without_efa_has_no_efa_group_placement_or_interfaces(spot):
    group, spec = spot
    assert not group.efa
    assert "aws_placement_group" not in spec.kinds() and "aws_security_group" not in spec.kinds()
    template = spec.resource("aws_launch_template")
    # Without interfaces in the template EKS attaches the cluster security group itself.
    assert "network_interfaces" not in template and "vpc_security_group_ids" not in template
    spec.expect_resource("aws_eks_node_group", {"capacity_type": "SPOT", "subnet_ids": SUBNETS, "instance_types": ["g6.xlarge"]})
    assert "vpc.amazonaws.com/efa.present" not in spec.resource("aws_eks_node_group")["labels"]


def test_bottlerocket_sizes_the_data_volume_that_holds_images(bottlerocket):
    _, spec = bottlerocket
    spec.expect_resource("aws_eks_node_group", {"ami_type": "BOTTLEROCKET_x86_64_NVIDIA"})
    (mapping,) = spec.resource("aws_launch_template")["block_device_mappings"]
    assert mapping["device_name"] == "/dev/xvdb" and mapping["ebs"]["volume_size"] == 300


def test_each_group_runs_the_control_planes_version_at_the_newest_ami_eks_has_for_it(p5, capacity_block):
    """The version is the cluster's; release_version is left to EKS, which takes the newest AMI
    of that version. Neither template names an image, so EKS accepts the version."""
    for _, spec in (p5, capacity_block):
        group = spec.resource("aws_eks_node_group")
        assert (group["version"], "release_version" in group) == ("1.35", False)
        assert "image_id" not in spec.resource("aws_launch_template")


def test_the_update_policy_is_the_groups_own(config_variant):
    """Default one node at a time (tests above); a percentage replaces that share of the group instead."""
    plan = plan_for(config_variant(edit={"gpu_node_groups.0.update": {"max_unavailable_percentage": 50}}))
    (group,) = plan.gpu_groups

    def build(scope):
        return GpuNodeGroup(
            scope,
            "gpu",
            props=GpuNodeGroupProps(
                context=context_for(plan),
                vpc_id=VPC_ID,
                node_role_arn=NODE_ROLE_ARN,
                cluster_security_group_id=CLUSTER_SECURITY_GROUP_ID,
                subnet_ids=SUBNETS,
                plan=group,
            ),
        )

    assert synth_alone(build).resource("aws_eks_node_group")["update_config"] == {"max_unavailable_percentage": 50}
