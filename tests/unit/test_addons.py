"""The EKS add-ons' configuration: the node agents reach every GPU and Neuron node."""

from __future__ import annotations

import json

import pytest
import yaml

from cluster_config.catalog import INSTANCE_TYPES
from tests.conftest import EXAMPLE_CONFIGS, plan_for
from tests.upstream import require_reference

NVIDIA_TYPES = {n for n, t in INSTANCE_TYPES.items() if t.accelerator_kind == "nvidia"}
NEURON_TYPES = {n for n, t in INSTANCE_TYPES.items() if t.accelerator_kind == "neuron"}


def chart(name: str):
    return require_reference() / "charts" / name


def addon(config: str, name: str):
    return next(a for a in plan_for(config).addons if a.name == name)


def tolerates(tolerations: list[dict], taint) -> bool:
    """The scheduler's TaintToleration rule (k8s.io/api core/v1 Toleration.ToleratesTaint)."""
    for t in tolerations:
        if t.get("effect") and t["effect"] != taint.effect:
            continue
        if not t.get("key"):
            if t.get("operator") == "Exists":
                return True
            continue
        if t["key"] != taint.key:
            continue
        if t.get("operator") == "Exists" or t.get("value", "") == taint.value:
            return True
    return False


def instance_types_of(affinity: dict) -> set[str]:
    (term,) = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    (types,) = [e["values"] for e in term["matchExpressions"] if e["key"] == "node.kubernetes.io/instance-type"]
    return set(types)


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_the_dcgm_server_tolerates_every_taint_of_every_gpu_group(config):
    """The agent's XID, ECC and NVLink checks need it; the chart's default is no toleration at all."""
    plan = plan_for(config)
    tolerations = addon(config, "eks-node-monitoring-agent").configuration["dcgmAgent"]["tolerations"]
    for group in plan.gpu_groups:
        assert all(tolerates(tolerations, t) for t in group.taints), group.name


def test_the_dcgm_server_tolerates_a_users_own_taints(config_variant):
    plan = plan_for(config_variant(edit={"gpu_node_groups.0.taints": ["team=research:NoSchedule", "dedicated:NoExecute"]}))
    (agent,) = [a for a in plan.addons if a.name == "eks-node-monitoring-agent"]
    assert all(tolerates(agent.configuration["dcgmAgent"]["tolerations"], t) for t in plan.gpu_groups[0].taints)


def test_the_charts_default_tolerates_no_gpu_group_and_the_configuration_is_in_the_add_ons_schema():
    import jsonschema

    values = yaml.safe_load((chart("eks-node-monitoring-agent-1.7.0") / "values.yaml").read_text())
    assert values["dcgmAgent"]["tolerations"] == []
    schema = json.loads(
        (require_reference() / "charts" / "eks-node-monitoring-agent-1.7.0.configuration.schema.json").read_text()
    )
    jsonschema.validate(addon("default.yaml", "eks-node-monitoring-agent").configuration, schema)


def test_every_catalog_nvidia_type_is_in_the_dcgm_servers_node_affinity():
    """The affinity is left as the chart has it; a new catalog type missing from it must be handled."""
    values = yaml.safe_load((chart("eks-node-monitoring-agent-1.7.0") / "values.yaml").read_text())
    assert NVIDIA_TYPES <= instance_types_of(values["dcgmAgent"]["affinity"])


def test_the_cloudwatch_exporters_run_on_every_catalog_accelerator_type():
    values = yaml.safe_load((chart("amazon-cloudwatch-observability-6.4.0") / "values.yaml").read_text())
    # Why: chart 6.4.0's DCGM exporter list lacks p5.4xlarge, whose group got no GPU metrics.
    assert "p5.4xlarge" not in instance_types_of(values["dcgmExporter"]["affinity"])
    configuration = addon("default.yaml", "amazon-cloudwatch-observability").configuration
    assert instance_types_of(configuration["dcgmExporter"]["affinity"]) == NVIDIA_TYPES
    assert instance_types_of(configuration["neuronMonitor"]["affinity"]) == NEURON_TYPES
    for key in ("dcgmExporter", "neuronMonitor"):
        assert "affinity" in values[key], f"{key}.affinity is not a value of the chart"
    # The chart's other condition stays: never on Fargate.
    (term,) = configuration["dcgmExporter"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert {"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]} in term["matchExpressions"]
