"""Derived layouts, without a synth: EFA interfaces, subnets, AMI types, taints."""

import pytest

from cluster_config.catalog import INSTANCE_TYPES
from cluster_config.model import ClusterConfig, GpuNodeGroup
from cluster_config.plan.network import network_plan
from cluster_config.plan.nodes import efa_interface_layout, gpu_node_group_plan
from tests.conftest import plan_for


def layout(instance_type):
    return [(n.network_card_index, n.device_index, n.interface_type) for n in efa_interface_layout(INSTANCE_TYPES[instance_type])]


def efa_count(instance_type):
    return sum(1 for *_, kind in layout(instance_type) if kind == "efa-only")


def test_p5_gets_32_efa_interfaces():
    assert efa_count("p5.48xlarge") == 32
    assert layout("p5.48xlarge")[:3] == [(0, 0, "interface"), (0, 1, "efa-only"), (1, 0, "efa-only")]
    assert layout("p5.48xlarge")[-1] == (31, 0, "efa-only")


def test_p5en_gets_16_efa_interfaces():
    assert efa_count("p5en.48xlarge") == 16
    assert layout("p5en.48xlarge")[-1] == (15, 0, "efa-only")


def test_p6_b300_card_0_is_ena_only():
    rows = layout("p6-b300.48xlarge")
    assert rows[0] == (0, 0, "interface")
    assert [r for r in rows if r[0] == 0] == [(0, 0, "interface")]
    assert [r[0] for r in rows[1:]] == list(range(1, 17))
    assert efa_count("p6-b300.48xlarge") == 16


def test_p6_b200_matches_the_aws_eks_example():
    assert layout("p6-b200.48xlarge") == [(0, 0, "interface"), (0, 1, "efa-only")] + [(c, 0, "efa-only") for c in range(1, 8)]


def test_single_card_efa_types_put_their_only_efa_on_card_0():
    assert layout("g5.12xlarge") == [(0, 0, "interface"), (0, 1, "efa-only")]


@pytest.mark.parametrize("name", sorted(INSTANCE_TYPES))
def test_every_layout_has_one_ena_primary_and_the_catalog_efa_count(name):
    rows = layout(name)
    instance = INSTANCE_TYPES[name]
    assert rows[0] == (0, 0, "interface")
    assert sum(1 for r in rows if r[2] == "interface") == 1
    assert efa_count(name) == instance.max_efa_interfaces
    assert all(r[0] < instance.network_cards for r in rows)
    assert len({(r[0], r[1]) for r in rows}) == len(rows), "two interfaces on one card/device slot"


def group(**kwargs):
    return GpuNodeGroup.model_validate({"name": "g", **kwargs})


def plan_of(group_config):
    return gpu_node_group_plan(group_config, "c")


def test_efa_auto_is_off_where_the_type_has_no_efa():
    plan = plan_of(group(instance_type="g5.xlarge"))
    assert not plan.efa and plan.network_interfaces == ()
    assert "vpc.amazonaws.com/efa.present" not in plan.labels


def test_efa_false_wins_over_support():
    assert not plan_of(group(instance_type="p5.48xlarge", efa=False)).efa


def test_trainium_uses_the_neuron_ami_and_taint():
    plan = plan_of(group(instance_type="trn1.32xlarge"))
    assert plan.ami_type == "AL2023_x86_64_NEURON"
    assert [(t.key, t.value, t.eks_effect) for t in plan.taints] == [("aws.amazon.com/neuron", "true", "NO_SCHEDULE")]
    assert plan.labels["aws.amazon.com/neuron.present"] == "true"
    assert plan.accelerator_resource == "aws.amazon.com/neuron"
    assert plan_of(group(instance_type="trn1.32xlarge", ami_type="bottlerocket")).ami_type == "BOTTLEROCKET_x86_64"


def test_gpu_defaults_to_the_nvidia_taint_and_user_taints_replace_it():
    assert [(t.key, t.value, t.effect) for t in plan_of(group(instance_type="g5.xlarge")).taints] == [
        ("nvidia.com/gpu", "true", "NoSchedule")
    ]
    custom = plan_of(group(instance_type="g5.xlarge", taints=["team=ml:NoExecute"])).taints
    assert [(t.key, t.value, t.eks_effect) for t in custom] == [("team", "ml", "NO_EXECUTE")]


def test_autoscaler_template_tags_advertise_gpus_and_efa_for_scale_from_zero():
    tags = plan_of(group(instance_type="p5.48xlarge", availability_zone="x")).autoscaler_node_template_tags
    prefix = "k8s.io/cluster-autoscaler/node-template"
    assert tags[f"{prefix}/resources/nvidia.com/gpu"] == "8"
    assert tags[f"{prefix}/resources/vpc.amazonaws.com/efa"] == "32"
    assert tags[f"{prefix}/label/nvidia.com/gpu.present"] == "true"
    assert tags[f"{prefix}/taint/nvidia.com/gpu"] == "true:NoSchedule"


def test_autoscaler_template_tags_offer_the_scratch_disk_less_the_eviction_threshold():
    """cluster-autoscaler sees no ephemeral storage on a group at zero without the tag, and takes the tag as allocatable;
    kubelet keeps nodefs.available<10% (its default hard eviction threshold) from pods."""
    key = "k8s.io/cluster-autoscaler/node-template/resources/ephemeral-storage"
    # p5.48xlarge: 8 x 3800 GB NVMe (EC2 accelerated computing specifications) = 30400 GB; 90% of it.
    assert plan_of(group(instance_type="p5.48xlarge", availability_zone="x")).autoscaler_node_template_tags[key] == "27360G"
    # Without the array, kubelet is on the EBS volume: 200 GiB by default.
    no_array = gpu_node_group_plan(group(instance_type="g5.12xlarge"), "c", local_nvme_raid0=False)
    assert no_array.autoscaler_node_template_tags[key] == "180Gi"


def test_subnets_split_the_vpc_without_overlap():
    config = ClusterConfig.model_validate(
        {
            "name": "abc",
            "region": "us-west-2",
            "network": {"vpc_cidr": "10.1.0.0/16", "availability_zones": [f"us-west-2{z}" for z in "abcdef"]},
        }
    )
    import ipaddress

    nets = [
        ipaddress.IPv4Network(c)
        for s in network_plan(config.name, config.region, "aws", config.network).subnets
        for c in (s.private_cidr, s.public_cidr)
    ]
    assert all(n.subnet_of(ipaddress.IPv4Network("10.1.0.0/16")) for n in nets)
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert network_plan(config.name, config.region, "aws", config.network).subnets[0].private_cidr == "10.1.0.0/19"


def test_nvidia_groups_carry_the_accelerator_label_cluster_autoscaler_reads():
    """Without it a new GPU node looks ready before its GPUs are advertised, and the autoscaler adds another."""
    p5 = plan_of(group(instance_type="p5.48xlarge", availability_zone="x"))
    assert p5.labels["k8s.amazonaws.com/accelerator"] == "nvidia-h100"
    assert (
        p5.autoscaler_node_template_tags["k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator"]
        == "nvidia-h100"
    )
    assert (
        plan_of(group(instance_type="p4d.24xlarge", availability_zone="x")).labels["k8s.amazonaws.com/accelerator"]
        == "nvidia-a100-40gb"
    )
    assert "k8s.amazonaws.com/accelerator" not in plan_of(group(instance_type="trn1.32xlarge", availability_zone="x")).labels


def test_without_nat_the_runtimes_take_the_same_dlc_from_the_regions_private_registry(config_variant):
    from cluster_config import load_config
    from cluster_config.components import kubeflow_trainer
    from cluster_config.plan import build_plan

    def trainer_image(plan):
        return plan.platform.settings.of(kubeflow_trainer.COMPONENT).image

    def air_gapped(region):
        def edit(data):
            data.update(
                region=region,
                network={
                    "availability_zones": [f"{region}a", f"{region}b"],
                    "nat_gateways": "none",
                    "vpc_endpoints": ["s3", "ecr.api", "ecr.dkr", "sts", "ec2", "eks", "eks-auth", "logs", "autoscaling"],
                },
            )
            data["gpu_node_groups"][0]["availability_zone"] = f"{region}a"

        return trainer_image(build_plan(load_config(config_variant(edit=edit)).config))

    assert air_gapped("eu-west-1") == "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch:2.13.0-cu133-amzn2023"
    assert air_gapped("me-south-1") == "217643126080.dkr.ecr.me-south-1.amazonaws.com/pytorch:2.13.0-cu133-amzn2023"
    default = trainer_image(build_plan(load_config(config_variant()).config))
    assert default == "public.ecr.aws/deep-learning-containers/pytorch:2.13.0-cu133-amzn2023"


def test_an_air_gapped_trainium_group_takes_the_neuron_dlc_from_the_regions_private_registry(config_variant):
    """The CUDA image has no torch-neuronx; without NAT the Neuron DLC comes from the same private DLC registry
    (aws-neuron/deep-learning-containers README; aws/deep-learning-containers docs/reference/region_availability.md)."""
    from cluster_config import load_config
    from cluster_config.components import kubeflow_trainer
    from cluster_config.plan import build_plan

    def edit(data):
        data["network"].update(
            nat_gateways="none",
            vpc_endpoints=["s3", "ecr.api", "ecr.dkr", "sts", "ec2", "eks", "eks-auth", "logs", "autoscaling"],
        )
        data["gpu_node_groups"][0]["instance_type"] = "trn2.48xlarge"

    trainer = build_plan(load_config(config_variant("trainium.yaml", edit)).config).platform.settings.of(
        kubeflow_trainer.COMPONENT
    )
    assert (
        trainer.neuron_image
        == "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.30.0-ubuntu24.04"
    )
    assert trainer.image == "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch:2.13.0-cu133-amzn2023"


def test_prefix_delegation_gives_p5_nodes_room_for_their_pods():
    from cluster_config.components.vpc_cni import addresses_per_node, max_pods

    (cni,) = [a for a in plan_for("p5-efa.yaml").addons if a.name == "vpc-cni"]
    assert cni.configuration == {"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}
    assert max_pods(192) == 250 and max_pods(4) == 110
    # 250 pods take 16 /28 prefixes, one more stays warm, and the node has its own address
    assert addresses_per_node(192) == 17 * 16 + 1


def test_spot_groups_may_name_several_interchangeable_types(config_variant):
    from cluster_config import load_config
    from cluster_config.plan import build_plan

    def edit(data):
        data["gpu_node_groups"] = [{"name": "l4-spot", "instance_types": ["g6.xlarge", "g6.2xlarge"], "capacity_type": "spot"}]

    plan = build_plan(load_config(config_variant(edit=edit)).config)
    (group,) = plan.gpu_groups
    assert group.instance_types == ("g6.xlarge", "g6.2xlarge") and group.instance.name == "g6.xlarge"
    assert group.resources_per_node == {"nvidia.com/gpu": 1} and not group.efa
    (line,) = [l for l in plan.costs.lines if l.label.startswith("gpu")]
    assert line.label == "gpu l4-spot (g6.xlarge +1)" and line.unit_usd == 0.9776, "priced at the dearer type"


def test_a_single_gpu_spot_mix_of_one_model_is_accepted_and_scratch_is_the_smaller_array(config_variant):
    from cluster_config import load_config
    from cluster_config.plan import build_plan

    plan = build_plan(
        load_config(
            config_variant(
                edit=lambda d: d["gpu_node_groups"][0].update(
                    instance_type=None, instance_types=["g6.4xlarge", "gr6.4xlarge"], capacity_type="spot"
                )
            )
        ).config
    )
    (group,) = plan.gpu_groups
    assert group.resources_per_node == {"nvidia.com/gpu": 1} and not group.efa
    assert group.scratch_gb == 600, "both carry one 600 GB NVMe disk (and one L4)"

    plan = build_plan(
        load_config(
            config_variant(
                edit=lambda d: d["gpu_node_groups"][0].update(
                    instance_type=None, instance_types=["g6.4xlarge", "g6.xlarge"], capacity_type="spot", availability_zone=None
                )
            )
        ).config
    )
    assert plan.gpu_groups[0].scratch_gb == 250, "g6.xlarge has 250 GB of NVMe, g6.4xlarge 600"


def test_types_with_the_same_efa_layout_keep_efa_on(config_variant):
    from cluster_config import load_config
    from cluster_config.plan import build_plan

    plan = build_plan(
        load_config(
            config_variant(
                edit=lambda d: d["gpu_node_groups"][0].update(instance_type=None, instance_types=["g6.12xlarge", "g6.24xlarge"])
            )
        ).config
    )
    assert plan.gpu_groups[0].efa and plan.gpu_groups[0].efa_interfaces == 1


def test_a_21_vpc_still_gives_every_public_subnet_the_27_a_load_balancer_needs():
    """/21 is the smallest VPC the rules accept; ELB needs a /27 (8 free addresses) per subnet."""
    import ipaddress

    config = ClusterConfig.model_validate(
        {
            "name": "abc",
            "region": "us-west-2",
            "network": {"vpc_cidr": "10.0.0.0/21", "availability_zones": [f"us-west-2{z}" for z in "abcdef"]},
        }
    )
    subnets = network_plan(config.name, config.region, "aws", config.network).subnets
    assert [s.public_cidr for s in subnets] == [f"10.0.7.{32 * i}/27" for i in range(6)]
    assert all(ipaddress.IPv4Network(s.private_cidr).prefixlen == 24 for s in subnets)


# From /work/shared/reference/gpu-instances.csv (EC2 accelerated computing specifications; p6-b300's card 0
# is ENA-only, aws-parallelcluster#7143), and for p5.4xlarge, which that file lacks, karpenter's generated
# instance-types.md (v1.14.0 docs, vpc.amazonaws.com/efa = MaximumEfaInterfaces; gpu-instances-notes.md K-IT):
# (accelerator resource, accelerators, EFA interfaces); network cards in the comment. A pod that takes a whole
# node asks for the EFA interfaces, one device each, not the cards.
WHOLE_NODE = {
    "p6-b300.48xlarge": ("nvidia.com/gpu", 8, 16),  # 17 network cards
    "p5.4xlarge": ("nvidia.com/gpu", 1, 1),  # 1 card
    "g6e.48xlarge": ("nvidia.com/gpu", 8, 4),  # 4 cards
    "trn2.48xlarge": ("aws.amazon.com/neuron", 16, 16),  # 16 cards
}


@pytest.mark.parametrize("instance_type", sorted(WHOLE_NODE))
def test_a_whole_node_offers_its_accelerators_and_one_efa_device_per_efa_interface(instance_type):
    resource, accelerators, efa = WHOLE_NODE[instance_type]
    plan = plan_of(group(instance_type=instance_type, availability_zone="x"))
    assert plan.resources_per_node == {resource: accelerators, "vpc.amazonaws.com/efa": efa}
    prefix = "k8s.io/cluster-autoscaler/node-template/resources"
    assert plan.autoscaler_node_template_tags[f"{prefix}/vpc.amazonaws.com/efa"] == str(efa)
    assert plan.autoscaler_node_template_tags[f"{prefix}/{resource}"] == str(accelerators)


def test_max_pods_is_110_up_to_30_vcpus_and_250_above():
    """With prefix delegation a managed node group's max-pods is 110, or 250 on a type with more than 30 vCPUs
    (awslabs/amazon-eks-ami templates/al2023/runtime/max-pods-calculator.sh, ``if [ "$CPU_COUNT" -gt 30 ]``;
    the AWS containers blog post "Amazon VPC CNI increases pods per node limits")."""
    from cluster_config.components.vpc_cni import max_pods

    assert [max_pods(v) for v in (16, 29, 30, 31, 32)] == [110, 110, 110, 250, 250]


# us-east-1 On-Demand list prices, $/h: karpenter's us-east-1 price file of 2026-07-20 (zz_generated.pricing_aws.go,
# gpu-instances-notes.md K-PR; /work/shared/reference/gpu-instances.csv for all but p5.4xlarge); trn2.48xlarge has
# no On-Demand price there (Capacity Blocks only), so none is guessed.
LIST_PRICES = {"p6-b300.48xlarge": 142.416, "p5.4xlarge": 6.88, "g6e.48xlarge": 30.13118, "trn2.48xlarge": None}


@pytest.mark.parametrize("instance_type", sorted(LIST_PRICES))
def test_a_group_is_priced_at_its_types_list_price(instance_type):
    from cluster_config.plan.costs import cost_plan

    plan = plan_for("default.yaml")
    gpu = plan_of(group(instance_type=instance_type, availability_zone="x", min_size=1, max_size=1, desired_size=1))
    lines = cost_plan(
        region="us-east-1",
        network=None,
        system_nodes=plan.system_nodes,
        gpu_groups=(gpu,),
        storage=plan.storage,
        kubernetes_version="1.35",
    ).lines
    (line,) = [line for line in lines if line.label.startswith("gpu g ")]
    assert (line.label, line.count_idle, line.unit_usd) == (f"gpu g ({instance_type})", 1, LIST_PRICES[instance_type])
