"""Network: the VPC, its subnets, NAT, endpoints and flow logs."""

import ipaddress
import json

import pytest

from modules.network import Network, NetworkProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import policy, synth_alone

PRIVATE_ELB_TAG, PUBLIC_ELB_TAG = "kubernetes.io/role/internal-elb", "kubernetes.io/role/elb"


def network(plan):
    return plan.network, synth_alone(lambda scope: Network(scope, "network", props=NetworkProps(plan=plan.network)))


@pytest.fixture(scope="module")
def default():
    return network(plan_for("default.yaml"))  # 10.0.0.0/16 over three zones, one NAT gateway


@pytest.fixture(scope="module")
def per_zone():
    return network(plan_for("p5-efa.yaml"))  # nat_gateways: one_per_az over two zones


@pytest.fixture(scope="module")
def small(config_variant):
    """The smallest VPC the rules allow, over four zones, with no NAT gateway."""
    path = config_variant(
        edit={
            "network.vpc_cidr": "10.0.0.0/21",
            "network.nat_gateways": "none",
            "network.availability_zones": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
        }
    )
    return network(plan_for(path))


def subnets(spec, tag):
    return [s for s in spec.resources("aws_subnet").values() if s["tags"].get(tag) == "1"]


def referenced(spec, reference):
    """The resource a "${<type>.<key>.<attribute>}" reference points at."""
    kind, key, _ = reference.strip("${}").split(".", 2)
    return spec.resources(kind)[key]


def test_the_vpc_has_the_planned_range_and_dns(default):
    _, spec = default
    spec.expect_resource("aws_vpc", {"cidr_block": "10.0.0.0/16", "enable_dns_support": True, "enable_dns_hostnames": True})


def test_each_zone_gets_a_private_and_a_public_subnet_tagged_for_load_balancers(default):
    plan, spec = default
    private, public = subnets(spec, PRIVATE_ELB_TAG), subnets(spec, PUBLIC_ELB_TAG)
    assert sorted((s["availability_zone"], s["cidr_block"]) for s in private) == sorted(
        (p.availability_zone, p.private_cidr) for p in plan.subnets
    )
    assert sorted((s["availability_zone"], s["cidr_block"]) for s in public) == sorted(
        (p.availability_zone, p.public_cidr) for p in plan.subnets
    )
    assert len(private) == len(public) == 3 and len(spec.resources("aws_subnet")) == 6


def test_public_subnets_never_hand_out_public_ips(default):
    _, spec = default
    assert all(s["map_public_ip_on_launch"] is False for s in subnets(spec, PUBLIC_ELB_TAG))


def test_a_21_vpc_still_gives_every_public_subnet_the_27_a_load_balancer_needs(small):
    _, spec = small
    public = [ipaddress.IPv4Network(s["cidr_block"]) for s in subnets(spec, PUBLIC_ELB_TAG)]
    private = [ipaddress.IPv4Network(s["cidr_block"]) for s in subnets(spec, PRIVATE_ELB_TAG)]
    assert len(public) == len(private) == 4
    assert all(n.prefixlen <= 27 for n in public), [str(n) for n in public]
    everything = public + private
    assert all(n.subnet_of(ipaddress.IPv4Network("10.0.0.0/21")) for n in everything)
    assert not any(a.overlaps(b) for i, a in enumerate(everything) for b in everything[i + 1 :])


def test_public_subnets_route_to_the_internet_gateway(default):
    _, spec = default
    igw = spec.only_address("aws_internet_gateway")
    (route,) = [r for r in spec.resources("aws_route").values() if "gateway_id" in r]
    assert route["destination_cidr_block"] == "0.0.0.0/0" and route["gateway_id"] == f"${{{igw}.id}}"
    public_table = referenced(spec, route["route_table_id"])
    associated = [
        a for a in spec.resources("aws_route_table_association").values() if referenced(spec, a["route_table_id"]) is public_table
    ]
    assert sorted(referenced(spec, a["subnet_id"])["availability_zone"] for a in associated) == [
        "us-west-2a",
        "us-west-2b",
        "us-west-2c",
    ]


def test_a_single_nat_gateway_serves_every_private_subnet(default):
    _, spec = default
    (nat,) = spec.resources("aws_nat_gateway").values()
    assert referenced(spec, nat["subnet_id"])["tags"].get(PUBLIC_ELB_TAG) == "1"  # NAT lives in a public subnet
    routes = [r for r in spec.resources("aws_route").values() if "nat_gateway_id" in r]
    assert len(routes) == 3 and all(
        referenced(spec, r["nat_gateway_id"]) is nat and r["destination_cidr_block"] == "0.0.0.0/0" for r in routes
    )


def test_one_nat_gateway_per_zone_serves_its_own_zone(per_zone):
    _, spec = per_zone
    assert len(spec.resources("aws_nat_gateway")) == 2 and len(spec.resources("aws_eip")) == 2
    routes = [r for r in spec.resources("aws_route").values() if "nat_gateway_id" in r]
    pairs = {
        (referenced(spec, r["route_table_id"])["tags"]["Name"], referenced(spec, r["nat_gateway_id"])["tags"]["Name"])
        for r in routes
    }
    assert pairs == {
        ("p5train-private-us-east-1a", "p5train-nat-us-east-1a"),
        ("p5train-private-us-east-1b", "p5train-nat-us-east-1b"),
    }


def test_without_nat_gateways_private_subnets_have_no_way_out_but_the_endpoints(small):
    _, spec = small
    assert not {"aws_nat_gateway", "aws_eip"} & spec.kinds()
    assert [r for r in spec.resources("aws_route").values() if "nat_gateway_id" in r] == []
    assert len(spec.resources("aws_vpc_endpoint")) == 4


def test_the_default_security_group_is_emptied(default):
    _, spec = default
    group = spec.resource("aws_default_security_group")
    assert "ingress" not in group and "egress" not in group  # no rule blocks: the provider removes every rule


def test_s3_is_a_gateway_on_every_private_route_table(default):
    _, spec = default
    (s3,) = [e for e in spec.resources("aws_vpc_endpoint").values() if e["service_name"] == "com.amazonaws.us-west-2.s3"]
    assert s3["vpc_endpoint_type"] == "Gateway"
    assert sorted(referenced(spec, t)["tags"]["Name"] for t in s3["route_table_ids"]) == [
        f"demo-private-us-west-2{z}" for z in "abc"
    ]


def test_interface_endpoints_answer_https_from_inside_the_vpc_only(default):
    _, spec = default
    group = spec.only_address("aws_security_group")
    interfaces = {
        e["service_name"]: e for e in spec.resources("aws_vpc_endpoint").values() if e["vpc_endpoint_type"] == "Interface"
    }
    assert sorted(interfaces) == [f"com.amazonaws.us-west-2.{s}" for s in ("ecr.api", "ecr.dkr", "sts")]
    for endpoint in interfaces.values():
        assert endpoint["private_dns_enabled"] is True and endpoint["security_group_ids"] == [f"${{{group}.id}}"]
        assert sorted(referenced(spec, s)["tags"].get(PRIVATE_ELB_TAG) for s in endpoint["subnet_ids"]) == ["1", "1", "1"]
    (rule,) = spec.resources("aws_vpc_security_group_ingress_rule").values()
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"], rule["cidr_ipv4"]) == ("tcp", 443, 443, "10.0.0.0/16")
    assert "aws_vpc_security_group_egress_rule" not in spec.kinds()


def test_flow_logs_record_all_traffic_into_an_encrypted_group_with_retention(default):
    _, spec = default
    log_group = spec.only_address("aws_cloudwatch_log_group")
    spec.expect_resource(
        "aws_flow_log",
        {
            "traffic_type": "ALL",
            "log_destination_type": "cloud-watch-logs",
            "log_destination": f"${{{log_group}.arn}}",
            "iam_role_arn": f"${{{spec.only_address('aws_iam_role')}.arn}}",
            "vpc_id": f"${{{spec.only_address('aws_vpc')}.id}}",
        },
    )
    spec.expect_resource(
        "aws_cloudwatch_log_group",
        {
            "name": "/aws/vpc/demo/flow-logs",
            "retention_in_days": 90,
            "kms_key_id": f"${{{spec.only_address('aws_kms_key')}.arn}}",
        },
    )
    spec.expect_resource("aws_kms_key", {"enable_key_rotation": True})


def test_the_flow_log_role_may_only_write_to_its_log_group(default):
    _, spec = default
    trust = json.loads(spec.resource("aws_iam_role")["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    (statement,) = policy(spec.resource("aws_iam_role_policy")["policy"]).values()
    assert statement["Resource"] == f"${{{spec.only_address('aws_cloudwatch_log_group')}.arn}}:*"
    assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}


def test_the_flow_log_key_and_group_keep_their_terraform_addresses(default):
    _, spec = default
    assert list(spec.resources("aws_kms_key")) == ["network_flow_logs_key_3DD9B73A"]
    assert list(spec.resources("aws_cloudwatch_log_group")) == ["network_flow_logs_4DFD04D3"]
    assert list(spec.resources("aws_kms_alias")) == ["network_flow_logs_key_alias_323C7576"]
    assert spec.doc["moved"] == [
        {"from": "aws_kms_alias.network_flow_logs_key_alias_2247E7EF", "to": "aws_kms_alias.network_flow_logs_key_alias_323C7576"}
    ]
