"""CloudWatch alarms on the GPU groups' health, and the encrypted topic they notify."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct

from cluster_config.context import AwsContext
from cluster_config.plan.alarms import EVALUATION_PERIODS, PERIOD_SECONDS, AlarmsPlan

from . import bindings as aws
from .rotating_key import RotatingKey, RotatingKeyProps


@dataclass(frozen=True, kw_only=True)
class GpuAlarmsProps:
    context: AwsContext
    plan: AlarmsPlan


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
            name = props.context.name
            key = RotatingKey(
                self,
                "key",
                props=RotatingKeyProps(
                    context=props.context,
                    description=f"{name} GPU alarm notifications",
                    alias=f"{name}-gpu-alarms",
                    # An alarm publishing to an encrypted topic encrypts as CloudWatch (SNS developer
                    # guide, "Encryption at rest": AWS service event sources).
                    service_statements=(
                        {
                            "Sid": "CloudWatchPublishes",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ),
                ),
                depends_on=depends_on,
            )
            self.topic = aws.SnsTopic(self, "topic", name=f"{name}-gpu-alarms", kms_master_key_id=key.arn)
            actions = [self.topic.arn]
        for alarm in props.plan.alarms:
            aws.CloudwatchMetricAlarm(
                self,
                alarm.name,
                alarm_name=alarm.name,
                alarm_description=alarm.description,
                comparison_operator="GreaterThanOrEqualToThreshold" if alarm.threshold else "GreaterThanThreshold",
                threshold=alarm.threshold,
                evaluation_periods=EVALUATION_PERIODS,
                datapoints_to_alarm=EVALUATION_PERIODS,
                treat_missing_data="notBreaching",
                metric_query=[
                    aws.CloudwatchMetricAlarmMetricQuery(
                        id="health",
                        expression=alarm.query,
                        period=PERIOD_SECONDS,
                        return_data=True,
                    )
                ],
                alarm_actions=actions or None,
                ok_actions=actions or None,
            )
