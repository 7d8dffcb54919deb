"""CloudWatch alarms on the GPU groups' health, and the encrypted topic they notify."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.plan.alarms import EVALUATION_PERIODS, PERIOD_SECONDS, AlarmsPlan

from . import bindings as aws
from .iam import account_key_policy


@dataclass(frozen=True, kw_only=True)
class GpuAlarmsProps:
    cluster_name: str
    plan: AlarmsPlan
    partition: str
    account_id: str


class GpuAlarms(Construct):
    """One alarm per NVIDIA group and one for the Neuron devices, each on a Metrics Insights
    query over Container Insights whose metric and dimension set the plan traces to the
    CloudWatch agent's source (cluster_config/plan/alarms.py), so a group scaled to zero (no
    data) is OK rather than in alarm. With a topic, alarms
    go to an SNS topic encrypted with a rotating key that CloudWatch may use to publish."""

    def __init__(self, scope: Construct, id_: str, *, props: GpuAlarmsProps, depends_on=()) -> None:
        super().__init__(scope, id_)
        actions: list[str] = []
        if props.plan.topic:
            key = aws.KmsKey(
                self, "key", description=f"{props.cluster_name} GPU alarm notifications", enable_key_rotation=True,
                deletion_window_in_days=30,
                # An alarm publishing to an encrypted topic encrypts as CloudWatch (SNS developer
                # guide, "Encryption at rest": AWS service event sources).
                policy=account_key_policy(partition=props.partition, account_id=props.account_id, service_statements=(
                    {"Sid": "CloudWatchPublishes", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                     "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
                )),
                depends_on=list(depends_on) or None,
            )
            aws.KmsAlias(self, "key_alias", name=f"alias/{props.cluster_name}-gpu-alarms", target_key_id=key.key_id)
            self.topic = aws.SnsTopic(self, "topic", name=f"{props.cluster_name}-gpu-alarms", kms_master_key_id=key.arn)
            actions = [self.topic.arn]
        for alarm in props.plan.alarms:
            aws.CloudwatchMetricAlarm(
                self, alarm.name, alarm_name=alarm.name, alarm_description=alarm.description,
                comparison_operator="GreaterThanOrEqualToThreshold" if alarm.threshold else "GreaterThanThreshold",
                threshold=alarm.threshold, evaluation_periods=EVALUATION_PERIODS, datapoints_to_alarm=EVALUATION_PERIODS,
                treat_missing_data="notBreaching",
                metric_query=[aws.CloudwatchMetricAlarmMetricQuery(
                    id="health", expression=alarm.query, period=PERIOD_SECONDS, return_data=True,
                )],
                alarm_actions=actions or None, ok_actions=actions or None,
            )
