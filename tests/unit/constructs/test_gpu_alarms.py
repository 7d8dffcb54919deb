"""GpuAlarms: one health alarm per GPU group, to an encrypted SNS topic."""

import dataclasses

import pytest

from modules.gpu_alarms import GpuAlarms, GpuAlarmsProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import context_for, policy, synth_alone


def build_with(alarms):
    def build(scope):
        return GpuAlarms(scope, "gpu_alarms", props=GpuAlarmsProps(context=context_for(plan_for("default.yaml")), plan=alarms))

    return build


@pytest.fixture(scope="module")
def with_topic():
    return synth_alone(build_with(plan_for("default.yaml").alarms))


@pytest.fixture(scope="module")
def without_topic():
    return synth_alone(build_with(dataclasses.replace(plan_for("default.yaml").alarms, topic=False)))


def test_a_scaled_to_zero_group_is_not_in_alarm(with_topic):
    (alarm,) = with_topic.resources("aws_cloudwatch_metric_alarm").values()
    assert alarm["treat_missing_data"] == "notBreaching"
    assert alarm["alarm_name"] == "demo-a10g-gpu-temperature"
    assert alarm["threshold"] == 85 and alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
    (query,) = alarm["metric_query"]
    assert query["return_data"] is True and "node_gpu_temperature" in query["expression"]
    assert "InstanceType = 'g5.12xlarge'" in query["expression"]


def test_alarms_and_recoveries_go_to_a_topic_cloudwatch_can_encrypt_for(with_topic):
    topic = with_topic.only_address("aws_sns_topic")
    (alarm,) = with_topic.resources("aws_cloudwatch_metric_alarm").values()
    assert alarm["alarm_actions"] == alarm["ok_actions"] == [f"${{{topic}.arn}}"]
    assert with_topic.resource("aws_sns_topic")["kms_master_key_id"] == f"${{{with_topic.only_address('aws_kms_key')}.arn}}"
    assert with_topic.resource("aws_kms_key")["enable_key_rotation"] is True
    statements = policy(with_topic.resource("aws_kms_key")["policy"])
    assert statements["CloudWatchPublishes"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["CloudWatchPublishes"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


def test_without_a_topic_there_is_no_topic_and_no_action(without_topic):
    assert {"aws_sns_topic", "aws_kms_key"} & without_topic.kinds() == set()
    (alarm,) = without_topic.resources("aws_cloudwatch_metric_alarm").values()
    assert "alarm_actions" not in alarm and "ok_actions" not in alarm


def test_an_alarm_fires_on_a_gpu_that_stays_hot_for_three_5_minute_periods_not_on_one_sample(with_topic):
    (alarm,) = with_topic.resources("aws_cloudwatch_metric_alarm").values()
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (3, 3)
    (query,) = alarm["metric_query"]
    assert query["period"] == 300
