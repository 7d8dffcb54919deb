"""Synth assertions for the whole cluster stack: how the constructs are wired, for every example.

What each construct writes is specified in tests/unit/constructs/; these tests check what only
the assembled stack shows: cross-stack references, ordering, which props each construct gets,
and properties that must hold over every resource of a kind.
"""

import pytest

from tests.conftest import EXAMPLE_CONFIGS, plan_for

CLUSTER = "aws_eks_cluster.control_plane_cluster_D810E0D5"


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def node_group(synth_result, suffix):
    groups = synth_result.resources("cluster", "aws_eks_node_group")
    (group,) = [
        g
        for g in groups.values()
        if g.get("node_group_name", "").endswith(suffix) or g.get("node_group_name_prefix", "").endswith(suffix)
    ]
    return group


def template_of(synth_result, group):
    ref = group["launch_template"]["id"]  # "${aws_launch_template.<id>.id}"
    key = ref.split(".")[1]
    return synth_result.resources("cluster", "aws_launch_template")[key]


def addresses(synth_result, kind):
    return [f"{kind}.{key}" for key in synth_result.resources("cluster", kind)]


def test_the_control_plane_spans_every_private_subnet_of_the_network_stack(default):
    (cluster,) = default.resources("cluster", "aws_eks_cluster").values()
    assert "terraform_remote_state" in default.stack("cluster")["data"]
    assert len(cluster["vpc_config"]["subnet_ids"]) == 3
    assert all("terraform_remote_state" in s for s in cluster["vpc_config"]["subnet_ids"])
    assert cluster["vpc_config"]["public_access_cidrs"] == ["203.0.113.0/24"]  # the example's, not a default


def test_the_cluster_and_its_secrets_key_keep_their_terraform_addresses(default):
    """Renaming a construct id gives a new address, which Terraform applies as destroy and create:
    for the cluster, or the key that encrypts its secrets, that is a new cluster."""
    cluster_stack = default.stack("cluster")["resource"]
    assert list(cluster_stack["aws_eks_cluster"]) == ["control_plane_cluster_D810E0D5"]
    assert "control_plane_key_5B5DFEBB" in cluster_stack["aws_kms_key"]
    assert list(cluster_stack["aws_cloudwatch_log_group"]) == ["control_plane_logs_B20A462D"]


def test_kms_key_rotates_and_log_group_keeps_90_days_encrypted(default):
    keys = default.resources("cluster", "aws_kms_key").values()
    assert sorted(k["description"] for k in keys) == [
        "demo EKS secrets and control-plane logs",
        "demo GPU alarm notifications",
        "demo training checkpoints",
    ]
    assert all(k["enable_key_rotation"] is True for k in keys)
    (logs,) = default.resources("cluster", "aws_cloudwatch_log_group").values()
    assert logs["name"] == "/aws/eks/demo/cluster" and logs["retention_in_days"] == 90 and "kms_key_id" in logs


def test_managed_addons_and_oidc(default):
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    assert sorted(addons) == [
        "amazon-cloudwatch-observability",
        "aws-mountpoint-s3-csi-driver",
        "coredns",
        "eks-node-monitoring-agent",
        "eks-pod-identity-agent",
        "kube-proxy",
        "vpc-cni",
    ]
    for after_nodes in ("coredns", "eks-node-monitoring-agent"):
        assert any("aws_eks_node_group" in d for d in addons[after_nodes]["depends_on"])
    (oidc,) = default.resources("cluster", "aws_iam_openid_connect_provider").values()
    assert oidc["client_id_list"] == ["sts.amazonaws.com"]


def test_node_role_is_least_privilege(default):
    attachments = default.resources("cluster", "aws_iam_role_policy_attachment").values()
    node = sorted(a["policy_arn"].rsplit("/", 1)[1] for a in attachments if a["role"].startswith("${aws_iam_role.node_role"))
    assert node == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]
    others = sorted(
        a["policy_arn"].rsplit("/", 1)[1] for a in attachments if not a["role"].startswith("${aws_iam_role.node_role")
    )
    assert others == ["AmazonEKSClusterPolicy", "CloudWatchAgentServerPolicy"]


def test_nodes_join_only_after_their_role_and_the_network_add_ons_exist(default):
    prerequisites = {a for a in addresses(default, "aws_iam_role_policy_attachment") if ".node_role_" in a}
    before_nodes = {a for a in addresses(default, "aws_eks_addon") if "before_nodes" in a}
    assert len(prerequisites) == 3 and len(before_nodes) == 3
    for group in default.resources("cluster", "aws_eks_node_group").values():
        assert set(group["depends_on"]) == prerequisites | before_nodes


def test_every_node_group_follows_the_control_planes_version(synth, config_variant):
    """A reference to the cluster's version: Terraform updates the groups after the control
    plane, and a minor bump moves them in the same apply."""
    result = synth(config_variant(edit={"kubernetes_version": "1.34"}))
    (cluster,) = addresses(result, "aws_eks_cluster")
    assert next(iter(result.resources("cluster", "aws_eks_cluster").values()))["version"] == "1.34"
    groups = result.resources("cluster", "aws_eks_node_group").values()
    assert len(groups) == 2 and {g["version"] for g in groups} == {f"${{{cluster}.version}}"}


def test_coredns_waits_for_the_system_nodes(default):
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    (system,) = [a for a in addresses(default, "aws_eks_node_group") if "system_nodes" in a]
    assert addons["coredns"]["depends_on"] == [system]


def test_every_association_is_made_once_the_pod_identity_agent_exists(default):
    associations = default.resources("cluster", "aws_eks_pod_identity_association").values()
    # The autoscaler's, the health gate's checker's, and the default training namespace's prefix role.
    assert sorted(a["service_account"] for a in associations) == ["cluster-autoscaler", "node-health-check", "training"]
    (agent,) = [a for a in addresses(default, "aws_eks_addon") if "pod_identity_agent" in a]
    for association in associations:
        assert agent in association["depends_on"]
        assert association["cluster_name"] == f"${{{CLUSTER}.name}}"


def test_one_loop_makes_a_role_for_every_identity_of_the_plan_at_the_address_it_always_had(default):
    """The roles built one by one before (the autoscaler's construct, the add-on roles made by
    side effect) keep their addresses; an add-on finds its role by its own name."""
    roles = default.resources("cluster", "aws_iam_role")
    expected = {"autoscaler_identity_role_FA9010D1", "cloudwatch_agent_role_00D3F63B", "mountpoint_role_650A2429"}
    assert expected <= set(roles)
    assert {p.identity.construct_id for p in plan_for("default.yaml").pod_identities} == {
        "autoscaler_identity",
        "cloudwatch_agent_role",
        "mountpoint_role",
        "training_default_identity",
        "node_health_check_identity",
    }
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    assert addons["aws-mountpoint-s3-csi-driver"]["pod_identity_association"] == [
        {"role_arn": "${aws_iam_role.mountpoint_role_650A2429.arn}", "service_account": "s3-csi-driver-sa"}
    ]
    assert addons["amazon-cloudwatch-observability"]["pod_identity_association"] == [
        {"role_arn": "${aws_iam_role.cloudwatch_agent_role_00D3F63B.arn}", "service_account": "cloudwatch-agent"}
    ]
    (association,) = [
        a
        for a in default.resources("cluster", "aws_eks_pod_identity_association").values()
        if a["service_account"] == "cluster-autoscaler"
    ]
    assert association["role_arn"] == "${aws_iam_role.autoscaler_identity_role_FA9010D1.arn}"


EXPECTED_LAUNCH_TEMPLATES = {  # one per node group: the system group and each GPU group
    "default.yaml": 2,
    "p5-efa.yaml": 2,
    "bottlerocket.yaml": 2,
    "trainium.yaml": 2,
    "capacity-block.yaml": 3,
    "existing-vpc.yaml": 3,
    "p5-training.yaml": 2,
}


def test_the_launch_template_count_covers_every_example():
    assert sorted(EXPECTED_LAUNCH_TEMPLATES) == EXAMPLE_CONFIGS


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_node_group_boots_from_a_template_that_requires_imdsv2_encrypts_gp3_and_has_no_ssh(synth, config):
    result = synth(config)
    templates = result.resources("cluster", "aws_launch_template")
    groups = result.resources("cluster", "aws_eks_node_group")
    assert len(templates) == len(groups) == EXPECTED_LAUNCH_TEMPLATES[config] == 1 + len(plan_for(config).gpu_groups)
    assert sorted(template_of(result, g)["name_prefix"] for g in groups.values()) == sorted(
        t["name_prefix"] for t in templates.values()
    )
    for template in templates.values():
        assert template["metadata_options"]["http_endpoint"] == "enabled"
        assert template["metadata_options"]["http_tokens"] == "required"
        assert template["metadata_options"]["http_put_response_hop_limit"] == 1
        ebs = template["block_device_mappings"][0]["ebs"]
        assert ebs["volume_type"] == "gp3" and ebs["encrypted"] == "true"
        assert "key_name" not in template
    for group in groups.values():
        assert "remote_access" not in group


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_node_group_leaves_its_desired_size_to_the_autoscaler(synth, config):
    for group in synth(config).resources("cluster", "aws_eks_node_group").values():
        assert "scaling_config[0].desired_size" in group["lifecycle"]["ignore_changes"]


def test_default_gpu_group_scales_to_zero_with_gpu_labels_and_taint(default):
    group = node_group(default, "a10g")
    assert group["scaling_config"] == {"min_size": 0, "max_size": 2, "desired_size": 0}
    assert group["ami_type"] == "AL2023_x86_64_NVIDIA"
    assert group["labels"]["nvidia.com/gpu.present"] == "true"
    assert group["labels"]["vpc.amazonaws.com/efa.present"] == "true"  # g5.12xlarge has one EFA
    # The health gate's startup taint after the group's own (health_check is on by default).
    assert group["taint"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"},
        {"key": "gpu-eks/health", "value": "pending", "effect": "NO_SCHEDULE"},
    ]
    assert group["lifecycle"]["ignore_changes"] == ["scaling_config[0].desired_size"]


def test_p5_group_gets_32_efa_interfaces_in_its_zones_subnet_with_the_clusters_security_group(synth):
    p5 = synth("p5-efa.yaml")
    group = node_group(p5, "h100")
    (subnet,) = group["subnet_ids"]  # EFA needs one subnet: the private subnet of us-east-1a
    assert "network_private_us-east-1a" in subnet and "terraform_remote_state" in subnet
    interfaces = template_of(p5, group)["network_interfaces"]
    assert sum(1 for i in interfaces if i["interface_type"] == "efa-only") == 32
    cluster_sg = f"${{{CLUSTER}.vpc_config[0].cluster_security_group_id}}"
    assert all(i["security_groups"][1] == cluster_sg for i in interfaces), "EKS adds no cluster SG once interfaces are listed"
    (efa_sg,) = p5.resources("cluster", "aws_security_group").values()
    assert efa_sg["vpc_id"].startswith("${data.terraform_remote_state.")


def test_scale_from_zero_tags_on_the_auto_scaling_group(synth):
    tags = {
        t["tag"]["key"]: t["tag"]["value"]
        for t in synth("p5-efa.yaml").resources("cluster", "aws_autoscaling_group_tag").values()
    }
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "8"
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/vpc.amazonaws.com/efa"] == "32"
    assert tags["k8s.io/cluster-autoscaler/node-template/label/workload"] == "training"
    assert tags["k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator"] == "nvidia-h100"
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage"] == "27360G"  # 90% of 8 x 3800 GB
    # The startup taint as the node group has it; the autoscaler ignores it (--startup-taint).
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/gpu-eks/health"] == "pending:NoSchedule"


def test_existing_vpc_groups_in_one_az_share_one_subnet_lookup(synth, config_variant):
    path = config_variant(
        "existing-vpc.yaml",
        name="two-in-one-az",
        edit=lambda data: data["gpu_node_groups"].append(
            {"name": "l4-more", "instance_type": "g6.12xlarge", "availability_zone": "eu-west-1b"}
        ),
    )
    result = synth(path)
    assert len(result.stack("cluster")["data"]["aws_subnets"]) == 1
    assert node_group(result, "l4-more")["subnet_ids"] == node_group(result, "-l4")["subnet_ids"]


def test_trainium_uses_the_neuron_ami_with_8_efa(synth):
    trn = synth("trainium.yaml")
    group = node_group(trn, "trn1")
    assert group["ami_type"] == "AL2023_x86_64_NEURON"
    assert group["taint"][0]["key"] == "aws.amazon.com/neuron"
    assert sum(1 for i in template_of(trn, group)["network_interfaces"] if i["interface_type"] == "efa-only") == 8


def test_existing_vpc_subnets_are_literal_and_single_az_groups_look_up_their_az(synth):
    byo = synth("existing-vpc.yaml")
    (cluster,) = byo.resources("cluster", "aws_eks_cluster").values()
    assert cluster["vpc_config"]["subnet_ids"] == [
        "subnet-0aaaaaaaaaaaaaaaa",
        "subnet-0bbbbbbbbbbbbbbbb",
        "subnet-0cccccccccccccccc",
    ]
    lookup = byo.stack("cluster")["data"]["aws_subnets"]
    ((address, subnets),) = lookup.items()
    assert {f["name"]: f["values"] for f in subnets["filter"]}["availability-zone"] == ["eu-west-1b"]
    assert node_group(byo, "-l4")["subnet_ids"] == f"${{data.aws_subnets.{address}.ids}}"
    spot = node_group(byo, "l4-spot")
    assert spot["capacity_type"] == "SPOT" and len(spot["subnet_ids"]) == 3


def test_cluster_outputs(default):
    outputs = default.stack("cluster")["output"]
    for name in (
        "cluster_name",
        "cluster_endpoint",
        "cluster_certificate_authority_data",
        "oidc_issuer_url",
        "oidc_provider_arn",
        "cluster_security_group_id",
        "kubeconfig_command",
    ):
        assert name in outputs
    assert outputs["kubeconfig_command"]["value"] == f"aws eks update-kubeconfig --region us-west-2 --name ${{{CLUSTER}.name}}"


def test_every_node_group_repairs_itself_by_default(default):
    groups = default.resources("cluster", "aws_eks_node_group").values()
    assert len(groups) == 2
    assert all(g["node_repair_config"] == {"enabled": True} for g in groups)


def test_node_repair_can_be_turned_off(synth, config_variant):
    result = synth(config_variant(edit=lambda d: d.setdefault("cluster", {}).update(node_repair=False)))
    assert all("node_repair_config" not in g for g in result.resources("cluster", "aws_eks_node_group").values())
    assert "eks-node-monitoring-agent" not in {a["addon_name"] for a in result.resources("cluster", "aws_eks_addon").values()}


def test_capacity_block_names_its_instance_type_in_the_launch_template_only(synth):
    """EKS rejects a CAPACITY_BLOCK node group that lists instance_types; the type goes in the template."""
    cb = synth("capacity-block.yaml")
    block = node_group(cb, "h200-block")
    assert "instance_types" not in block
    assert template_of(cb, block)["instance_type"] == "p5en.48xlarge"
    odcr = node_group(cb, "a100-odcr")
    assert odcr["instance_types"] == ["p4d.24xlarge"] and "instance_type" not in template_of(cb, odcr)


def test_a_group_with_several_types_lists_them_all_on_the_node_group(synth, config_variant):
    result = synth(
        config_variant(
            edit=lambda d: d["gpu_node_groups"].append(
                {"name": "l4-spot", "instance_types": ["g6.xlarge", "g6.2xlarge"], "capacity_type": "spot"}
            )
        )
    )
    assert node_group(result, "l4-spot")["instance_types"] == ["g6.xlarge", "g6.2xlarge"]
