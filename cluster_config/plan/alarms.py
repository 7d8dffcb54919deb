"""CloudWatch alarms on the health signals Container Insights publishes: one per NVIDIA group, one for the Neuron devices."""

from __future__ import annotations

from dataclasses import dataclass

from .. import names
from ..model import Observability
from .nodes import GpuNodeGroupPlan

# A Metrics Insights SCHEMA(...) matches only metrics with exactly that set of dimensions,
# so each query names a set the CloudWatch agent publishes the metric with. The sets are the
# agent's EMF metric declarations (aws/amazon-cloudwatch-agent
# translator/translate/otel/exporter/awsemf/kubernetes.go at v1.300070.0 = 355cbf2, the agent
# 1.300070.0b1586 that amazon-cloudwatch-observability chart 6.4.0 runs).
#
# node_gpu_temperature (lines 524 and 531): {ClusterName}, {ClusterName, NodeName, InstanceId}
# and {ClusterName, NodeName, InstanceId, InstanceType, GpuDevice}. The last names the
# instance type, so an NVIDIA group's alarm reads its own types (groups that share a type
# share the alarm's data). Container Insights publishes no NVIDIA XID, ECC or NVLink metric;
# those faults reach the node monitoring agent and node auto repair instead. Heat is the GPU
# health signal in CloudWatch: a data-center GPU that stays this hot is throttling or
# failing its cooling.
GPU_TEMPERATURE_CELSIUS = 85
GPU_TEMPERATURE_SCHEMA = ("ClusterName", "GpuDevice", "InstanceId", "InstanceType", "NodeName")
# node_neurondevice_hw_ecc_events_total (lines 602 and 604): {ClusterName}, {ClusterName,
# UltraServer}, {ClusterName, InstanceId, NodeName} and {ClusterName, InstanceId, NodeName,
# NeuronDevice}. No set names the instance type or the node group, so the Neuron alarm
# cannot be scoped to a group: it is one alarm for the cluster's Neuron devices.
#
# The metric is the sum of the neuron monitor's mem_ecc_corrected, mem_ecc_uncorrected,
# sram_ecc_corrected and sram_ecc_uncorrected counts (plugins/processors/gpuattributes/
# internal/awsneuron_metric_modifier.go lines 105-108, same tag); the per-kind metrics go to
# the performance log only, so no CloudWatch metric isolates uncorrected errors. Those are
# what the node monitoring agent turns into AcceleratedHardwareReady=False
# (NeuronHBMUncorrectableError, NeuronSRAMUncorrectableError, NeuronNCUncorrectableError:
# aws/eks-node-monitoring-agent v1.7.0 monitors/neuron/monitor.go lines 68-85) and node auto
# repair acts on. So a single corrected event must not page: the agent reports the count as a
# delta per interval (awsneuron_metric_modifier.go lines 246-247 and 262-263), and the alarm
# fires only when a device reports events in every period of the window (datapoints_to_alarm
# = EVALUATION_PERIODS): a device that keeps correcting errors for 15 minutes is failing.
NEURON_ECC_EVENTS = 0
NEURON_ECC_SCHEMA = ("ClusterName", "InstanceId", "NeuronDevice", "NodeName")
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


def _query(metric: str, schema: tuple[str, ...], cluster_name: str, instance_types: tuple[str, ...] = ()) -> str:
    where = f"ClusterName = '{cluster_name}'"
    if instance_types:
        types = " OR ".join(f"InstanceType = '{t}'" for t in instance_types)
        where += f" AND {types if len(instance_types) == 1 else f'({types})'}"
    return f"SELECT MAX({metric}) FROM SCHEMA({names.CONTAINER_INSIGHTS}, {', '.join(schema)}) WHERE {where}"


def gpu_alarm(group: GpuNodeGroupPlan, cluster_name: str) -> AlarmPlan:
    return AlarmPlan(
        name=f"{cluster_name}-{group.name}-gpu-temperature",
        description=f"A GPU of {group.node_group_name} ({group.instance.name}) stayed at or above {GPU_TEMPERATURE_CELSIUS} C "
        f"for {EVALUATION_PERIODS * PERIOD_SECONDS // 60} minutes",
        query=_query("node_gpu_temperature", GPU_TEMPERATURE_SCHEMA, cluster_name, group.instance_types),
        threshold=GPU_TEMPERATURE_CELSIUS,
    )


def neuron_alarm(groups: tuple[GpuNodeGroupPlan, ...], cluster_name: str) -> AlarmPlan:
    return AlarmPlan(
        name=f"{cluster_name}-neuron-ecc",
        description=f"A Neuron device of the cluster ({', '.join(g.node_group_name for g in groups)}) reported hardware ECC "
        "events, "
        f"corrected or not, in each of {EVALUATION_PERIODS} consecutive {PERIOD_SECONDS // 60}-minute periods; "
        "uncorrectable errors also go to node auto repair",
        query=_query("node_neurondevice_hw_ecc_events_total", NEURON_ECC_SCHEMA, cluster_name),
        threshold=NEURON_ECC_EVENTS,
    )


def alarms_plan(observability: Observability, *, cluster_name: str, groups: tuple[GpuNodeGroupPlan, ...]) -> AlarmsPlan | None:
    if not observability.cloudwatch or not groups:
        return None
    neuron = tuple(g for g in groups if not g.nvidia)
    alarms = tuple(gpu_alarm(g, cluster_name) for g in groups if g.nvidia) + (
        (neuron_alarm(neuron, cluster_name),) if neuron else ()
    )
    return AlarmsPlan(alarms=alarms, topic=observability.alarm_topic)
