"""Synth assertions for the network stack."""

import pytest


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def test_one_public_and_one_private_subnet_per_az_with_elb_role_tags(default):
    subnets = default.resources("network", "aws_subnet").values()
    private = [s for s in subnets if s["tags"].get("kubernetes.io/role/internal-elb") == "1"]
    public = [s for s in subnets if s["tags"].get("kubernetes.io/role/elb") == "1"]
    assert sorted(s["availability_zone"] for s in private) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert sorted(s["availability_zone"] for s in public) == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert all(s["map_public_ip_on_launch"] is False for s in public)


def test_single_nat_gateway_serves_every_private_route_table(default):
    assert len(default.resources("network", "aws_nat_gateway")) == 1
    routes = [r for r in default.resources("network", "aws_route").values() if "nat_gateway_id" in r]
    assert len(routes) == 3 and len({r["nat_gateway_id"] for r in routes}) == 1


def test_one_nat_per_az_when_asked(synth):
    p5 = synth("p5-efa.yaml")
    assert len(p5.resources("network", "aws_nat_gateway")) == 2
    routes = [r for r in p5.resources("network", "aws_route").values() if "nat_gateway_id" in r]
    assert len({r["nat_gateway_id"] for r in routes}) == 2


def test_s3_is_a_gateway_endpoint_and_the_rest_are_private_dns_interfaces(default):
    endpoints = {e["service_name"]: e for e in default.resources("network", "aws_vpc_endpoint").values()}
    assert sorted(endpoints) == [f"com.amazonaws.us-west-2.{s}" for s in ("ecr.api", "ecr.dkr", "s3", "sts")]
    assert endpoints["com.amazonaws.us-west-2.s3"]["vpc_endpoint_type"] == "Gateway"
    assert len(endpoints["com.amazonaws.us-west-2.s3"]["route_table_ids"]) == 3
    for name in ("ecr.api", "ecr.dkr", "sts"):
        e = endpoints[f"com.amazonaws.us-west-2.{name}"]
        assert e["vpc_endpoint_type"] == "Interface" and e["private_dns_enabled"] is True


def test_default_security_group_is_emptied_and_flow_logs_capture_all_traffic(default):
    (sg,) = default.resources("network", "aws_default_security_group").values()
    assert "ingress" not in sg and "egress" not in sg
    (flow,) = default.resources("network", "aws_flow_log").values()
    assert flow["traffic_type"] == "ALL"


def test_provider_default_tags_merge_user_and_project_tags(default):
    (provider,) = default.stack("network")["provider"]["aws"]
    assert provider["region"] == "us-west-2"
    assert provider["default_tags"][0]["tags"] == {"team": "ml-platform", "gpu-eks:cluster": "demo", "gpu-eks:managed-by": "cdktf"}


def test_outputs_a_user_can_read(default):
    assert {"vpc_id", "private_subnet_ids", "public_subnet_ids"} <= set(default.stack("network")["output"])


def test_bring_your_own_vpc_makes_no_network_stack(synth):
    byo = synth("existing-vpc.yaml")
    assert sorted(byo.stacks) == ["byovpc-cluster", "byovpc-platform"]
