"""Synth assertions for the whole network stack; the Network construct itself is specified in
tests/unit/constructs/test_network.py."""

import pytest

from tests.conftest import EXAMPLE_CONFIGS, plan_for


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def test_the_network_is_built_from_the_examples_plan(default):
    subnets = default.resources("network", "aws_subnet").values()
    assert sorted(
        (s["availability_zone"], s["cidr_block"]) for s in subnets if "kubernetes.io/role/internal-elb" in s["tags"]
    ) == [("us-west-2a", "10.0.0.0/19"), ("us-west-2b", "10.0.32.0/19"), ("us-west-2c", "10.0.64.0/19")]
    assert len(default.resources("network", "aws_nat_gateway")) == 1
    endpoints = default.resources("network", "aws_vpc_endpoint").values()
    assert sorted(e["service_name"].removeprefix("com.amazonaws.us-west-2.") for e in endpoints) == [
        "ecr.api",
        "ecr.dkr",
        "s3",
        "sts",
    ]


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_aws_stack_tags_everything_with_the_users_and_the_projects_tags(synth, config):
    plan = plan_for(config)
    for name, stack in synth(config).stacks.items():
        for provider in stack.get("provider", {}).get("aws", []):
            assert provider["region"] == plan.region, name
            assert provider["default_tags"] == [{"tags": plan.tags}], name


def test_provider_default_tags_merge_user_and_project_tags(default):
    (provider,) = default.stack("network")["provider"]["aws"]
    assert provider["default_tags"][0]["tags"] == {
        "team": "ml-platform",
        "gpu-eks:cluster": "demo",
        "gpu-eks:managed-by": "cdktf",
    }


def test_the_flow_log_key_keeps_its_terraform_address(default):
    assert list(default.resources("network", "aws_kms_key")) == ["network_flow_logs_key_3DD9B73A"]


def test_outputs_a_user_can_read(default):
    outputs = default.stack("network")["output"]
    vpc = next(iter(default.resources("network", "aws_vpc")))
    assert outputs["vpc_id"]["value"] == f"${{aws_vpc.{vpc}.id}}"
    assert len(outputs["private_subnet_ids"]["value"]) == 3 and all(
        "network_private_" in s for s in outputs["private_subnet_ids"]["value"]
    )
    assert len(outputs["public_subnet_ids"]["value"]) == 3 and all(
        "network_public_" in s for s in outputs["public_subnet_ids"]["value"]
    )


def test_bring_your_own_vpc_makes_no_network_stack(synth):
    byo = synth("existing-vpc.yaml")
    assert sorted(byo.stacks) == ["byovpc-cluster", "byovpc-platform"]
