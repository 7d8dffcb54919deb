"""GPU, Neuron and EFA metrics through the CloudWatch add-on, and a health alarm per GPU group."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def test_the_cloudwatch_agent_gets_its_access_through_pod_identity(default):
    addons = {a["addon_name"]: a for a in default.resources("cluster", "aws_eks_addon").values()}
    (association,) = addons["amazon-cloudwatch-observability"]["pod_identity_association"]
    assert association["service_account"] == "cloudwatch-agent"
    role = default.resources("cluster", "aws_iam_role")[association["role_arn"].split(".")[1]]
    assert "pods.eks.amazonaws.com" in role["assume_role_policy"]
    (attachment,) = [a for a in default.resources("cluster", "aws_iam_role_policy_attachment").values()
                     if a["role"] == association["role_arn"].replace(".arn}", ".name}")]
    assert attachment["policy_arn"] == "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"


def test_each_gpu_group_has_a_temperature_alarm_that_ignores_a_group_at_zero(default):
    (alarm,) = default.resources("cluster", "aws_cloudwatch_metric_alarm").values()
    assert alarm["alarm_name"] == "demo-a10g-gpu-temperature" and alarm["threshold"] == 85
    assert alarm["treat_missing_data"] == "notBreaching"
    (query,) = alarm["metric_query"]
    assert query["expression"].startswith("SELECT MAX(node_gpu_temperature) FROM SCHEMA(ContainerInsights,")
    assert "ClusterName = 'demo' AND InstanceType = 'g5.12xlarge'" in query["expression"]
    assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{next(iter(default.resources('cluster', 'aws_sns_topic')))}.arn}}"]


def test_trainium_groups_alarm_on_neuron_ecc_events(synth):
    (alarm,) = synth("trainium.yaml").resources("cluster", "aws_cloudwatch_metric_alarm").values()
    assert "node_neurondevice_hw_ecc_events_total" in alarm["metric_query"][0]["expression"]
    assert alarm["comparison_operator"] == "GreaterThanThreshold" and alarm["threshold"] == 0


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(default):
    (topic,) = default.resources("cluster", "aws_sns_topic").values()
    key = default.resources("cluster", "aws_kms_key")[topic["kms_master_key_id"].split(".")[1]]
    assert key["enable_key_rotation"] is True and '"Service": "cloudwatch.amazonaws.com"' in key["policy"]


def test_observability_off_removes_add_on_role_and_alarms(synth, config_variant):
    result = synth(config_variant(edit={"observability": {"cloudwatch": False}}))
    resources = result.stack("cluster")["resource"]
    assert "aws_cloudwatch_metric_alarm" not in resources and "aws_sns_topic" not in resources
    assert "amazon-cloudwatch-observability" not in {a["addon_name"] for a in resources["aws_eks_addon"].values()}
