"""GPU, Neuron and EFA metrics through the CloudWatch add-on, and a health alarm per GPU group."""

from __future__ import annotations

import re

import pytest

# The dimension sets the CloudWatch agent publishes each metric with, copied from its EMF
# declarations: aws/amazon-cloudwatch-agent v1.300070.0 (355cbf2, the agent of add-on chart
# 6.4.0), translator/translate/otel/exporter/awsemf/kubernetes.go lines 524 (node_gpu_*) and
# 602 (node_neurondevice_hw_ecc_events_total).
PUBLISHED_DIMENSION_SETS = {
    "node_gpu_temperature": [
        {"ClusterName"},
        {"ClusterName", "NodeName", "InstanceId"},
        {"ClusterName", "NodeName", "InstanceId", "InstanceType", "GpuDevice"},
    ],
    "node_neurondevice_hw_ecc_events_total": [
        {"ClusterName"},
        {"ClusterName", "UltraServer"},
        {"ClusterName", "InstanceId", "NodeName"},
        {"ClusterName", "InstanceId", "NodeName", "NeuronDevice"},
    ],
}
QUERY = re.compile(r"^SELECT MAX\((?P<metric>\w+)\) FROM SCHEMA\(ContainerInsights, (?P<schema>[\w, ]+)\) WHERE (?P<where>.+)$")


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def test_the_cloudwatch_agent_gets_its_access_through_pod_identity(default):
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    (association,) = addons["amazon-cloudwatch-observability"]["pod_identity_association"]
    assert association["service_account"] == "cloudwatch-agent"
    role = default.resources("cluster", "aws_iam_role")[association["role_arn"].split(".")[1]]
    assert "pods.eks.amazonaws.com" in role["assume_role_policy"]
    (attachment,) = [
        a
        for a in default.resources("cluster", "aws_iam_role_policy_attachment").values()
        if a["role"] == association["role_arn"].replace(".arn}", ".name}")
    ]
    assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"


def test_each_gpu_group_has_a_temperature_alarm_that_ignores_a_group_at_zero(default):
    (alarm,) = default.resources("cluster", "aws_cloudwatch_metric_alarm").values()
    assert alarm["alarm_name"] == "demo-a10g-gpu-temperature" and alarm["threshold"] == 85
    assert alarm["treat_missing_data"] == "notBreaching"
    (query,) = alarm["metric_query"]
    assert query["expression"].startswith("SELECT MAX(node_gpu_temperature) FROM SCHEMA(ContainerInsights,")
    assert "ClusterName = 'demo' AND InstanceType = 'g5.12xlarge'" in query["expression"]
    assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{next(iter(default.resources('cluster', 'aws_sns_topic')))}.arn}}"]


def test_trainium_groups_alarm_on_neuron_ecc_events_for_the_whole_cluster(synth):
    (alarm,) = synth("trainium.yaml").resources("cluster", "aws_cloudwatch_metric_alarm").values()
    assert alarm["alarm_name"] == "trn-neuron-ecc"
    assert alarm["metric_query"][0]["expression"] == (
        "SELECT MAX(node_neurondevice_hw_ecc_events_total) FROM SCHEMA(ContainerInsights, ClusterName, InstanceId, NeuronDevice, "
        "NodeName) "
        "WHERE ClusterName = 'trn'"
    )
    assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["threshold"] == 0
    # The count includes corrected events: one event never pages, events in every period of the window do.
    assert alarm["evaluation_periods"] == alarm["datapoints_to_alarm"] == 3


@pytest.mark.parametrize("config", ["default.yaml", "trainium.yaml", "capacity-block.yaml"])
def test_every_alarm_names_a_dimension_set_the_agent_publishes_over_a_15_minute_window(synth, config):
    """Metrics Insights' SCHEMA matches only metrics with exactly those dimensions; any other set never has data."""
    alarms = synth(config).resources("cluster", "aws_cloudwatch_metric_alarm").values()
    assert alarms
    for alarm in alarms:
        (query,) = alarm["metric_query"]
        match = QUERY.match(query["expression"])
        assert match, query["expression"]
        schema = set(match["schema"].split(", "))
        assert schema in PUBLISHED_DIMENSION_SETS[match["metric"]], f"{alarm['alarm_name']}: {sorted(schema)} is not published"
        assert set(re.findall(r"(\w+) = '", match["where"])) <= schema, (
            "a WHERE on a dimension outside the schema matches nothing"
        )
        assert query["period"] * alarm["evaluation_periods"] == 900 and alarm["datapoints_to_alarm"] == 3


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(default):
    (topic,) = default.resources("cluster", "aws_sns_topic").values()
    key = default.resources("cluster", "aws_kms_key")[topic["kms_master_key_id"].split(".")[1]]
    assert key["enable_key_rotation"] is True and '"Service": "cloudwatch.amazonaws.com"' in key["policy"]


def test_observability_off_removes_add_on_role_and_alarms(synth, config_variant):
    result = synth(config_variant(edit={"observability": {"cloudwatch": False}}))
    resources = result.stack("cluster")["resource"]
    assert "aws_cloudwatch_metric_alarm" not in resources and "aws_sns_topic" not in resources
    assert "amazon-cloudwatch-observability" not in {a["addon_name"] for a in resources["aws_eks_addon"].values()}
