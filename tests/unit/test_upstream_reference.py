"""What we render, checked against the upstream charts' own files at the pinned versions.

Every training runtime and example TrainJob validates against the Trainer CRDs
(unknown fields rejected), and every values key a release sets exists in its
chart's values.yaml with the same kind.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cluster_config import load_config
from cluster_config.plan import build_plan
from tests.conftest import EXAMPLE_CONFIGS, ROOT
from tests.upstream import chart_values, require_reference, unknown_values, validate_custom_resource


@pytest.fixture(autouse=True)
def _reference_files():
    require_reference()


# Maps the chart passes through untouched, so any key is valid there.
FREE_FORM = {
    "cluster-autoscaler": {"extraArgs"},  # command-line flags of cluster-autoscaler
}
# Charts with no upstream copy in the reference files: what is set is listed in the pin's "confirmed".
NO_UPSTREAM_COPY = {"neuron-helm-chart"}
# Subcharts: their values sit under the alias in the parent chart's values.
SUBCHARTS = {"kubeflow-trainer": {"jobset": "jobset"}}


def plans():
    return {config: build_plan(load_config(ROOT / "config" / config).config) for config in EXAMPLE_CONFIGS}


def releases_of(plan):
    return {r.name: r for r in plan.platform.releases}


def upstream_values(chart: str) -> dict:
    values = chart_values(chart)
    for alias, directory in SUBCHARTS.get(chart, {}).items():
        values[alias] = {**chart_values(directory), **values.get(alias, {})}
    for key in FREE_FORM.get(chart, ()):
        values[key] = {}
    return values


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_runtime_is_a_valid_cluster_training_runtime(config):
    plan = plans()[config]
    runtimes = releases_of(plan).get("training-runtimes")
    manifests = runtimes.values["manifests"] if runtimes else []
    assert len(manifests) == sum(2 if g.nvidia else 1 for g in plan.gpu_groups), (
        "torch and MPI per NVIDIA group, torch per Trainium group"
    )
    for manifest in manifests:
        assert validate_custom_resource(manifest) == [], manifest["metadata"]["name"]


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_kueue_object_is_valid(config):
    queues = releases_of(plans()[config]).get("queues")
    manifests = queues.values["manifests"] if queues else []
    for manifest in manifests:
        assert validate_custom_resource(manifest) == [], (manifest["kind"], manifest["metadata"]["name"])
    if config == "default.yaml":
        assert {m["kind"] for m in manifests} == {
            "ResourceFlavor",
            "ClusterQueue",
            "LocalQueue",
            "AdmissionCheck",
            "ProvisioningRequestConfig",
        }


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*/trainjob.yaml")), ids=lambda p: p.parent.name)
def test_every_example_trainjob_is_a_valid_trainjob(path: Path):
    job = yaml.safe_load(path.read_text())
    assert validate_custom_resource(job) == []


def test_a_misspelled_runtime_field_is_caught():
    plan = plans()["default.yaml"]
    (runtime,) = [
        m for m in releases_of(plan)["training-runtimes"].values["manifests"] if m["metadata"]["name"].startswith("torch-")
    ]
    broken = yaml.safe_load(yaml.safe_dump(runtime))
    broken["spec"]["template"]["spec"]["failurePolicy"] = {"maxRestart": 3}
    broken["spec"]["mlPolicy"]["numNodes"] = "two"
    errors = validate_custom_resource(broken)
    assert any("maxRestart" in e for e in errors) and any("numNodes" in e for e in errors)


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_values_key_exists_in_the_chart_at_the_pin(config):
    for release in releases_of(plans()[config]).values():
        if release.repository is None or release.chart in NO_UPSTREAM_COPY:
            continue  # our own local chart, or one the reference files lack (see NO_UPSTREAM_COPY)
        assert unknown_values(release.values, upstream_values(release.chart)) == [], release.name


def test_a_values_key_the_chart_does_not_have_is_caught():
    assert unknown_values({"manager": {"nodeSelecter": {}}}, upstream_values("kubeflow-trainer")) == [
        "manager.nodeSelecter: not a key of the chart's values.yaml"
    ]


def leaf_keys(values: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in values.items():
        path = f"{prefix}{key}"
        keys |= leaf_keys(value, f"{path}.") if isinstance(value, dict) and value else {path}
    return keys


def test_what_the_neuron_release_sets_is_what_its_pin_says_was_confirmed():
    """No copy of the Neuron chart at its pin can be rendered; every key set must be one its pin names as confirmed
    (components/neuron_device_plugin.py)."""
    from cluster_config.components import neuron_device_plugin

    (neuron,) = [r for r in releases_of(plans()["trainium.yaml"]).values() if r.chart == "neuron-helm-chart"]
    assert leaf_keys(neuron.values) == {"neuronInstances", "devicePlugin.tolerations", "scheduler.enabled", "npd.enabled"}
    assert all(key in neuron_device_plugin.CHART.confirmed for key in leaf_keys(neuron.values))
