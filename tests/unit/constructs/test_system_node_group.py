"""SystemNodeGroup: the CPU nodes the platform's controllers run on."""

import pytest

from modules import bindings
from modules.system_node_group import SystemNodeGroup, SystemNodeGroupProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import NODE_ROLE_ARN, context_for, synth_alone

SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb", "subnet-0cccccccccccccccc"]


@pytest.fixture(scope="module")
def spec():
    plan = plan_for("default.yaml")

    def build(scope):
        prerequisite = bindings.EksAddon(scope, "vpc_cni", cluster_name=plan.name, addon_name="vpc-cni")
        return SystemNodeGroup(
            scope,
            "system_nodes",
            props=SystemNodeGroupProps(
                context=context_for(plan),
                node_role_arn=NODE_ROLE_ARN,
                subnet_ids=SUBNETS,
                plan=plan.system_nodes,
            ),
            depends_on=[prerequisite],
        )

    return synth_alone(build)


def test_small_cpu_nodes_spread_over_every_private_subnet(spec):
    spec.expect_resource(
        "aws_eks_node_group",
        {
            "cluster_name": "demo",
            "node_group_name_prefix": "demo-system-",
            "node_role_arn": NODE_ROLE_ARN,
            "subnet_ids": SUBNETS,
            "instance_types": ["m6i.large"],
            "ami_type": "AL2023_x86_64_STANDARD",
            "capacity_type": "ON_DEMAND",
            "scaling_config": {"min_size": 2, "max_size": 4, "desired_size": 2},
            "update_config": {"max_unavailable": 1},
            "depends_on": [spec.only_address("aws_eks_addon")],
            "version": "1.35",
        },
    )
    assert "release_version" not in spec.resource("aws_eks_node_group")


def test_nodes_carry_the_system_role_label(spec):
    # What the platform's nodeSelectors match; the platform tests compare the two sides.
    assert spec.resource("aws_eks_node_group")["labels"] == {"gpu-eks/role": "system"}


def test_no_taint_so_add_ons_without_tolerations_still_schedule(spec):
    # coredns and the other managed add-ons tolerate nothing of ours.
    assert "taint" not in spec.resource("aws_eks_node_group")


def test_replacements_come_up_before_the_old_group_goes_and_the_size_is_left_alone(spec):
    """create_before_destroy keeps the operators scheduled while the group is replaced (hence the
    name prefix); ignore_changes keeps an apply from undoing the autoscaler's or an operator's resize."""
    assert spec.resource("aws_eks_node_group")["lifecycle"] == {
        "create_before_destroy": True,
        "ignore_changes": ["scaling_config[0].desired_size"],
    }


def test_nodes_boot_from_a_secure_template_with_a_50_gib_root(spec):
    template = spec.only_address("aws_launch_template")
    assert spec.resource("aws_eks_node_group")["launch_template"] == {
        "id": f"${{{template}.id}}",
        "version": f"${{{template}.latest_version}}",
    }
    spec.expect_resource(
        "aws_launch_template",
        {
            "metadata_options": {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1},
            "block_device_mappings": [
                {"device_name": "/dev/xvda", "ebs": {"volume_size": 50, "volume_type": "gp3", "encrypted": "true"}}
            ],
        },
    )
    assert "network_interfaces" not in spec.resource("aws_launch_template")
