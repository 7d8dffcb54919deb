"""The health gate as synthesized and rendered (issue 19): where its DaemonSets land, what they
run, the checker's RBAC and IAM, the startup taint on the groups and the autoscaler's flag.

The decision logic itself is tested against recorded tool output in test_node_health.py.
"""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
import yaml

from cluster_config.components import node_health_check
from node_health import check_node as cn
from tests import placement, render
from tests.conftest import plan_for
from tests.placement import Taint

PENDING = Taint("gpu-eks/health", "pending", "NoSchedule")


@pytest.fixture(scope="module")
def all_kinds(synth, config_variant):
    """One cluster with every kind of group (a10g with EFA, a Spot l4, Bottlerocket l40s, trn1)."""
    result, renders = render.rendered("variant-all-kinds", synth, config_variant)
    assert renders.errors == [], "\n\n".join(renders.errors)
    objects = [(str(source), obj) for source, obj in renders.objects() if str(source) == "release node-health-check"]
    return result, objects


def of_kind(objects, kind):
    return {obj["metadata"]["name"]: obj for _, obj in objects if obj["kind"] == kind}


def in_state(groups):
    """groups -> (health -> the same groups with every gated node in that state of the gate)."""
    return lambda health: [dataclasses.replace(g, health=health) for g in groups]


def fits(objects, groups, name) -> set[str]:
    (daemonset,) = [w for s, obj in objects for w in placement.workloads(s, obj) if w.name == name]
    return {group for group, _ in placement.judge(daemonset, groups).fits}


def test_each_gated_group_gets_one_daemonset_and_every_group_is_gated_by_default(all_kinds):
    result, objects = all_kinds
    assert sorted(of_kind(objects, "DaemonSet")) == [
        "health-check-a10g",
        "health-check-l4",
        "health-check-l40s",
        "health-check-trn1",
    ]
    groups = [g for g in placement.node_groups(result.stacks) if g.group != "system"]
    assert all(PENDING in g.taints for g in groups)


@pytest.mark.parametrize("group", ["a10g", "l4", "l40s", "trn1"])
def test_the_daemonset_lands_on_exactly_its_groups_unpassed_nodes(all_kinds, group):
    result, objects = all_kinds
    state = in_state(placement.node_groups(result.stacks))
    name = f"health-check-{group}"
    assert fits(objects, state("pending"), name) == {group}  # not another group's pending nodes, not the system nodes
    # A failed node keeps its pod, which checks nothing again and waits while the group replaces it.
    assert fits(objects, state("failed"), name) == {group}
    assert fits(objects, state("passed"), name) == set()


def test_the_checker_holds_every_accelerator_and_efa_device_and_judges_by_the_catalog(all_kinds):
    _, objects = all_kinds
    pods = {n: d["spec"]["template"]["spec"] for n, d in of_kind(objects, "DaemonSet").items()}
    a10g = pods["health-check-a10g"]
    (check,) = a10g["containers"]
    assert check["resources"]["limits"] == check["resources"]["requests"] == {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}
    assert check["image"] == "public.ecr.aws/deep-learning-containers/pytorch:2.13.0-cu133-amzn2023"
    assert check["command"] == [
        "python3",
        "/opt/gpu-eks-health/check_node.py",
        "run",
        "--results",
        "/results",
        "--expectations",
        "/opt/gpu-eks-health/a10g.json",
        "--taint",
        "gpu-eks/health=pending:NoSchedule",
        "--skip",
        "dcgm",
    ]
    (dcgm,) = a10g["initContainers"]
    assert dcgm["image"] == "nvcr.io/nvidia/cloud-native/dcgm:4.6.0-1-ubuntu24.04"
    assert dcgm["command"] == cn.dcgm_init_command(2, "/results", 1320)
    assert dcgm["resources"]["limits"] == {"nvidia.com/gpu": 4}
    assert {"key": "gpu-eks/health", "operator": "Equal", "value": "pending", "effect": "NoSchedule"} in a10g["tolerations"]
    trn1 = pods["health-check-trn1"]
    assert trn1["initContainers"] == [] and "--skip" not in trn1["containers"][0]["command"]
    assert trn1["containers"][0]["resources"]["limits"] == {"aws.amazon.com/neuron": 16, "vpc.amazonaws.com/efa": 8}
    assert trn1["containers"][0]["image"].startswith("public.ecr.aws/neuron/pytorch-training-neuronx:")

    (code,) = of_kind(objects, "ConfigMap").values()
    files = {k: base64.b64decode(v) for k, v in code["binaryData"].items()}
    assert files["check_node.py"] == node_health_check.CHECK_NODE.read_bytes()
    expect = {g: json.loads(files[f"{g}.json"]) for g in ("a10g", "l4", "trn1")}
    assert expect["a10g"] == {
        "accelerator_kind": "nvidia",
        "accelerators": 4,
        "accelerator_model": "NVIDIA A10G",
        "efa_interfaces": 1,
        "dcgm_level": 2,
    }  # PCIe A10G: no bus-bandwidth floor
    assert expect["l4"]["efa_interfaces"] == 0 and expect["l4"]["accelerator_model"] == "NVIDIA L4"
    assert expect["trn1"] == {
        "accelerator_kind": "neuron",
        "accelerators": 16,
        "accelerator_memory_gib": 32,
        "efa_interfaces": 8,
        "dcgm_level": 0,
    }
    for group, values in expect.items():
        cn.expectations_from(values, group)  # what the program accepts


def test_an_h100_group_checks_all_reduce_against_its_floor():
    plan = plan_for("p5-training.yaml")
    (release,) = [r for r in plan.platform.releases if r.name == "node-health-check"]
    (code,) = [m for m in release.values["manifests"] if m["kind"] == "ConfigMap"]
    (name,) = [k for k in code["binaryData"] if k.endswith(".json")]
    assert json.loads(base64.b64decode(code["binaryData"][name])) == {
        "accelerator_kind": "nvidia",
        "accelerators": 8,
        "accelerator_model": "NVIDIA H100 80GB HBM3",
        "efa_interfaces": 32,
        "dcgm_level": 2,
        "nccl_min_busbw_gbps": 360.0,
    }


def test_the_checker_may_get_and_patch_nodes_and_create_events_and_nothing_else(all_kinds):
    _, objects = all_kinds
    (role,) = of_kind(objects, "ClusterRole").values()
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]},
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
    ]
    (binding,) = of_kind(objects, "ClusterRoleBinding").values()
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "node-health-check"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "node-health-check", "namespace": "kube-system"}]
    assert sorted(of_kind(objects, "ServiceAccount")) == ["node-health-check"]
    assert not of_kind(objects, "Role") and not of_kind(objects, "RoleBinding")
    assert {obj["kind"] for _, obj in objects} == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "DaemonSet",
        "PriorityClass",
        "CronJob",
    }
    # The recheck is the same program under the same account: no second identity, no wider role.
    pods = [w.pod for s, obj in objects for w in placement.workloads(s, obj)]
    specs = [obj["spec"]["template"]["spec"] for _, obj in objects if obj["kind"] == "DaemonSet"] + [
        obj["spec"]["jobTemplate"]["spec"]["template"]["spec"] for _, obj in objects if obj["kind"] == "CronJob"
    ]
    assert len(pods) == len(specs) == 6 and {spec["serviceAccountName"] for spec in specs} == {"node-health-check"}


def test_the_checker_role_may_only_set_instance_health_in_this_clusters_groups(all_kinds):
    result, _ = all_kinds
    (policy,) = [p for p in result.resources("cluster", "aws_iam_role_policy").values() if p["name"] == "set-instance-health"]
    assert json.loads(policy["policy"])["Statement"] == [
        {
            "Sid": "ReplaceFailedNodes",
            "Effect": "Allow",
            "Action": "autoscaling:SetInstanceHealth",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "aws:ResourceTag/k8s.io/cluster-autoscaler/${aws_eks_cluster.control_plane_cluster_D810E0D5.name}": "owned"
                }
            },
        }
    ]
    (association,) = [
        a
        for a in result.resources("cluster", "aws_eks_pod_identity_association").values()
        if a["service_account"] == "node-health-check"
    ]
    assert association["namespace"] == "kube-system"
    assert association["role_arn"] == f"${{aws_iam_role.{policy['role'].split('.')[1]}.arn}}"


def test_the_autoscaler_knows_the_startup_taint_and_the_groups_carry_it(all_kinds):
    result, _ = all_kinds
    releases = {r["name"]: yaml.safe_load(r["values"][0]) for r in result.resources("platform", "helm_release").values()}
    assert releases["cluster-autoscaler"]["extraArgs"]["startup-taint"] == "gpu-eks/health"
    tags = {
        t["tag"]["key"]: t["tag"]["value"]
        for t in result.resources("cluster", "aws_autoscaling_group_tag").values()
        if t["tag"]["key"].endswith("/taint/gpu-eks/health")
    }
    assert set(tags) == {"k8s.io/cluster-autoscaler/node-template/taint/gpu-eks/health"} and set(tags.values()) == {
        "pending:NoSchedule"
    }
    tagged = [
        t
        for t in result.resources("cluster", "aws_autoscaling_group_tag").values()
        if t["tag"]["key"] == "k8s.io/cluster-autoscaler/node-template/taint/gpu-eks/health"
    ]
    assert len(tagged) == 4  # one per GPU and Trainium group


def test_a_group_with_the_gate_off_has_no_taint_no_daemonset_and_the_others_keep_theirs(config_variant):
    path = config_variant(
        edit=lambda data: (
            data["gpu_node_groups"].append(
                {"name": "l4", "instance_type": "g6.12xlarge", "efa": False, "health_check": {"enabled": False}}
            ),
            data["gpu_node_groups"][0].update(health_check={"dcgm_level": 0}),
        )
    )
    plan = plan_for(path)
    groups = {g.name: g for g in plan.gpu_groups}
    assert (
        groups["l4"].startup_taints == ()
        and "k8s.io/cluster-autoscaler/node-template/taint/gpu-eks/health" not in groups["l4"].autoscaler_node_template_tags
    )
    assert [(t.key, t.value, t.effect) for t in groups["a10g"].startup_taints] == [("gpu-eks/health", "pending", "NoSchedule")]
    (release,) = [r for r in plan.platform.releases if r.name == "node-health-check"]
    (daemonset,) = [m for m in release.values["manifests"] if m["kind"] == "DaemonSet"]
    assert daemonset["metadata"]["name"] == "health-check-a10g"
    assert daemonset["spec"]["template"]["spec"]["initContainers"] == []  # dcgm_level 0 for this group


def test_the_gate_off_everywhere_makes_no_release_and_no_role(config_variant):
    plan = plan_for(config_variant(edit={"health_check.enabled": False}))
    assert not [r for r in plan.platform.releases if r.name == "node-health-check"]
    assert "node-health-check" not in {p.component for p in plan.pod_identities}
    assert all(g.startup_taints == () for g in plan.gpu_groups)


def test_a_failing_node_is_never_untainted_by_the_command_the_daemonset_runs(all_kinds):
    """The taint the rendered DaemonSet hands check_node.py is the one the groups register with,
    and the program's fail path keeps it, or puts it back: only a pass removes it."""
    _, objects = all_kinds
    command = of_kind(objects, "DaemonSet")["health-check-a10g"]["spec"]["template"]["spec"]["containers"][0]["command"]
    taint = cn.Taint.parse(command[command.index("--taint") + 1])
    assert (taint.key, taint.value, taint.effect) == (PENDING.key, PENDING.value, PENDING.effect)
    failed = {"passed": False, "checks": [{"name": "gpu_count", "passed": False, "figure": 3, "expected": 4, "detail": "3 GPUs"}]}
    for taints in ([taint.as_object()], [], None):
        node = {"metadata": {"name": "n", "labels": {}}, "spec": {} if taints is None else {"taints": taints}}
        ops = cn.fail_operations(node, failed, taint, "2026-12-02T00:00:00Z")
        assert not [op for op in ops if op["op"] == "remove"]
        if taints != [taint.as_object()]:
            assert {
                "op": "add",
                "path": "/spec/taints" if taints is None else "/spec/taints/-",
                "value": taint.as_object() if taints is not None else [taint.as_object()],
            } in ops
    passed_over_failure = {**failed, "passed": True}
    assert not cn.verdict_passed(passed_over_failure)


def test_the_gate_needs_the_device_plugins_it_requests_from(config_variant):
    from cluster_config.load import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"health_check\.enabled.*group 'a10g'.*platform\.nvidia_device_plugin"):
        load_config(config_variant(edit={"platform.nvidia_device_plugin.enabled": False}))
    load_config(
        config_variant(
            edit={
                "platform.nvidia_device_plugin.enabled": False,
                "platform.efa_device_plugin.enabled": False,
                "gpu_node_groups.0.health_check": {"enabled": False},
            }
        )
    )


def test_the_summary_says_what_each_group_runs_and_about_how_long_a_new_node_waits(config_variant):
    import report

    lines = report.health_gate(plan_for("p5-training.yaml"))
    assert (
        lines[1] == "  h100           nvidia-smi, dcgmi diag -r 2, fi_info (32 EFA), all_reduce_perf >= 360 GB/s; waits ~17 min"
    )
    assert lines[2].startswith("  (waits: ~5 min to start the check pod, dcgmi diag r1/r2/r3/r4 ~1/11/30/120 min")
    lines = report.health_gate(plan_for(config_variant(edit={"gpu_node_groups.0.health_check": {"enabled": False}})))
    assert lines[1] == "  a10g           off: nodes take work as soon as they are Ready"
    lines = report.health_gate(plan_for("default.yaml"))
    assert lines[1:3] == [
        "  a10g           nvidia-smi, dcgmi diag -r 2, fi_info (1 EFA); waits ~16 min",
        "                 no all_reduce_perf: no floor in the catalog for this type (PCIe-only or one GPU)",
    ]


# ---------------------------------------------------------------------------
# The periodic recheck (health_check.recheck): on in the all-kinds variant, but for l4.
# ---------------------------------------------------------------------------


def recheck_pod(objects, group) -> dict:
    return of_kind(objects, "CronJob")[f"health-recheck-{group}"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_each_rechecked_group_gets_one_cronjob_on_its_schedule(all_kinds):
    _, objects = all_kinds
    cronjobs = of_kind(objects, "CronJob")
    # l4 turned it off; trn1 has it from the cluster, but Trainium is not rechecked (the summary says why)
    assert sorted(cronjobs) == ["health-recheck-a10g", "health-recheck-l40s"]
    schedules = {name: (c["spec"]["schedule"], c["spec"]["timeZone"]) for name, c in cronjobs.items()}
    assert schedules == {
        "health-recheck-a10g": ("0 3 * * *", "Etc/UTC"),
        "health-recheck-l40s": ("30 2 * * SUN", "Etc/UTC"),
    }
    assert all(c["spec"]["concurrencyPolicy"] == "Forbid" for c in cronjobs.values())


@pytest.mark.parametrize("group", ["a10g", "l40s"])
def test_the_recheck_lands_on_exactly_its_groups_passed_nodes(all_kinds, group):
    result, objects = all_kinds
    state = in_state(placement.node_groups(result.stacks))
    name = f"health-recheck-{group}"
    assert fits(objects, state("passed"), name) == {group}  # not another group's, not the system nodes
    assert fits(objects, state("pending"), name) == set()  # the gate's DaemonSet has those
    assert fits(objects, state("failed"), name) == set()


@pytest.mark.parametrize("group", ["a10g", "l40s"])
def test_the_recheck_holds_the_whole_node_and_runs_the_gates_checks(all_kinds, group):
    """Every accelerator and EFA device, as the gate's pod: so it fits only a node no training
    pod uses, and two of a run's pods never share a node."""
    _, objects = all_kinds
    gate = of_kind(objects, "DaemonSet")[f"health-check-{group}"]["spec"]["template"]["spec"]
    pod = recheck_pod(objects, group)
    (check,), (gate_check,) = pod["containers"], gate["containers"]
    assert check["resources"] == gate_check["resources"] and check["image"] == gate_check["image"]
    command = check["command"]
    assert command[:3] == ["python3", "/opt/gpu-eks-health/check_node.py", "recheck"]
    gate_flags = gate_check["command"][3:]
    assert [c for c in command[3:] if c not in ("--fresh-for", command[command.index("--fresh-for") + 1])] == gate_flags
    assert pod["restartPolicy"] == "Never" and pod["volumes"] == gate["volumes"]
    gate_dcgm = [c for c in gate["initContainers"] if c["name"] == "dcgm"]
    dcgm = [c for c in pod["initContainers"] if c["name"] == "dcgm"]
    assert [c["name"] for c in pod["initContainers"]] == ["start", "dcgm"]  # the decision comes before the diagnostic
    (script,), (gate_script,) = [c["command"][2] for c in dcgm], [c["command"][2] for c in gate_dcgm]
    assert script.startswith("if [ -e /results/skip ]; then exit 0; fi; ") and "trap " in script
    assert gate_script.split(" >")[0] in script and script.endswith(gate_script.split("rc=$?; ")[1])
    assert dcgm[0]["resources"] == gate_dcgm[0]["resources"]
    # The gate's own pod has the startup taint to tolerate; the recheck only passed nodes, without it.
    assert [t for t in pod["tolerations"] if t["key"] == "gpu-eks/health"] == []
    assert pod["terminationGracePeriodSeconds"] == 60


def test_a_recheck_without_dcgm_decides_in_its_only_container(config_variant):
    plan = plan_for(config_variant(edit={"health_check": {"recheck": True, "dcgm_level": 0}}))
    (release,) = [r for r in plan.platform.releases if r.name == "node-health-check"]
    (cronjob,) = [m for m in release.values["manifests"] if m["kind"] == "CronJob"]
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["initContainers"] == [] and "--skip" not in pod["containers"][0]["command"]


def test_trainium_is_not_rechecked_and_asking_for_it_by_group_is_refused(all_kinds, config_variant):
    import report
    from cluster_config.load import ConfigError, load_config

    _, objects = all_kinds
    assert "health-recheck-trn1" not in of_kind(objects, "CronJob")
    lines = report.health_gate(plan_for(render.config_file("variant-all-kinds", config_variant)))
    (trn1,) = [i for i, line in enumerate(lines) if line.startswith("  trn1 ")]
    assert lines[trn1 + 1].startswith(
        "                 no recheck: Trainium: a pod can hold the chips as aws.amazon.com/neuroncore"
    )
    with pytest.raises(ConfigError, match=r"gpu_node_groups\[1\]\.health_check\.recheck: group 'trn1' \(trn1\.32xlarge\)"):
        load_config(
            config_variant(
                edit=lambda data: data["gpu_node_groups"].append(
                    {"name": "trn1", "instance_type": "trn1.32xlarge", "health_check": {"recheck": True}}
                )
            )
        )


def test_the_recheck_yields_to_training_and_never_makes_the_autoscaler_buy_a_node(all_kinds, synth, config_variant):
    _, objects = all_kinds
    _, renders = render.rendered("variant-all-kinds", synth, config_variant)
    (priority,) = of_kind(objects, "PriorityClass").values()
    assert {pod["priorityClassName"] for pod in (recheck_pod(objects, g) for g in ("a10g", "l40s"))} == {
        priority["metadata"]["name"]
    }
    (autoscaler,) = [
        obj for source, obj in renders.objects() if str(source) == "release cluster-autoscaler" and obj["kind"] == "Deployment"
    ]
    args = autoscaler["spec"]["template"]["spec"]["containers"][0]["command"]
    (cutoff,) = [int(a.split("=", 1)[1]) for a in args if a.startswith("--expendable-pods-priority-cutoff=")]
    # Below the cutoff: no scale-up for it (CA FAQ). Below 0, a training pod's priority: preempted for one.
    assert priority["value"] < cutoff and priority["value"] < 0
    assert priority["preemptionPolicy"] == "Never" and priority["globalDefault"] is False
    # Kueue leaves a Job without a queue name alone (manageJobsWithoutQueueName is off), so the
    # recheck takes no quota and waits for no admission.
    (kueue_config,) = [
        obj
        for source, obj in renders.objects()
        if str(source) == "release kueue"
        and obj["kind"] == "ConfigMap"
        and "controller_manager_config.yaml" in obj.get("data", {})
    ]
    assert not yaml.safe_load(kueue_config["data"]["controller_manager_config.yaml"]).get("manageJobsWithoutQueueName")
    for name, cronjob in of_kind(objects, "CronJob").items():
        labels = {
            **cronjob["spec"]["jobTemplate"]["metadata"]["labels"],
            **cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"],
        }
        assert "kueue.x-k8s.io/queue-name" not in labels, name


def test_a_recheck_run_has_a_pod_per_node_and_ends_by_its_deadline(all_kinds):
    _, objects = all_kinds
    plan = plan_for(render.config_file("variant-all-kinds", None))
    # Twice a new node's wait: 2 x (5 min to start + 11 for dcgmi diag -r 2), no all_reduce_perf on these PCIe types.
    for group, deadline in (("a10g", 1920), ("l40s", 1920)):
        job = of_kind(objects, "CronJob")[f"health-recheck-{group}"]["spec"]["jobTemplate"]["spec"]
        nodes = next(g for g in plan.gpu_groups if g.name == group).scaling.max_size
        assert job["parallelism"] == job["completions"] == job["backoffLimit"] == nodes
        assert job["activeDeadlineSeconds"] == deadline
        # A node checked within the deadline was checked in this run: the fresh-for is the deadline.
        command = job["template"]["spec"]["containers"][0]["command"]
        assert command[command.index("--fresh-for") + 1] == str(deadline)
        # A pod preempted by a training pod is not a failure.
        assert job["podFailurePolicy"] == {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}


def test_the_recheck_is_off_by_default_and_then_nothing_of_it_is_synthesized():
    plan = plan_for("default.yaml")
    (release,) = [r for r in plan.platform.releases if r.name == "node-health-check"]
    assert {m["kind"] for m in release.values["manifests"]} == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "DaemonSet",
    }
    (autoscaler,) = [r for r in plan.platform.releases if r.name == "cluster-autoscaler"]
    assert "expendable-pods-priority-cutoff" not in autoscaler.values["extraArgs"]


def test_the_summary_says_when_each_group_is_rechecked(config_variant):
    import report

    lines = report.health_gate(plan_for(config_variant(edit={"health_check": {"recheck": True, "recheck_schedule": "@weekly"}})))
    assert lines[1].startswith("  a10g ")
    assert lines[2] == "                 rechecked when idle: '@weekly' (UTC), each run up to 32 min"


@pytest.mark.parametrize(
    "schedule, problem",
    [
        ("0 3 * *", "4 fields, not 5"),
        ("0 24 * * *", "the hour field '24': '24' is outside 0-23"),
        ("0 3 * * 7", "the day of week field '7': '7' is outside 0-6"),
        ("0 3 * FOO *", "the month field 'FOO': 'FOO' is not *, a number or a range"),
        ("0 */0 * * *", "the hour field '*/0': step '0' is not a whole number above 0"),
        ("0 5-3 * * *", "the range '5-3' runs backwards"),
        ("@fortnightly", "'@fortnightly' is not a descriptor Kubernetes knows"),
        ("@every 12h", "@every has no time of day"),
        ("* 3 * * *", "the minute field '*' is not one number: the recheck runs at most once an hour"),
        ("*/15 3 * * *", "the minute field '*/15' is not one number"),
        ("0 \u00b2 * * *", "the hour field '\u00b2': '\u00b2' is not *, a number or a range"),
        (" @daily", "1 fields, not 5"),
        ("@daily ", "'@daily ' is not a descriptor Kubernetes knows"),
    ],
)
def test_a_bad_recheck_schedule_is_refused_naming_the_field_and_the_syntax(config_variant, schedule, problem):
    from cluster_config.load import ConfigError, load_config

    with pytest.raises(ConfigError) as error:
        load_config(config_variant(edit={"health_check": {"recheck": True, "recheck_schedule": schedule}}))
    message = str(error.value)
    assert "health_check.recheck_schedule" in message and problem in message
    assert "five fields, 'minute hour day-of-month month day-of-week'" in message


@pytest.mark.parametrize(
    "schedule", ["0 3 * * *", "15 1-5 */2 * MON-FRI", "0 0 1,15 JAN,jul ?", "5 4 * * sun", "@daily", "@hourly"]
)
def test_a_good_schedule_is_accepted(schedule):
    assert node_health_check.cron_problem(schedule) is None


def test_a_recheck_without_the_gate_is_refused_at_either_level(config_variant):
    from cluster_config.load import ConfigError, load_config

    with pytest.raises(ConfigError) as error:
        load_config(
            config_variant(
                edit=lambda data: (
                    data.update(health_check={"enabled": False, "recheck": True}),
                    data["gpu_node_groups"].append(
                        {
                            "name": "l4",
                            "instance_type": "g6.12xlarge",
                            "efa": False,
                            "health_check": {"recheck": True, "enabled": False},
                        }
                    ),
                )
            )
        )
    message = str(error.value)
    # Both, in one round: the group's own request, and the cluster's, which no group can take.
    assert "gpu_node_groups[1].health_check.recheck: group 'l4': the periodic recheck runs on nodes" in message
    assert "health_check.recheck: no group is rechecked" in message and "health_check.enabled is false" in message
    # The gate off for the cluster but on for a group: that group is rechecked, and nothing is wrong.
    path = config_variant(
        edit=lambda data: (
            data.update(health_check={"enabled": False, "recheck": True}),
            data["gpu_node_groups"][0].update(health_check={"enabled": True}),
        )
    )
    load_config(path)
    assert plan_for(path).platform.settings.of(node_health_check.COMPONENT).of("a10g").recheck_schedule == "0 3 * * *"


def test_a_schedule_without_a_recheck_is_a_warning(config_variant):
    from cluster_config.load import load_config

    loaded = load_config(config_variant(edit={"health_check": {"recheck_schedule": "0 4 * * *"}}))
    assert [w.split(": ", 1)[1] for w in loaded.warnings if "recheck" in w] == [
        "health_check.recheck_schedule: set, but no group is rechecked (health_check.recheck)"
    ]
