"""Every kind of bad input is rejected with one readable line per problem."""

from __future__ import annotations

import pytest

from cluster_config import ConfigError, load_config
from tests.conftest import CONFIG_DIR, DELETE, EXAMPLE_CONFIGS


def gpu(**fields) -> dict:
    """Overrides for the first GPU group of the base file."""
    return {f"gpu_node_groups.0.{key}": value for key, value in fields.items()}


CASES = {
    "wrong type": (gpu(max_size="two"), "gpu_node_groups[0].max_size: expected an integer (got 'two', a string)"),
    "wrong type for a list": ({"network.availability_zones": "us-west-2a"}, "network.availability_zones: expected a list"),
    "unknown key with hint": (
        {"network.nat_gatways": "single"},
        "network.nat_gatways: unknown key; did you mean 'nat_gateways'?",
    ),
    "unknown top-level key": ({"regoin": "x"}, "regoin: unknown key; did you mean 'region'?"),
    "max below min": (
        gpu(min_size=2, max_size=1, desired_size=2),
        "gpu_node_groups[0].max_size: must be >= min_size (got 1 < 2)",
    ),
    "desired below min": (gpu(min_size=1, desired_size=0), "gpu_node_groups[0].desired_size: must be >= min_size (got 0 < 1)"),
    "desired above max": (gpu(desired_size=3), "gpu_node_groups[0].desired_size: must be <= max_size (got 3 > 2)"),
    "system nodes ordering": ({"system_nodes.desired_size": 9}, "system_nodes.desired_size: must be <= max_size (got 9 > 4)"),
    "negative size": (gpu(min_size=-1), "gpu_node_groups[0].min_size: must be >= 0 (got -1)"),
    "update policy with both widths": (
        gpu(update={"max_unavailable": 2, "max_unavailable_percentage": 50}),
        "gpu_node_groups[0].update: give exactly one of max_unavailable (nodes at a time) or "
        "max_unavailable_percentage (percent of the group at a time); got max_unavailable and max_unavailable_percentage",
    ),
    "update policy with neither": (
        gpu(update={}),
        "gpu_node_groups[0].update: give exactly one of max_unavailable (nodes at a time) "
        "or max_unavailable_percentage (percent of the group at a time); got neither",
    ),
    "update percentage above 100": (
        gpu(update={"max_unavailable_percentage": 150}),
        "gpu_node_groups[0].update.max_unavailable_percentage: must be <= 100 (got 150)",
    ),
    "az outside the region": (
        {"network.availability_zones": ["us-west-2a", "eu-west-1b"]},
        "network.availability_zones[1]: 'eu-west-1b' is not an availability zone of region us-west-2",
    ),
    "group az outside the network": (
        gpu(availability_zone="us-west-2d"),
        "gpu_node_groups[0].availability_zone: 'us-west-2d' is not one of network.availability_zones",
    ),
    "group az outside the region": (
        gpu(availability_zone="eu-west-1a"),
        "gpu_node_groups[0].availability_zone: 'eu-west-1a' is not in region us-west-2",
    ),
    "invalid cidr": ({"network.vpc_cidr": "10.0.0.300/16"}, "network.vpc_cidr: '10.0.0.300/16' is not an IPv4 CIDR"),
    "cidr with host bits": (
        {"network.vpc_cidr": "10.0.0.1/16"},
        "network.vpc_cidr: '10.0.0.1/16' has host bits set; did you mean 10.0.0.0/16?",
    ),
    # CIDR blocks either nest or are disjoint, so an overlap is one of these two directions.
    "service range inside the vpc": (
        {"cluster.service_ipv4_cidr": "10.0.128.0/20"},
        "cluster.service_ipv4_cidr: 10.0.128.0/20 overlaps network.vpc_cidr 10.0.0.0/16",
    ),
    "vpc inside the service range": (
        {"cluster.service_ipv4_cidr": "10.0.0.0/12"},
        "cluster.service_ipv4_cidr: 10.0.0.0/12 overlaps network.vpc_cidr 10.0.0.0/16",
    ),
    "public vpc range": ({"network.vpc_cidr": "8.8.0.0/16"}, "network.vpc_cidr: 8.8.0.0/16 is not a private range"),
    "vpc too small": (
        {"network.vpc_cidr": "10.0.0.0/24"},
        "network.vpc_cidr: /24 is too small: this project needs /21 or larger (/16 to /21)",
    ),
    "vpc larger than aws allows": (
        {"network.vpc_cidr": "10.0.0.0/14"},
        "network.vpc_cidr: /14 is larger than AWS allows: a VPC's CIDR block is /16 at most",
    ),
    "efa on a type without it": (
        gpu(instance_type="g5.xlarge", efa=True),
        "gpu_node_groups[0].efa: g5.xlarge does not support EFA",
    ),
    "unknown instance type": (
        gpu(instance_type="p9.96xlarge"),
        "gpu_node_groups[0].instance_type: unknown instance type 'p9.96xlarge'; GPU and Trainium families: g4dn, g5, g6, g6e, "
        "gr6, p4d, p4de, p5, p5e, p5en, p6-b200, p6-b300, trn1, trn1n, trn2",
    ),
    "misspelled instance type": (
        gpu(instance_type="p5.48xl"),
        "gpu_node_groups[0].instance_type: unknown instance type 'p5.48xl'; did you mean 'p5.48xlarge'?",
    ),
    "unknown size of a known family": (
        gpu(instance_type="g6e.tiny"),
        "gpu_node_groups[0].instance_type: unknown instance type 'g6e.tiny'; g6e sizes: g6e.xlarge, g6e.2xlarge, g6e.4xlarge, "
        "g6e.8xlarge, g6e.12xlarge, g6e.16xlarge, g6e.24xlarge, g6e.48xlarge",
    ),
    "misspelled family": (
        gpu(instance_type="g6ee.xlarge"),
        "gpu_node_groups[0].instance_type: unknown instance type 'g6ee.xlarge'; did you mean 'g6e.xlarge'?",
    ),
    "misspelled family, unknown size": (
        gpu(instance_type="g6ee.huge"),
        "gpu_node_groups[0].instance_type: unknown instance type 'g6ee.huge'; g6e sizes: g6e.xlarge, g6e.2xlarge, g6e.4xlarge, "
        "g6e.8xlarge, g6e.12xlarge, g6e.16xlarge, g6e.24xlarge, g6e.48xlarge",
    ),
    "another generation is not a typo": (
        gpu(instance_type="trn3.48xlarge"),
        "gpu_node_groups[0].instance_type: unknown instance type 'trn3.48xlarge'; GPU and Trainium families: g4dn",
    ),
    "cpu type in a gpu group": (
        gpu(instance_type="m6i.large"),
        "gpu_node_groups[0].instance_type: m6i.large has no accelerator; CPU nodes go in system_nodes.instance_types",
    ),
    "capacity block without reservation": (
        gpu(capacity_type="capacity_block"),
        "gpu_node_groups[0].capacity_reservation_id: required when capacity_type is capacity_block",
    ),
    "capacity block for a type AWS does not sell them for": (
        gpu(capacity_type="capacity_block", capacity_reservation_id="cr-0123456789abcdef0"),
        "gpu_node_groups[0].capacity_type: Capacity Blocks for ML are not sold for g5.12xlarge; they are for p4d.24xlarge, "
        "p4de.24xlarge, p5.48xlarge",
    ),
    "fsx capacity off the steps": (
        {"storage": {"fsx_lustre": {"enabled": True, "storage_capacity_gib": 3000}}},
        "storage.fsx_lustre.storage_capacity_gib: 3000 is not a size FSx for Lustre offers: 1200, or a multiple of 2400 "
        "(nearest: 2400 or 4800)",
    ),
    # FSx API reference, CreateFileSystem StorageCapacity: PERSISTENT_2 and SCRATCH_2 take 1200, 2400 or a multiple of 2400 GiB.
    "fsx capacity at 3600": (
        {"storage": {"fsx_lustre": {"enabled": True, "storage_capacity_gib": 3600}}},
        "storage.fsx_lustre.storage_capacity_gib: 3600 is not a size FSx for Lustre offers: 1200, or a multiple of 2400 "
        "(nearest: 2400 or 4800)",
    ),
    "misspelled key inside a list item": (
        gpu(instace_type="g5.12xlarge"),
        "gpu_node_groups[0].instace_type: unknown key; did you mean 'instance_type'? allowed keys: ami_type, availability_zone, "
        "capacity_block_usd_per_hour, capacity_reservation_id, capacity_type,",
    ),
    "misspelled key inside a team": (
        {"queues": {"teams": [{"name": "r", "namespaces": ["r"], "quotas": {"a10g": 2}}]}},
        "queues.teams[0].quotas: unknown key; did you mean 'quota'?",
    ),
    "fsx throughput not offered": (
        {"storage": {"fsx_lustre": {"enabled": True, "throughput_mib_per_tib": 300}}},
        "storage.fsx_lustre.throughput_mib_per_tib: must be one of 125, 250, 500, 1000 (got 300, a number)",
    ),
    "fsx throughput on scratch": (
        {"storage": {"fsx_lustre": {"enabled": True, "deployment_type": "SCRATCH_2", "throughput_mib_per_tib": 250}}},
        "storage.fsx_lustre.throughput_mib_per_tib: applies to PERSISTENT_2 only",
    ),
    "fsx az outside the network": (
        {"storage": {"fsx_lustre": {"enabled": True, "availability_zone": "us-west-2d"}}},
        "storage.fsx_lustre.availability_zone: 'us-west-2d' is not one of network.availability_zones",
    ),
    "fsx import path not s3": (
        {"storage": {"fsx_lustre": {"enabled": True, "import_path": "https://example.com/data"}}},
        "storage.fsx_lustre.import_path: must be an S3 URI such as s3://my-datasets/imagenet (got 'https://example.com/data')",
    ),
    "training namespace twice": (
        {"training_operator": {"namespaces": ["default", "ml", "ml"]}},
        "training_operator.namespaces[2]: 'ml' is listed twice",
    ),
    "bad training namespace": (
        {"training_operator": {"namespaces": ["ML_Team"]}},
        "training_operator.namespaces[0]: must be a Kubernetes namespace name",
    ),
    "public training image without nat": (
        {
            "network.nat_gateways": "none",
            "training_operator": {"image": "public.ecr.aws/deep-learning-containers/pytorch:2.13.0-cu133-amzn2023"},
        },
        "training_operator.image: public.ecr.aws/deep-learning-containers/pytorch:2.13.0-cu133-amzn2023 is on public.ecr.aws, "
        "which nodes cannot reach with nat_gateways: none (no VPC endpoint serves it); use an ECR image, e.g. the same DLC from "
        "this region's registry: 763104351884.dkr.ecr.us-west-2.amazonaws.com/pytorch:2.13.0-cu133-amzn2023",
    ),
    "team quota for an unknown group": (
        {"queues": {"teams": [{"name": "r", "namespaces": ["r"], "quota": {"h100": 8}}]}},
        "queues.teams[0].quota.h100: 'h100' is not a GPU group (gpu_node_groups names: a10g)",
    ),
    "team quota above the group": (
        {"queues": {"teams": [{"name": "r", "namespaces": ["r"], "quota": {"a10g": 16}}]}},
        "queues.teams[0].quota.a10g: 16 accelerators is more than the group can have (2 nodes x 4 = 8)",
    ),
    "team namespace twice": (
        {
            "queues": {
                "teams": [
                    {"name": "r", "namespaces": ["ml"], "quota": {"a10g": 2}},
                    {"name": "p", "namespaces": ["ml"], "quota": {"a10g": 2}},
                ]
            }
        },
        "queues.teams[1].namespaces[0]: 'ml' is listed twice (also by team r)",
    ),
    "team quotas over the group": (
        {
            "queues": {
                "teams": [
                    {"name": "r", "namespaces": ["r"], "quota": {"a10g": 6}},
                    {"name": "p", "namespaces": ["p"], "quota": {"a10g": 6}},
                ]
            }
        },
        "queues.teams: the teams' quotas for a10g add up to 12, more than its 8 accelerators",
    ),
    "group named like a queue": (gpu(name="default"), "gpu_node_groups[0].name: 'default' would clash with a queue name"),
    "subnet too small for pod prefixes": (
        {"network.vpc_cidr": "10.0.0.0/21", **gpu(instance_type="p5.48xlarge", max_size=8)},
        "network.vpc_cidr: private subnet 10.0.0.0/24 (us-west-2a) has 251 addresses; the nodes that can run there at their "
        "max_size need 330 just to start",
    ),
    "types with different gpu counts": (
        gpu(instance_type=None, instance_types=["g5.xlarge", "g5.12xlarge"], availability_zone=None, efa=False),
        "gpu_node_groups[0].instance_types[1]: g5.12xlarge has 4 accelerators, g5.xlarge 1; a group's types must be "
        "interchangeable",
    ),
    # The mix: 4 L40S (48 GB each) beside 4 L4 (24 GB each), as the catalog states them.
    "types with different gpu models": (
        gpu(instance_type=None, instance_types=["g6e.12xlarge", "g6.12xlarge"]),
        "gpu_node_groups[0].instance_types[1]: g6.12xlarge has NVIDIA L4 with 22.35 GiB, g6e.12xlarge NVIDIA L40S with 44.7 GiB; "
        "a group's types must have the same accelerator model and memory",
    ),
    "same memory, another model": (
        gpu(instance_type=None, instance_types=["g6.xlarge", "g5.xlarge"], availability_zone=None),
        "gpu_node_groups[0].instance_types[1]: g5.xlarge has NVIDIA A10G with 22.35 GiB, g6.xlarge NVIDIA L4 with 22.35 GiB",
    ),
    "A100 40GB beside A100 80GB": (
        gpu(instance_type=None, instance_types=["p4d.24xlarge", "p4de.24xlarge"]),
        "gpu_node_groups[0].instance_types[1]: p4de.24xlarge has NVIDIA A100 80GB with 80 GiB, p4d.24xlarge NVIDIA A100 40GB "
        "with 40 GiB",
    ),
    "types with different efa layouts": (
        gpu(instance_type=None, instance_types=["p5e.48xlarge", "p5en.48xlarge"]),
        "gpu_node_groups[0].instance_types[1]: p5en.48xlarge and p5e.48xlarge have different EFA layouts (16 and 32 EFA)",
    ),
    "both type keys": (
        gpu(instance_types=["g5.12xlarge"]),
        "gpu_node_groups[0]: needs instance_type (one type) or instance_types (interchangeable types), not both",
    ),
    "a type listed twice": (
        gpu(instance_type=None, instance_types=["g5.12xlarge", "g5.12xlarge"]),
        "gpu_node_groups[0].instance_types[1]: 'g5.12xlarge' is listed twice",
    ),
    "misspelled type in a list": (
        gpu(instance_type=None, instance_types=["g5.12xlarge", "g6.12xlrge"]),
        "gpu_node_groups[0].instance_types[1]: unknown instance type 'g6.12xlrge'; did you mean 'g6.12xlarge'?",
    ),
    "spot with a reservation": (
        gpu(capacity_type="spot", capacity_reservation_id="cr-0123456789abcdef0"),
        "gpu_node_groups[0].capacity_reservation_id: cannot be used with capacity_type spot",
    ),
    "malformed reservation id": (
        gpu(capacity_reservation_id="reservation-1"),
        "gpu_node_groups[0].capacity_reservation_id: must be a capacity reservation id, cr- and 17 hex digits",
    ),
    # EC2 ids have had 17 characters after the hyphen since 2018; cr-0a1b2c3d is the short id.
    "block rate without a block": (
        gpu(capacity_block_usd_per_hour=20.5),
        "gpu_node_groups[0].capacity_block_usd_per_hour: applies to capacity_type capacity_block only (got on_demand); remove it",
    ),
    "short reservation id": (
        gpu(capacity_reservation_id="cr-0a1b2c3d"),
        "gpu_node_groups[0].capacity_reservation_id: must be a capacity reservation id, cr- and 17 hex digits such as "
        "cr-0123456789abcdef0 (got 'cr-0a1b2c3d')",
    ),
    "team in kube-system": (
        {"queues": {"teams": [{"name": "r", "namespaces": ["kube-system"], "quota": {"a10g": 2}}]}},
        "queues.teams[0].namespaces[0]: 'kube-system' is reserved (Kubernetes' and the platform's namespaces: kube-system, "
        "kube-public, kube-node-lease, kubeflow-system, kueue-system, amazon-cloudwatch, and any kube- name)",
    ),
    "team in the platform's namespace": (
        {"queues": {"teams": [{"name": "r", "namespaces": ["ml", "kueue-system"], "quota": {"a10g": 2}}]}},
        "queues.teams[0].namespaces[1]: 'kueue-system' is reserved",
    ),
    "training in kube-node-lease": (
        {"training_operator": {"namespaces": ["default", "kube-node-lease"]}},
        "training_operator.namespaces[1]: 'kube-node-lease' is reserved",
    ),
    "training in the trainer's namespace": (
        {"training_operator": {"namespaces": ["kubeflow-system"]}},
        "training_operator.namespaces[0]: 'kubeflow-system' is reserved",
    ),
    "teams while queues are off": (
        {
            "queues": {
                "enabled": False,
                "teams": [
                    {"name": "r", "namespaces": ["r"], "quota": {"a10g": 2}},
                    {"name": "p", "namespaces": ["p"], "quota": {"a10g": 2}},
                ],
            }
        },
        "queues.teams: has no effect while queues.enabled is false (teams r, p would get no quota); remove the teams or enable "
        "the queues",
    ),
    "empty cidr": (
        {"cluster.endpoint_public_access_cidrs": [""]},
        "cluster.endpoint_public_access_cidrs[0]: must be a CIDR such as 10.0.0.0/16, not an empty string",
    ),
    "public endpoint without cidrs": (
        {"cluster.endpoint_public_access_cidrs": []},
        "cluster.endpoint_public_access_cidrs: must list at least one CIDR when endpoint_public_access is true",
    ),
    "duplicate node-group name": (
        lambda d: d["gpu_node_groups"].append(dict(d["gpu_node_groups"][0])),
        "gpu_node_groups[1].name: 'a10g' is already used by gpu_node_groups[0]",
    ),
    "efa without an az": (
        gpu(availability_zone=None),
        "gpu_node_groups[0].availability_zone: required because EFA is on (efa: auto)",
    ),
    "bad enum": (
        gpu(capacity_type="reserved"),
        "gpu_node_groups[0].capacity_type: must be one of on_demand, spot, capacity_block (got 'reserved', a string)",
    ),
    "bad name": ({"name": "Demo_Cluster"}, "name: must be 3-20 lowercase letters, digits or '-'"),
    "old kubernetes": ({"kubernetes_version": "1.29"}, "kubernetes_version: 1.29 is below 1.30"),
    "unquoted kubernetes version": (
        {"kubernetes_version": 1.3},
        "kubernetes_version: expected a string (got 1.3, a number); quote it",
    ),
    "bad kubernetes form": ({"kubernetes_version": "v1.34"}, "kubernetes_version: 'v1.34' is not of the form 1.N"),
    "too few azs": (
        {"network.availability_zones": ["us-west-2a"]},
        "network.availability_zones: needs at least 2 entries (got 1)",
    ),
    "missing required key": ({"region": DELETE}, "region: required key is missing"),
    "gpu type as system node": (
        {"system_nodes.instance_types": ["p5.48xlarge"]},
        "system_nodes.instance_types[0]: p5.48xlarge is an accelerator type",
    ),
    "bad taint": (
        gpu(taints=["nvidia.com/gpu:Never"]),
        "gpu_node_groups[0].taints[0]: 'nvidia.com/gpu:Never' is not a taint of the form key=value:Effect",
    ),
    "reserved tag": ({"tags": {"gpu-eks:cluster": "x"}}, "tags.gpu-eks:cluster: is set by the project itself"),
    "existing vpc with network-stack keys": (
        {
            "network.existing_vpc": {
                "vpc_id": "vpc-0123456789abcdef0",
                "private_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            }
        },
        "network.nat_gateways: has no effect with network.existing_vpc",
    ),
    "china region": ({"region": "cn-north-1"}, "region: 'cn-north-1' is outside the commercial AWS partition"),
    "taint key too long": (
        gpu(taints=["x" * 64 + "=y:NoSchedule"]),
        "gpu_node_groups[0].taints[0]: '" + "x" * 64 + "=y:NoSchedule': taint names and values are at most 63 characters",
    ),
    "assumed-role admin": (
        {"cluster.admin_principal_arns": ["arn:aws:sts::111122223333:assumed-role/Admin/me"]},
        "cluster.admin_principal_arns[0]: an assumed-role session cannot hold an access entry",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_rejected_with_a_line_naming_file_and_field(case, config_variant):
    edit, expected = CASES[case]
    path = config_variant(edit=edit)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert any(line.startswith(f"{path}: {expected}") for line in error.value.lines), error.value.lines


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path / "nope.yaml")
    assert error.value.lines == [
        f"{tmp_path / 'nope.yaml'}: file not found (set CLUSTER_CONFIG or --config to an existing YAML file, e.g. "
        "config/default.yaml)"
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("name: demo\nregion: [us-west-2\n", "line 3, column 1: malformed YAML"),
        ("name: demo\n  region: x\n", "line 2, column 9: malformed YAML: mapping values are not allowed here"),
        ("name: a\nname: b\n", "line 2, column 1: malformed YAML: key 'name' is written twice"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("", "the top level must be a mapping of keys such as name, region, network (got an empty file)"),
    ],
)
def test_malformed_yaml(text, expected, tmp_path):
    # Raw text, not a variant of an example: these files are not even YAML mappings.
    path = tmp_path / "malformed.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert error.value.lines[0].startswith(f"{path}: {expected}"), error.value.lines


def test_all_problems_are_reported_at_once(config_variant):
    path = config_variant(edit={**gpu(max_size="x"), "network.nat_gatways": 1})
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert len(error.value.lines) == 2


def test_fixed_size_groups_are_accepted(config_variant):
    """min_size == max_size is a fixed-size group (a reserved block used whole), not an error."""
    path = config_variant(
        edit={
            **gpu(min_size=2, max_size=2, desired_size=2),
            "system_nodes.min_size": 3,
            "system_nodes.max_size": 3,
            "system_nodes.desired_size": 3,
        }
    )
    config = load_config(path).config
    assert (config.gpu_node_groups[0].min_size, config.gpu_node_groups[0].max_size) == (2, 2)
    assert (config.system_nodes.min_size, config.system_nodes.max_size) == (3, 3)


def test_a_quota_of_the_whole_group_is_accepted(config_variant):
    """A team may be guaranteed every accelerator of a group: a10g is 2 x g5.12xlarge, 4 GPUs each = 8."""
    whole = [{"name": "r", "namespaces": ["r"], "quota": {"a10g": 8}}]
    assert load_config(config_variant(edit={"queues": {"teams": whole}})).config.queues.teams[0].quota == {"a10g": 8}
    halves = [{"name": "r", "namespaces": ["r"], "quota": {"a10g": 4}}, {"name": "p", "namespaces": ["p"], "quota": {"a10g": 4}}]
    assert len(load_config(config_variant(edit={"queues": {"teams": halves}})).config.queues.teams) == 2


@pytest.mark.parametrize("gib", [1200, 2400, 4800, 7200])
def test_the_fsx_sizes_fsx_offers_are_accepted(gib, config_variant):
    loaded = load_config(config_variant(edit={"storage": {"fsx_lustre": {"enabled": True, "storage_capacity_gib": gib}}}))
    assert loaded.config.storage.fsx_lustre.storage_capacity_gib == gib


def test_a_service_range_beside_the_vpc_is_accepted(config_variant):
    """The overlap rule must not reject a range that merely shares the 10/8 block with the VPC."""
    loaded = load_config(config_variant(edit={"cluster.service_ipv4_cidr": "10.100.0.0/16"}))
    assert loaded.config.cluster.service_ipv4_cidr == "10.100.0.0/16"


def test_open_public_endpoint_is_allowed_only_written_out_and_warns(config_variant):
    loaded = load_config(config_variant(edit={"cluster.endpoint_public_access_cidrs": ["0.0.0.0/0"]}))
    assert any("0.0.0.0/0 opens the Kubernetes API endpoint" in w for w in loaded.warnings)


def test_the_public_endpoint_is_off_unless_asked_for(config_variant):
    """A file that says nothing about the endpoint gets a private-only cluster, and no error."""
    path = config_variant(edit={"cluster.endpoint_public_access": DELETE, "cluster.endpoint_public_access_cidrs": DELETE})
    assert load_config(path).config.cluster.endpoint_public_access is False


EXPECTED_WARNINGS = {
    # A private API endpoint: the platform stack must be applied from inside the VPC.
    "existing-vpc.yaml": ["cluster.endpoint_public_access: false: apply the platform stack from inside the VPC"],
    "p5-efa.yaml": ["cluster.endpoint_public_access: false: apply the platform stack from inside the VPC"],
    "p5-training.yaml": ["cluster.endpoint_public_access: false: apply the platform stack from inside the VPC"],
    "trainium.yaml": ["cluster.endpoint_public_access: false: apply the platform stack from inside the VPC"],
}


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_example_config_is_valid_with_only_the_expected_warnings(config):
    warnings = load_config(CONFIG_DIR / config).warnings
    expected = EXPECTED_WARNINGS.get(config, [])
    assert len(warnings) == len(expected)
    for line, start in zip(sorted(warnings), sorted(expected)):
        assert line.startswith(f"{CONFIG_DIR / config}: {start}"), line


def test_nat_none_warns_about_endpoints_and_image_registries(config_variant):
    loaded = load_config(config_variant(edit={"network.nat_gateways": "none"}))
    assert any("missing: ec2, eks, eks-auth, logs, autoscaling" in w for w in loaded.warnings), loaded.warnings
    assert any("ghcr.io" in w for w in loaded.warnings)


def test_a_wrong_capacity_type_does_not_hide_an_unknown_instance_type(config_variant):
    path = config_variant(edit=gpu(capacity_type="reserved", instance_type="p5.48xl", availability_zone="us-west-2q"))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    lines = [line.removeprefix(f"{path}: ") for line in error.value.lines]
    assert lines[0].startswith("gpu_node_groups[0].capacity_type: must be one of on_demand, spot, capacity_block")
    assert any(line.startswith("gpu_node_groups[0].instance_type: unknown instance type 'p5.48xl'") for line in lines)
    assert len(lines) == 2, "the AZ is not checked against an instance type that does not exist"


def test_field_and_cross_field_problems_come_in_one_run(config_variant):
    path = config_variant(
        edit={
            "network.availability_zones": ["us-west-2a", "eu-west-1b"],
            "network.nat_gatways": "single",
            **gpu(min_size=3, max_size=1, desired_size=3),
        }
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    lines = [line.removeprefix(f"{path}: ") for line in error.value.lines]
    assert any(line.startswith("network.nat_gatways: unknown key") for line in lines)
    assert any(line.startswith("network.availability_zones[1]: 'eu-west-1b' is not an availability zone") for line in lines)
    assert any(line.startswith("gpu_node_groups[0].max_size: must be >= min_size (got 1 < 3)") for line in lines)


def test_a_finding_that_compares_with_a_wrong_field_is_not_reported(config_variant):
    path = config_variant(edit=gpu(max_size="x", desired_size=3))
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert [line.removeprefix(f"{path}: ") for line in error.value.lines] == [
        "gpu_node_groups[0].max_size: expected an integer (got 'x', a string)"
    ]


def test_a_subnet_that_fills_up_at_max_pods_is_warned_about(config_variant):
    loaded = load_config(config_variant(edit={"network.vpc_cidr": "10.0.0.0/21"}))
    assert any(
        "private subnet 10.0.0.0/24 (us-west-2a): nodes at max_size running max-pods would need" in w for w in loaded.warnings
    )
