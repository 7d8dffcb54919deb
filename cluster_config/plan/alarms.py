"""A CloudWatch alarm per GPU group on the health signal Container Insights publishes for it."""

from __future__ import annotations

from dataclasses import dataclass

from .. import names
from ..model import Observability
from .nodes import GpuNodeGroupPlan

# Container Insights publishes no NVIDIA XID, ECC or NVLink metric (the add-on's DCGM
# exporter collects utilisation, memory, power and temperature); XID faults reach the
# node monitoring agent and node auto repair instead. Heat is the GPU health signal in
# CloudWatch: a data-center GPU that stays this hot is throttling or failing its cooling.
GPU_TEMPERATURE_CELSIUS = 85
# Neuron devices report hardware ECC events; any is a fault.
NEURON_ECC_EVENTS = 0
PERIOD_SECONDS = 300
EVALUATION_PERIODS = 3


@dataclass(frozen=True, kw_only=True)
class AlarmPlan:
    name: str
    description: str
    query: str  # a CloudWatch Metrics Insights query returning one series
    threshold: float


@dataclass(frozen=True, kw_only=True)
class AlarmsPlan:
    alarms: tuple[AlarmPlan, ...]
    topic: bool  # send them to an SNS topic


def _query(metric: str, schema: tuple[str, ...], cluster_name: str, instance_types: tuple[str, ...]) -> str:
    types = " OR ".join(f"InstanceType = '{t}'" for t in instance_types)
    return (f"SELECT MAX({metric}) FROM SCHEMA({names.CONTAINER_INSIGHTS}, {', '.join(schema)}) "
            f"WHERE ClusterName = '{cluster_name}' AND {types if len(instance_types) == 1 else f'({types})'}")


def alarm_for(group: GpuNodeGroupPlan, cluster_name: str) -> AlarmPlan:
    # Instance types identify a group's nodes in the metrics (groups sharing a type share an alarm's data).
    if group.nvidia:
        return AlarmPlan(
            name=f"{cluster_name}-{group.name}-gpu-temperature",
            description=f"A GPU of {group.node_group_name} ({group.instance.name}) stayed at or above {GPU_TEMPERATURE_CELSIUS} C "
                        f"for {EVALUATION_PERIODS * PERIOD_SECONDS // 60} minutes",
            query=_query("node_gpu_temperature", ("ClusterName", "GpuDevice", "InstanceId", "InstanceType", "NodeName"),
                         cluster_name, group.instance_types),
            threshold=GPU_TEMPERATURE_CELSIUS,
        )
    return AlarmPlan(
        name=f"{cluster_name}-{group.name}-neuron-ecc",
        description=f"A Neuron device of {group.node_group_name} ({group.instance.name}) reported hardware ECC events",
        query=_query("node_neurondevice_hw_ecc_events_total", ("ClusterName", "InstanceId", "InstanceType", "NeuronDevice", "NodeName"),
                     cluster_name, group.instance_types),
        threshold=NEURON_ECC_EVENTS,
    )


def alarms_plan(observability: Observability, *, cluster_name: str, groups: tuple[GpuNodeGroupPlan, ...]) -> AlarmsPlan | None:
    if not observability.cloudwatch or not groups:
        return None
    return AlarmsPlan(alarms=tuple(alarm_for(g, cluster_name) for g in groups), topic=observability.alarm_topic)
