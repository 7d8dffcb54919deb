"""NodeLaunchTemplate: the launch template every node group boots from."""

import pytest

from modules.node_launch_template import NodeLaunchTemplate, NodeLaunchTemplateProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone

SECURITY_GROUPS = ("sg-0efa0000000000000", "sg-0c1u5te75ec9r0up")


@pytest.fixture(scope="module")
def p5():
    """The p5.48xlarge layout from the plan: ENA primary, then 32 EFA-only interfaces."""
    (group,) = plan_for("p5-efa.yaml").gpu_groups
    spec = synth_alone(
        lambda scope: NodeLaunchTemplate(
            scope,
            "template",
            props=NodeLaunchTemplateProps(
                name=group.node_group_name,
                root_volume_gib=group.root_volume_gib,
                network_interfaces=group.network_interfaces,
                interface_security_group_ids=SECURITY_GROUPS,
            ),
        )
    )
    return group, spec


@pytest.fixture(scope="module")
def system():
    """The system nodes' template: no interfaces, so EKS attaches the cluster security group."""
    system_nodes = plan_for("default.yaml").system_nodes
    return synth_alone(
        lambda scope: NodeLaunchTemplate(
            scope,
            "template",
            props=NodeLaunchTemplateProps(
                name="demo-system",
                root_volume_gib=system_nodes.root_volume_gib,
            ),
        )
    )


@pytest.fixture(scope="module", params=["p5", "system"])
def template(request, p5, system):
    spec = p5[1] if request.param == "p5" else system
    return spec.resource("aws_launch_template")


def test_imds_is_on_v2_only_and_out_of_reach_of_pods(template):
    # The endpoint must stay on: nodeadm reads the instance's identity from IMDS to join
    # the cluster. Hop limit 1 keeps pods (one hop further) away from the node's credentials.
    assert template["metadata_options"] == {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
        "instance_metadata_tags": "disabled",
    }


def test_the_root_volume_is_encrypted_gp3_and_goes_with_the_node(template):
    (mapping,) = template["block_device_mappings"]
    assert mapping["device_name"] == "/dev/xvda"
    settings = {key: value for key, value in mapping["ebs"].items() if key != "volume_size"}  # sizes differ per group
    assert settings == {"volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"}


def test_no_ssh_key_and_no_ami_so_eks_picks_the_accelerated_ami(template):
    assert "key_name" not in template and "image_id" not in template and "user_data" not in template


def test_new_versions_become_the_default(template):
    assert template["update_default_version"] is True


def test_instances_volumes_and_interfaces_are_named_after_the_group(p5):
    group, spec = p5
    assert spec.resource("aws_launch_template")["tag_specifications"] == [
        {"resource_type": kind, "tags": {"Name": group.node_group_name}} for kind in ("instance", "volume", "network-interface")
    ]


def test_volume_size_is_the_groups(p5, system):
    assert p5[1].resource("aws_launch_template")["block_device_mappings"][0]["ebs"]["volume_size"] == 500
    assert system.resource("aws_launch_template")["block_device_mappings"][0]["ebs"]["volume_size"] == 50


def test_p5_gets_32_efa_interfaces_each_on_its_own_card_and_device(p5):
    """EC2 rejects two interfaces on one card/device slot; every card but 0 has its EFA at device 0,
    card 0 has the ENA primary at device 0 and its EFA at device 1."""
    group, spec = p5
    written = [
        (i["network_card_index"], i["device_index"], i["interface_type"])
        for i in spec.resource("aws_launch_template")["network_interfaces"]
    ]
    assert written == [(0, 0, "interface"), (0, 1, "efa-only")] + [(card, 0, "efa-only") for card in range(1, 32)]
    assert written == [(n.network_card_index, n.device_index, n.interface_type) for n in group.network_interfaces]


def test_every_interface_has_the_security_groups_and_no_subnet(p5):
    # EKS puts the subnet in; a subnet in the template makes it reject the node group.
    _, spec = p5
    for interface in spec.resource("aws_launch_template")["network_interfaces"]:
        assert interface["security_groups"] == list(SECURITY_GROUPS)
        assert interface["delete_on_termination"] == "true"
        assert "subnet_id" not in interface


def test_without_interfaces_security_groups_are_left_to_eks(system):
    template = system.resource("aws_launch_template")
    assert "network_interfaces" not in template and "vpc_security_group_ids" not in template
    assert (
        "placement" not in template
        and "capacity_reservation_specification" not in template
        and "instance_market_options" not in template
    )
