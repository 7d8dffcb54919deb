"""The EKS version calendar: the default minor, the support rules and the extended-support price."""

from __future__ import annotations

import datetime

import pytest

from cluster_config import ConfigError, load_config, versions
from cluster_config.components import cluster_autoscaler
from cluster_config.components.contract import version_tuple
from cluster_config.model import ClusterConfig
from cluster_config.plan import build_plan

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(versions, "today", lambda: TODAY)


def test_calendar_dates_given_by_eks():
    assert versions.CALENDAR["1.34"].end_of_standard == datetime.date(2026, 12, 2)
    assert versions.CALENDAR["1.35"].end_of_standard == datetime.date(2027, 3, 27)
    assert versions.CALENDAR["1.36"].end_of_standard == datetime.date(2027, 8, 2)
    assert all(row.source for row in versions.CALENDAR.values())


def test_default_is_newest_standard_minor_every_pin_runs():
    standard = [m for m, row in versions.CALENDAR.items() if row.support(TODAY) is versions.Support.STANDARD]
    runnable = [m for m in standard if cluster_autoscaler.chart_for(m)]
    assert ClusterConfig.model_fields["kubernetes_version"].default == "1.35"
    assert max(runnable, key=lambda m: int(m.split(".")[1])) == "1.35"


def test_default_control_plane_is_priced_at_the_standard_rate(config_variant):
    plan = build_plan(load_config(config_variant()).config)
    line = plan.costs.lines[0]
    assert (line.label, line.unit_usd) == ("EKS control plane", 0.10)


def test_minor_in_extended_support_warns_and_costs_060(config_variant):
    loaded = load_config(config_variant(edit={"kubernetes_version": "1.34"}))
    assert any(
        "kubernetes_version: 1.34 is in EKS extended support until 2027-12-02" in w and "$0.60/h" in w for w in loaded.warnings
    )
    line = build_plan(loaded.config).costs.lines[0]
    assert (line.label, line.unit_usd) == ("EKS control plane (extended support)", 0.60)


@pytest.mark.parametrize("minor, ended", [("1.30", "2026-07-23"), ("1.31", "2026-11-26")])
def test_minor_past_extended_support_is_rejected(config_variant, minor, ended):
    with pytest.raises(ConfigError) as caught:
        load_config(config_variant(edit={"kubernetes_version": minor}))
    assert (
        f"kubernetes_version: {minor}'s EKS extended support ended on {ended}; EKS creates only 1.32, 1.33, 1.34, 1.35, 1.36"
        in str(caught.value)
    )


def test_minor_newer_than_the_calendar_is_rejected(config_variant):
    with pytest.raises(ConfigError) as caught:
        load_config(config_variant(edit={"kubernetes_version": "1.41"}))
    assert "kubernetes_version: 1.41 is newer than the EKS release calendar this project knows; the newest is 1.36" in str(
        caught.value
    )


def test_support_follows_the_injected_date():
    row = versions.CALENDAR["1.35"]
    assert row.support(datetime.date(2027, 3, 26)) is versions.Support.STANDARD
    assert row.support(datetime.date(2027, 3, 27)) is versions.Support.EXTENDED
    assert row.support(datetime.date(2028, 3, 27)) is versions.Support.ENDED


@pytest.mark.parametrize(
    "tag, parsed",
    [("v0.5.29", (0, 5, 29)), ("v0.5.29-eksbuild.1", (0, 5, 29)), ("0.5.10", (0, 5, 10)), ("v0.5.29-rc1", None), ("v0.5", None)],
)
def test_versions_parse_with_the_eks_build_suffix(tag, parsed):
    assert version_tuple(tag) == parsed
