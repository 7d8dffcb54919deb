"""The synth summary's capacity and cost figures."""

import pytest

import report
from cluster_config import catalog
from tests.conftest import plan_for


def render(config_file, stacks=None):
    return report.render(plan_for(config_file), stacks or {"x-network": 1}, "cdktf.out")


def test_default_idle_cost_is_control_plane_one_nat_and_two_system_nodes():
    text = render("default.yaml")
    expected = catalog.EKS_CONTROL_PLANE_USD_PER_HOUR + catalog.NAT_GATEWAY_USD_PER_HOUR + 2 * catalog.CPU_ON_DEMAND_USD_PER_HOUR["m6i.large"]
    assert f"at idle (min sizes):   ${expected:,.2f}/h" in text
    full = expected - 2 * 0.096 + 4 * 0.096 + 2 * catalog.INSTANCE_TYPES["g5.12xlarge"].on_demand_usd_per_hour
    assert f"at full scale (max):   ${full:,.2f}/h" in text


def test_gpu_table_shows_gpus_and_efa_per_node_and_totals():
    line = next(l for l in render("p5-efa.yaml").splitlines() if l.strip().startswith("h100"))
    assert line.split()[:6] == ["h100", "p5.48xlarge", "8", "32", "0-2", "0-16"]


def test_one_nat_per_az_is_counted():
    assert "NAT gateway                          2-2 x $0.045" in render("p5-efa.yaml")


def test_capacity_blocks_are_flagged_and_unknown_prices_are_not_guessed(config_variant):
    text = render("capacity-block.yaml")
    assert "capacity_block (priced differently)" in text
    assert "Spot and Capacity Block groups are shown at On-Demand prices" in text
    trn2 = config_variant("trainium.yaml", edit={"gpu_node_groups.0.instance_type": "trn2.48xlarge"})
    assert "(no price for gpu trn1 (trn2.48xlarge))" in render(trn2)


def test_existing_vpc_has_no_nat_cost():
    assert "NAT gateway" not in render("existing-vpc.yaml")


def test_no_nat_gateways_cost_nothing(config_variant):
    """nat_gateways: none is chosen to save the NAT's hourly price; the summary must not charge it."""
    text = render(config_variant(edit={"network.nat_gateways": "none"}))
    assert "NAT gateway" not in text
    idle = catalog.EKS_CONTROL_PLANE_USD_PER_HOUR + 2 * catalog.CPU_ON_DEMAND_USD_PER_HOUR["m6i.large"]
    assert f"at idle (min sizes):   ${idle:,.2f}/h" in text


@pytest.mark.parametrize("config", ["default.yaml", "p5-efa.yaml"])
def test_next_commands(config):
    text = render(config)
    assert "npx cdktf deploy '*'" in text and "aws eks update-kubeconfig --region" in text
