"""Synth assertions for the cluster stack across the example configurations."""

import json

import pytest


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def node_group(synth_result, suffix):
    groups = synth_result.resources("cluster", "aws_eks_node_group")
    (group,) = [g for g in groups.values() if g.get("node_group_name", "").endswith(suffix) or g.get("node_group_name_prefix", "").endswith(suffix)]
    return group


def template_of(synth_result, group):
    ref = group["launch_template"]["id"]  # "${aws_launch_template.<id>.id}"
    key = ref.split(".")[1]
    return synth_result.resources("cluster", "aws_launch_template")[key]


def test_cluster_is_private_first_encrypted_logged_and_uses_access_entries(default):
    (cluster,) = default.resources("cluster", "aws_eks_cluster").values()
    assert cluster["version"] == "1.34"
    assert cluster["vpc_config"]["endpoint_private_access"] is True
    assert cluster["vpc_config"]["public_access_cidrs"] == ["203.0.113.0/24"]
    assert cluster["encryption_config"]["resources"] == ["secrets"]
    assert cluster["access_config"]["authentication_mode"] == "API"
    assert cluster["enabled_cluster_log_types"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert any("aws_cloudwatch_log_group" in d for d in cluster["depends_on"]), "log group must exist before the cluster"
    assert len(cluster["vpc_config"]["subnet_ids"]) == 3


def test_kms_key_rotates_and_log_group_keeps_90_days_encrypted(default):
    (key,) = default.resources("cluster", "aws_kms_key").values()
    assert key["enable_key_rotation"] is True
    (logs,) = default.resources("cluster", "aws_cloudwatch_log_group").values()
    assert logs["name"] == "/aws/eks/demo/cluster" and logs["retention_in_days"] == 90 and "kms_key_id" in logs


def test_private_endpoint_only_sets_no_public_cidrs(synth):
    (cluster,) = synth("p5-efa.yaml").resources("cluster", "aws_eks_cluster").values()
    assert cluster["vpc_config"]["endpoint_public_access"] is False
    assert "public_access_cidrs" not in cluster["vpc_config"]


def test_admin_principals_get_cluster_admin_access_entries(synth):
    p5 = synth("p5-efa.yaml")
    (entry,) = p5.resources("cluster", "aws_eks_access_entry").values()
    assert entry["principal_arn"] == "arn:aws:iam::111122223333:role/platform-admin"
    (assoc,) = p5.resources("cluster", "aws_eks_access_policy_association").values()
    assert assoc["policy_arn"].endswith("AmazonEKSClusterAdminPolicy") and assoc["access_scope"]["type"] == "cluster"


def test_managed_addons_and_oidc(default):
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    assert sorted(addons) == ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    assert any("aws_eks_node_group" in d for d in addons["coredns"]["depends_on"])
    (oidc,) = default.resources("cluster", "aws_iam_openid_connect_provider").values()
    assert oidc["client_id_list"] == ["sts.amazonaws.com"]


def test_node_role_is_least_privilege(default):
    arns = sorted(a["policy_arn"].rsplit("/", 1)[1] for a in default.resources("cluster", "aws_iam_role_policy_attachment").values())
    assert arns == ["AmazonEC2ContainerRegistryPullOnly", "AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy"]


def test_every_launch_template_requires_imdsv2_encrypts_gp3_and_has_no_ssh(synth):
    for config in ("default.yaml", "p5-efa.yaml", "bottlerocket.yaml", "trainium.yaml", "capacity-block.yaml", "existing-vpc.yaml"):
        for template in synth(config).resources("cluster", "aws_launch_template").values():
            assert template["metadata_options"]["http_tokens"] == "required"
            assert template["metadata_options"]["http_put_response_hop_limit"] == 1
            ebs = template["block_device_mappings"][0]["ebs"]
            assert ebs["volume_type"] == "gp3" and ebs["encrypted"] == "true"
            assert "key_name" not in template
    for group in synth("default.yaml").resources("cluster", "aws_eks_node_group").values():
        assert "remote_access" not in group


def test_default_gpu_group_scales_to_zero_with_gpu_labels_and_taint(default):
    group = node_group(default, "a10g")
    assert group["scaling_config"] == {"min_size": 0, "max_size": 2, "desired_size": 0}
    assert group["ami_type"] == "AL2023_x86_64_NVIDIA"
    assert group["labels"]["nvidia.com/gpu.present"] == "true"
    assert group["labels"]["vpc.amazonaws.com/efa.present"] == "true"  # g5.12xlarge has one EFA
    assert group["taint"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert group["lifecycle"]["ignore_changes"] == ["scaling_config[0].desired_size"]


def test_p5_group_gets_32_efa_interfaces_one_subnet_and_a_cluster_placement_group(synth):
    p5 = synth("p5-efa.yaml")
    group = node_group(p5, "h100")
    assert len(group["subnet_ids"]) == 1
    template = template_of(p5, group)
    interfaces = template["network_interfaces"]
    assert sum(1 for i in interfaces if i["interface_type"] == "efa-only") == 32
    assert interfaces[0] == {**interfaces[0], "network_card_index": 0, "device_index": 0, "interface_type": "interface"}
    assert all(len(i["security_groups"]) == 2 for i in interfaces), "EFA SG plus the cluster SG on every interface"
    assert "vpc_security_group_ids" not in template
    assert "subnet_id" not in json.dumps(interfaces), "EKS forbids a subnet in the launch template"
    (placement,) = p5.resources("cluster", "aws_placement_group").values()
    assert placement["strategy"] == "cluster"
    assert template["placement"]["group_name"].startswith("${aws_placement_group.")


def test_efa_security_group_allows_all_traffic_to_and_from_itself(synth):
    p5 = synth("p5-efa.yaml")
    (ingress,) = p5.resources("cluster", "aws_vpc_security_group_ingress_rule").values()
    (egress,) = p5.resources("cluster", "aws_vpc_security_group_egress_rule").values()
    for rule in (ingress, egress):
        assert rule["ip_protocol"] == "-1"
        assert rule["referenced_security_group_id"] == rule["security_group_id"]
        assert rule["description"]


def test_scale_from_zero_tags_on_the_auto_scaling_group(synth):
    tags = {t["tag"]["key"]: t["tag"]["value"] for t in synth("p5-efa.yaml").resources("cluster", "aws_autoscaling_group_tag").values()}
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "8"
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/vpc.amazonaws.com/efa"] == "32"
    assert tags["k8s.io/cluster-autoscaler/node-template/label/workload"] == "training"


def test_capacity_block_and_targeted_odcr_as_eks_and_ec2_want_them(synth):
    cb = synth("capacity-block.yaml")
    block = node_group(cb, "h200-block")
    assert block["capacity_type"] == "CAPACITY_BLOCK"
    block_template = template_of(cb, block)
    assert block_template["instance_market_options"] == {"market_type": "capacity-block"}
    assert block_template["capacity_reservation_specification"]["capacity_reservation_target"]["capacity_reservation_id"] == "cr-0123456789abcdef0"
    assert sum(1 for i in block_template["network_interfaces"] if i["interface_type"] == "efa-only") == 16

    odcr = node_group(cb, "a100-odcr")
    assert odcr["capacity_type"] == "ON_DEMAND"
    odcr_template = template_of(cb, odcr)
    assert "instance_market_options" not in odcr_template
    assert odcr_template["capacity_reservation_specification"]["capacity_reservation_target"]["capacity_reservation_id"] == "cr-0fedcba9876543210"


def test_reserved_capacity_gets_no_new_placement_group(synth):
    """An ODCR cannot join a placement group made after it; a Capacity Block is already co-located."""
    cb = synth("capacity-block.yaml")
    assert "aws_placement_group" not in cb.stack("cluster")["resource"]
    for suffix in ("h200-block", "a100-odcr"):
        assert "placement" not in template_of(cb, node_group(cb, suffix))


def test_existing_vpc_groups_in_one_az_share_one_subnet_lookup(synth, config_variant):
    path = config_variant("existing-vpc.yaml", name="two-in-one-az", edit=lambda data: data["gpu_node_groups"].append(
        {"name": "l4-more", "instance_type": "g6.12xlarge", "availability_zone": "eu-west-1b"}))
    result = synth(path)
    assert len(result.stack("cluster")["data"]["aws_subnets"]) == 1
    assert node_group(result, "l4-more")["subnet_ids"] == node_group(result, "-l4")["subnet_ids"]


def test_bottlerocket_uses_the_nvidia_variant_and_sizes_its_data_volume(synth):
    br = synth("bottlerocket.yaml")
    group = node_group(br, "l40s")
    assert group["ami_type"] == "BOTTLEROCKET_x86_64_NVIDIA"
    mapping = template_of(br, group)["block_device_mappings"][0]
    assert mapping["device_name"] == "/dev/xvdb" and mapping["ebs"]["volume_size"] == 300


def test_trainium_uses_the_neuron_ami_with_8_efa(synth):
    trn = synth("trainium.yaml")
    group = node_group(trn, "trn1")
    assert group["ami_type"] == "AL2023_x86_64_NEURON"
    assert group["taint"][0]["key"] == "aws.amazon.com/neuron"
    assert sum(1 for i in template_of(trn, group)["network_interfaces"] if i["interface_type"] == "efa-only") == 8


def test_existing_vpc_subnets_are_literal_and_single_az_groups_look_up_their_az(synth):
    byo = synth("existing-vpc.yaml")
    (cluster,) = byo.resources("cluster", "aws_eks_cluster").values()
    assert cluster["vpc_config"]["subnet_ids"][0] == "subnet-0aaaaaaaaaaaaaaaa"
    lookup = byo.stack("cluster")["data"]["aws_subnets"]
    (subnets,) = lookup.values()
    assert {f["name"]: f["values"] for f in subnets["filter"]}["availability-zone"] == ["eu-west-1b"]
    spot = node_group(byo, "l4-spot")
    assert spot["capacity_type"] == "SPOT" and len(spot["subnet_ids"]) == 3


def test_cross_stack_values_flow_through_remote_state(default):
    assert "terraform_remote_state" in default.stack("cluster")["data"]
    (cluster,) = default.resources("cluster", "aws_eks_cluster").values()
    assert all("terraform_remote_state" in s for s in cluster["vpc_config"]["subnet_ids"])


def test_cluster_outputs(default):
    outputs = default.stack("cluster")["output"]
    for name in ("cluster_name", "cluster_endpoint", "cluster_certificate_authority_data", "oidc_issuer_url", "kubeconfig_command"):
        assert name in outputs
    assert outputs["kubeconfig_command"]["value"].startswith("aws eks update-kubeconfig --region us-west-2 --name ${")
