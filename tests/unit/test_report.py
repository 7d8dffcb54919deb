"""The synth summary's capacity and cost figures."""

import pytest

import report
from cluster_config import catalog, load_config
from cluster_config.plan import build_plan
from tests.conftest import CONFIG_DIR


def render(config_file, stacks=None):
    return report.render(build_plan(load_config(CONFIG_DIR / config_file).config), stacks or {"x-network": 1}, "cdktf.out")


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


def test_capacity_blocks_are_flagged_and_unknown_prices_are_not_guessed(tmp_path):
    text = render("capacity-block.yaml")
    assert "capacity_block (priced differently)" in text
    assert "Spot and Capacity Block groups are shown at On-Demand prices" in text
    trn2 = tmp_path / "trn2.yaml"
    trn2.write_text((CONFIG_DIR / "trainium.yaml").read_text().replace("trn1.32xlarge", "trn2.48xlarge"))
    text = report.render(build_plan(load_config(trn2).config), {}, "out")
    assert "(no price for gpu trn1 (trn2.48xlarge))" in text


def test_existing_vpc_has_no_nat_cost():
    assert "NAT gateway" not in render("existing-vpc.yaml")


@pytest.mark.parametrize("config", ["default.yaml", "p5-efa.yaml"])
def test_next_commands(config):
    text = render(config)
    assert "npx cdktf deploy '*'" in text and "aws eks update-kubeconfig --region" in text


def test_fsx_is_charged_by_the_hour_at_idle_and_at_full_scale():
    text = render("p5-training.yaml")
    # 4800 GiB at $0.34 per GB-month (PERSISTENT_2, 500 MB/s/TiB) over 730 hours
    (line,) = [l for l in text.splitlines() if "FSx Lustre" in l]
    assert line.split() == ["FSx", "Lustre", "4800", "GiB", "PERSISTENT_2/500", "1-1", "x", "$2.2356"]


def test_scratch_per_node_is_the_nvme_array_or_the_root_volume(tmp_path):
    line = next(l for l in render("p5-training.yaml").splitlines() if l.strip().startswith("h100"))
    assert "30,400 GB NVMe" in line
    no_nvme = tmp_path / "no-nvme.yaml"
    no_nvme.write_text((CONFIG_DIR / "default.yaml").read_text() + "storage:\n  local_nvme: none\n")
    line = next(l for l in report.render(build_plan(load_config(no_nvme).config), {}, "out").splitlines() if l.strip().startswith("a10g"))
    assert "200 GiB EBS" in line
