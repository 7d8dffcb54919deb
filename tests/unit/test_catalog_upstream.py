"""The catalog (cluster_config/instance_types.csv) against the upstream generated tables.

tests/data/upstream-instance-types.json is an extract, by tools/catalog_upstream.py, of
tables karpenter and the VPC CNI generate from EC2 DescribeInstanceTypes. A typo in a
hand-kept row, a family half added, or a price from another region fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cluster_config import catalog
from cluster_config.catalog import INSTANCE_TYPES, SOURCES

UPSTREAM = json.loads((Path(__file__).resolve().parents[1] / "data" / "upstream-instance-types.json").read_text())
TYPES = UPSTREAM["types"]

# Rows the upstream extract cannot check in full, and why. Everything else is compared field by field.
PARTLY_CHECKED = {
    "trn2.3xlarge": "not in karpenter's generated table at the extracted commit; only its network cards are upstream",
}

# Karpenter's GPU names, lower case, for the catalog's display names.
NVIDIA_NAMES = {
    "NVIDIA T4": "t4",
    "NVIDIA A10G": "a10g",
    "NVIDIA L4": "l4",
    "NVIDIA L40S": "l40s",
    "NVIDIA A100 40GB": "a100",
    "NVIDIA A100 80GB": "a100",
    "NVIDIA H100": "h100",
    "NVIDIA H200": "h200",
    "NVIDIA B200": "b200",
    "NVIDIA B300": "b300",
}
NEURON_NAMES = {"AWS Trainium": "trainium", "AWS Trainium2": "trainium2"}

FULLY_CHECKED = sorted(set(INSTANCE_TYPES) - set(PARTLY_CHECKED))


def test_the_catalog_holds_exactly_the_upstream_types_of_its_families():
    families = set(UPSTREAM["families"])
    assert {t.family for t in INSTANCE_TYPES.values()} == families
    assert set(INSTANCE_TYPES) == set(TYPES)


def test_partly_checked_rows_are_the_ones_upstream_lacks():
    assert {n for n, row in TYPES.items() if not row["in_karpenter_table"]} == set(PARTLY_CHECKED)


@pytest.mark.parametrize("name", FULLY_CHECKED)
def test_a_row_agrees_with_upstream(name):
    ours, theirs = INSTANCE_TYPES[name], TYPES[name]
    assert ours.vcpus == theirs["vcpus"]
    assert ours.memory_gib * 1024 == theirs["memory_mib"]
    assert ours.network_cards == theirs["network_cards"]
    assert ours.max_efa_interfaces == theirs["max_efa_interfaces"]
    assert ours.instance_store_gb == theirs["local_nvme_gb"]
    baseline = float(re.match(r"[0-9.]+", ours.network_gbps).group())
    assert round(baseline * 1000) == theirs["network_bandwidth_mbps"]
    assert ours.on_demand_usd_per_hour == theirs["on_demand_usd_per_hour_us_east_1"]
    if ours.accelerator_kind == "nvidia":
        assert (NVIDIA_NAMES[ours.accelerator], ours.accelerators) == (theirs["gpu_name"], theirs["gpu_count"])
        # karpenter gives MiB per GPU; the catalog shows GiB to two places.
        assert ours.accelerator_memory_gib == pytest.approx(theirs["gpu_memory_mib"] / 1024, abs=0.005)
    else:
        assert (NEURON_NAMES[ours.accelerator], ours.accelerators) == (theirs["accelerator_name"], theirs["accelerator_count"])


@pytest.mark.parametrize("name", sorted(PARTLY_CHECKED))
def test_a_partly_checked_row_agrees_where_upstream_speaks_and_claims_nothing_unconfirmed(name):
    ours = INSTANCE_TYPES[name]
    assert ours.network_cards == TYPES[name]["network_cards"]
    assert not ours.efa_supported and not ours.capacity_block and ours.on_demand_usd_per_hour is None
    assert "TRN2-3XL" in ours.sources


def test_every_row_names_known_sources_and_the_facts_it_states_have_one():
    for t in INSTANCE_TYPES.values():
        assert t.sources and set(t.sources) <= set(SOURCES), t.name
        assert ("K-PR" in t.sources) == (t.on_demand_usd_per_hour is not None), t.name
        assert ("CB" in t.sources) >= t.capacity_block, t.name
        assert "AC-DOC" in t.sources or not t.instance_store_disks, t.name


def test_efa_fits_the_cards_one_per_card_and_card_zero_only_where_stated():
    for t in INSTANCE_TYPES.values():
        assert t.max_efa_interfaces <= t.network_cards, t.name
        assert t.card0_supports_efa == (t.efa_supported and t.max_efa_interfaces == t.network_cards), t.name
        assert 0 < t.instance_store_disks <= t.instance_store_gb, t.name


def test_gpudirect_rdma_and_nvlink_are_the_multi_gpu_p_types():
    rdma = {n for n, t in INSTANCE_TYPES.items() if t.gpudirect_rdma}
    assert rdma == {n for n in INSTANCE_TYPES if n.startswith("p") and n.endswith(("24xlarge", "48xlarge"))}
    assert rdma == {n for n, t in INSTANCE_TYPES.items() if t.nvlink}


def test_a_malformed_row_fails_at_import_naming_line_and_field(tmp_path):
    rows = catalog.CATALOG_FILE.read_text().splitlines()
    bad = tmp_path / "instance_types.csv"
    bad.write_text("\n".join([rows[0], rows[1].replace(",false,", ",no,", 1)]) + "\n")
    with pytest.raises(ValueError, match=r"instance_types\.csv:2 card0_supports_efa: 'no' is not true or false"):
        catalog._load(bad)
    bad.write_text("\n".join([rows[0], rows[1].rsplit(",", 1)[0] + ",K-IT WIKI"]) + "\n")
    with pytest.raises(ValueError, match=r"instance_types\.csv:2: sources \['WIKI'\]"):
        catalog._load(bad)
