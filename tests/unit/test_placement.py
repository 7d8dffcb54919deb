"""Where every rendered workload can run, decided as kube-scheduler's filters decide it.

For every configuration of tests/unit/test_helm_render.py: each DaemonSet, Deployment,
StatefulSet, Job, CloudWatch operator resource, training-runtime pod template and Kueue flavor
is placed on the synthesized node groups, per instance type, and held to
tests/placement.py EXPECTATIONS: each device plugin on exactly the groups with its device,
every node agent on every accelerated group, controllers on the system nodes, a group's
runtimes on that group only, and nothing schedulable nowhere. `make test` prints the table.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests import placement, render
from tests.conftest import EXAMPLE_CONFIGS
from tests.placement import Taint, requirement_matches, term_matches, tolerates, untolerated, why_not

CONFIGS = [*EXAMPLE_CONFIGS, *render.VARIANTS]


def verdicts_of(label, synth, config_variant):
    result, renders = render.rendered(label, synth, config_variant)
    assert renders.errors == [], "\n\n".join(renders.errors)
    groups = placement.node_groups(result.stacks)
    verdicts = [placement.judge(w, groups) for source, obj in renders.objects() for w in placement.workloads(str(source), obj)]
    return groups, verdicts


@pytest.mark.parametrize("label", CONFIGS)
def test_every_workload_lands_where_it_belongs(label, synth, config_variant):
    groups, verdicts = verdicts_of(label, synth, config_variant)
    placement.TABLES[label] = placement.table(label, groups, verdicts)
    problems = [f"{v.workload}: {p}" for v in verdicts for p in v.problems]
    assert problems == [], "\n".join(problems)


def test_the_all_kinds_variant_puts_each_device_plugin_on_its_own_groups_only(synth, config_variant):
    """One cluster with every kind of group, and what its plugins' placement must be, written out."""
    groups, verdicts = verdicts_of("variant-all-kinds", synth, config_variant)
    fits = {(v.workload.source, v.workload.name): {g for g, _ in v.fits} for v in verdicts}
    assert {g.group for g in groups} == {"system", "a10g", "l4", "l40s", "trn1"}
    assert fits[("release nvidia-device-plugin", "nvidia-device-plugin")] == {"a10g", "l4"}  # not Bottlerocket's l40s
    assert fits[("release aws-efa-k8s-device-plugin", "aws-efa-k8s-device-plugin")] == {"a10g", "l40s", "trn1"}  # l4 has no EFA
    assert fits[("release training-runtimes", "torch-trn1/node")] == {"trn1"}
    assert fits[("add-on aws-fsx-csi-driver", "fsx-csi-node")] == {"system", "a10g", "l4", "l40s", "trn1"}


def test_a_group_of_two_types_is_placed_per_type(synth, config_variant):
    groups, verdicts = verdicts_of("variant-all-kinds", synth, config_variant)
    (spot,) = [g for g in groups if g.group == "l4"]
    assert spot.instance_types == ("g6.12xlarge", "g6.24xlarge") and spot.capacity_type == "SPOT" and spot.zone is None
    (plugin,) = [v for v in verdicts if v.workload.name == "nvidia-device-plugin"]
    assert {("l4", "g6.12xlarge"), ("l4", "g6.24xlarge")} <= plugin.fits


def test_node_groups_carry_the_labels_eks_and_kubelet_add(synth):
    groups = {g.group: g for g in placement.node_groups(synth("default.yaml").stacks)}
    node = groups["a10g"].node("g5.12xlarge")
    assert {
        k: node.labels[k]
        for k in (
            "eks.amazonaws.com/nodegroup",
            "eks.amazonaws.com/capacityType",
            "node.kubernetes.io/instance-type",
            "beta.kubernetes.io/instance-type",
            "kubernetes.io/os",
            "kubernetes.io/arch",
            "topology.kubernetes.io/zone",
        )
    } == {
        "eks.amazonaws.com/nodegroup": "demo-a10g",
        "eks.amazonaws.com/capacityType": "ON_DEMAND",
        "node.kubernetes.io/instance-type": "g5.12xlarge",
        "beta.kubernetes.io/instance-type": "g5.12xlarge",
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": "us-west-2a",
    }
    assert node.labels["nvidia.com/gpu.present"] == "true" and "kubernetes.io/hostname" in node.labels
    assert node.taints == (Taint("nvidia.com/gpu", "true", "NoSchedule"),)
    assert groups["a10g"].efa and groups["a10g"].accelerator == "nvidia"
    system = groups["system"].node("m6i.large")
    assert system.labels["gpu-eks/role"] == "system" and system.taints == () and groups["system"].zone is None
    assert system.labels["eks.amazonaws.com/nodegroup"].startswith("demo-system-")


# --- The filters, case by case (Kubernetes docs, "Taints and Tolerations" and "Assigning Pods to
# Nodes"; kube-scheduler's NodeAffinity and TaintToleration plugins). ---

GPU = Taint("nvidia.com/gpu", "true", "NoSchedule")


@pytest.mark.parametrize(
    "toleration,taint,expected",
    [
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}, GPU, True),
        ({"key": "nvidia.com/gpu", "value": "true"}, GPU, True),  # no operator is Equal; no effect matches all
        ({"key": "nvidia.com/gpu", "operator": "Equal", "value": "false"}, GPU, False),
        ({"key": "nvidia.com/gpu", "operator": "Exists"}, GPU, True),
        ({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}, GPU, False),
        ({"operator": "Exists"}, GPU, True),  # empty key with Exists: every taint
        ({"operator": "Exists", "effect": "NoExecute"}, GPU, False),
        ({"key": "CriticalAddonsOnly", "operator": "Exists"}, GPU, False),
    ],
)
def test_a_toleration_tolerates_a_taint_as_the_api_defines(toleration, taint, expected):
    assert tolerates(toleration, taint) is expected


def test_only_no_schedule_and_no_execute_taints_filter_a_node():
    taints = (Taint("a", "1", "NoSchedule"), Taint("b", "1", "PreferNoSchedule"), Taint("c", "1", "NoExecute"))
    assert [t.key for t in untolerated(taints, [])] == ["a", "c"]
    assert untolerated(taints, [{"key": "a", "operator": "Exists"}, {"key": "c", "operator": "Exists"}]) == []


@pytest.mark.parametrize(
    "requirement,expected",
    [
        ({"key": "zone", "operator": "In", "values": ["a", "b"]}, True),
        ({"key": "zone", "operator": "In", "values": ["c"]}, False),
        ({"key": "missing", "operator": "In", "values": ["a"]}, False),
        ({"key": "zone", "operator": "NotIn", "values": ["a"]}, False),
        ({"key": "missing", "operator": "NotIn", "values": ["a"]}, True),  # NotIn matches a node without the label
        ({"key": "zone", "operator": "Exists"}, True),
        ({"key": "missing", "operator": "DoesNotExist"}, True),
        ({"key": "zone", "operator": "DoesNotExist"}, False),
        ({"key": "gpus", "operator": "Gt", "values": ["4"]}, True),
        ({"key": "gpus", "operator": "Lt", "values": ["8"]}, False),
        ({"key": "zone", "operator": "Gt", "values": ["1"]}, False),  # not an integer label
        ({"key": "zone", "operator": "In", "values": []}, None),  # invalid: the term matches nothing
        ({"key": "gpus", "operator": "Gt", "values": ["1", "2"]}, None),
    ],
)
def test_node_selector_operators(requirement, expected):
    assert requirement_matches(requirement, {"zone": "a", "gpus": "8"}) is expected


def test_terms_are_ored_and_expressions_anded_and_an_empty_term_matches_nothing():
    labels = {"zone": "a", "arch": "amd64"}
    a = {"key": "zone", "operator": "In", "values": ["a"]}
    arm = {"key": "arch", "operator": "In", "values": ["arm64"]}
    assert term_matches({"matchExpressions": [a]}, labels)
    assert not term_matches({"matchExpressions": [a, arm]}, labels)
    assert not term_matches({}, labels)
    assert term_matches({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}, labels)
    pod = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [arm]}, {"matchExpressions": [a]}]
                }
            }
        }
    }
    node = placement.Node(labels=labels, taints=())
    assert why_not(pod, node) is None
    pod["nodeSelector"] = {"zone": "b"}
    assert why_not(pod, node) == "node selector or required affinity"
    empty_terms = {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}}
    assert why_not(empty_terms, node) == "node selector or required affinity"


def test_a_dropped_toleration_and_a_wrong_node_selector_are_caught(synth, config_variant):
    groups, verdicts = verdicts_of("default.yaml", synth, config_variant)
    (plugin,) = [v for v in verdicts if v.workload.name == "nvidia-device-plugin"]
    untolerating = placement.Workload(
        source=plugin.workload.source,
        kind="DaemonSet",
        name="nvidia-device-plugin",
        pod={**plugin.workload.pod, "tolerations": []},
    )
    assert (
        "cannot run on a10g (g5.12xlarge: taint nvidia.com/gpu=true:NoSchedule)"
        in placement.judge(untolerating, groups).problems[0]
    )
    (controller,) = [v for v in verdicts if v.workload.name == "kueue-controller-manager"]
    lost = placement.Workload(
        source=controller.workload.source,
        kind="Deployment",
        name="kueue-controller-manager",
        pod={"nodeSelector": {"gpu-eks/role": "platform"}},
    )
    assert placement.judge(lost, groups).problems == (
        "cannot run on system (m6i.large: node selector or required affinity); it should (a controller: it needs a system node "
        "to run on)",
        "can run on no node group at all",
    )


def test_a_workload_nobody_expected_is_reported():
    stray = placement.Workload(source="release new-thing", kind="DaemonSet", name="agent", pod={})
    groups = [
        placement.NodeGroup(
            group="system",
            node_group_name="x-system-1",
            instance_types=("m6i.large",),
            capacity_type="ON_DEMAND",
            ami_type="AL2023_x86_64_STANDARD",
            zone=None,
            efa=False,
            labels={},
            taints=(),
        )
    ]
    assert placement.judge(stray, groups).problems[0].startswith("no expectation in tests/placement.py EXPECTATIONS")


def test_every_expectation_names_a_known_rule():
    assert all(e.where in placement.WHERE or e.where == "own" for e in placement.EXPECTATIONS)
    assert all(e.why for e in placement.EXPECTATIONS)


def test_a_node_under_the_health_gate_runs_every_agent_and_no_training_pod(synth, config_variant):
    """The health gate's startup taint on every accelerated node: each device plugin and node
    agent still lands where it belongs, and no runtime or flavor puts a training pod there."""
    result, renders = render.rendered("variant-all-kinds", synth, config_variant)
    pending = Taint("gpu-eks/health", "pending", "NoSchedule")
    groups = [
        g
        if g.group == "system"
        else dataclasses.replace(g, taints=g.taints if pending in g.taints else (*g.taints, pending), health="pending")
        for g in placement.node_groups(result.stacks)
    ]
    verdicts = [placement.judge(w, groups) for source, obj in renders.objects() for w in placement.workloads(str(source), obj)]
    training = {"release training-runtimes", "release queues"}
    # The gate's own DaemonSet belongs on pending nodes: test_node_health_check.py places it.
    agents = [v for v in verdicts if v.workload.source not in {*training, "release node-health-check"}]
    assert [f"{v.workload}: {p}" for v in agents for p in v.problems] == []
    names = {(v.workload.source, v.workload.name) for v in agents}
    assert {
        ("release nvidia-device-plugin", "nvidia-device-plugin"),
        ("release aws-efa-k8s-device-plugin", "aws-efa-k8s-device-plugin"),
        ("add-on eks-node-monitoring-agent", "dcgm-server"),
        ("add-on aws-fsx-csi-driver", "fsx-csi-node"),
        ("add-on aws-mountpoint-s3-csi-driver", "s3-csi-node"),
    } <= names
    placed = {v.workload.name: {g for g, _ in v.fits} for v in verdicts if v.workload.source in training}
    assert placed and all(fits == set() for fits in placed.values()), placed
