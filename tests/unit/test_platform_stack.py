"""Synth assertions for the in-cluster platform stack."""

from __future__ import annotations

import re

import pytest
import yaml

from cluster_config import charts, names
from cluster_config.components.contract import version_tuple
from tests.conftest import EXAMPLE_CONFIGS
from tests.upstream import require_reference

# The reference copies of the upstream charts at the pinned versions, beside the project
# (../shared/reference/upstream, see its README). A missing copy is an error: without it
# the pins below would go unchecked.


@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def releases(result) -> dict[str, dict]:
    """Helm releases by release name, with their values parsed."""
    out = {}
    for release in result.resources("platform", "helm_release").values():
        out[release["name"]] = {**release, "parsed_values": yaml.safe_load(release["values"][0])}
    return out


def runtime_container(result) -> dict:
    """The container of the first group's torch runtime."""
    runtime = next(
        m
        for m in releases(result)["training-runtimes"]["parsed_values"]["manifests"]
        if m["metadata"]["name"].startswith("torch-")
    )
    return runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]


def test_default_platform_has_trainer_runtimes_both_plugins_and_the_autoscaler(default):
    assert sorted(releases(default)) == [
        "aws-efa-k8s-device-plugin",
        "cluster-autoscaler",
        "kubeflow-trainer",
        "kueue",
        "node-health-check",
        "nvidia-device-plugin",
        "provisioning-request-crd",
        "queues",
        "training-runtimes",
        "training-storage",
    ]


# Written out, not read from the components' CHART pins: a pin that moves must move here too,
# on purpose. test_chart_pins_are_the_upstream_chart_versions holds the pins to upstream.
@pytest.mark.parametrize(
    "name,chart,repository,version,namespace",
    [
        ("kubeflow-trainer", "kubeflow-trainer", "oci://ghcr.io/kubeflow/charts", "2.3.0", "kubeflow-system"),
        ("nvidia-device-plugin", "nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", "0.19.3", "kube-system"),
        ("aws-efa-k8s-device-plugin", "aws-efa-k8s-device-plugin", "https://aws.github.io/eks-charts", "v0.5.29", "kube-system"),
        ("cluster-autoscaler", "cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "9.59.0", "kube-system"),
    ],
)
def test_every_release_is_pinned_in_its_namespace(default, name, chart, repository, version, namespace):
    release = releases(default)[name]
    assert (release["chart"], release["repository"], release["version"], release["namespace"]) == (
        chart,
        repository,
        version,
        namespace,
    )
    assert release["atomic"] is True and release["wait"] is True


def test_efa_plugin_image_is_at_least_0_5_10(default):
    """0.5.10 is a plugin (image) release; the chart has its own version line (v0.5.29 ships
    image v0.5.20), so only the image tag is compared with the minimum."""
    values = releases(default)["aws-efa-k8s-device-plugin"]["parsed_values"]
    assert values["image"]["tag"] == "v0.5.20"
    assert version_tuple(values["image"]["tag"]) >= (0, 5, 10)


PINNED_CHARTS = (charts.KUBEFLOW_TRAINER, charts.NVIDIA_DEVICE_PLUGIN, charts.EFA_DEVICE_PLUGIN, charts.CLUSTER_AUTOSCALER)


def upstream_chart(name: str) -> dict:
    return yaml.safe_load((require_reference() / name / "Chart.yaml").read_text())


@pytest.mark.parametrize("chart", PINNED_CHARTS, ids=lambda c: c.name)
def test_chart_pins_are_the_upstream_chart_versions(chart):
    upstream = upstream_chart(chart.name)
    assert upstream["name"] == chart.name
    assert str(upstream["version"]) == chart.version
    # The pins write app versions as image tags ("v0.19.3"); Chart.yaml may omit the v.
    # Trainer's Chart.yaml has no appVersion: its images are tagged with the chart version.
    app_version = str(upstream.get("appVersion", upstream["version"]))
    assert app_version.lstrip("v") == chart.app_version.lstrip("v")


def test_trainer_bundles_jobset_behind_the_value_we_set():
    """We install JobSet through Trainer's subchart (jobset.install, asserted below); that must be its switch."""
    (jobset,) = [d for d in upstream_chart("kubeflow-trainer")["dependencies"] if d["name"] == "jobset"]
    assert jobset["condition"] == "jobset.install"
    assert jobset["version"] == upstream_chart("jobset")["version"]


def test_trainer_uses_bundled_jobset_and_runs_on_system_nodes(default):
    values = releases(default)["kubeflow-trainer"]["parsed_values"]
    assert values["jobset"]["install"] is True
    assert values["manager"]["nodeSelector"] == {"gpu-eks/role": "system"}
    assert values["jobset"]["controller"]["nodeSelector"] == {"gpu-eks/role": "system"}


def test_nvidia_plugin_only_on_gpu_nodes_tolerating_the_gpu_taint(default):
    values = releases(default)["nvidia-device-plugin"]["parsed_values"]
    assert values["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values["tolerations"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "eks.amazonaws.com/nodegroup", "operator": "In", "values": ["demo-a10g"]}]}]


def test_efa_plugin_selects_efa_nodes_and_tolerates_the_gpu_taint(default):
    values = releases(default)["aws-efa-k8s-device-plugin"]["parsed_values"]
    assert values["nodeSelector"] == {"vpc.amazonaws.com/efa.present": "true"}
    assert values["tolerations"] == [
        {"key": "gpu-eks/health", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    ]
    assert (
        "p5.48xlarge" in values["supportedInstanceLabels"]["values"]
        and "g5.xlarge" not in values["supportedInstanceLabels"]["values"]
    )


def test_autoscaler_on_system_nodes_discovers_this_cluster(default):
    values = releases(default)["cluster-autoscaler"]["parsed_values"]
    assert values["autoDiscovery"] == {"clusterName": "demo"}
    assert values["awsRegion"] == "us-west-2" and values["cloudProvider"] == "aws"
    assert values["nodeSelector"] == {"gpu-eks/role": "system"}
    assert values["rbac"]["serviceAccount"] == {"create": True, "name": "cluster-autoscaler"}


def test_autoscaler_scales_idle_gpu_nodes_down_even_with_kube_system_pods(default):
    """With skip-nodes-with-system-pods left at its default (true), a kube-system pod that is
    not a daemonset keeps an idle GPU node, and its hourly price, forever."""
    values = releases(default)["cluster-autoscaler"]["parsed_values"]
    assert values["extraArgs"] == {
        "skip-nodes-with-system-pods": "false",
        "balance-similar-node-groups": "true",
        "expander": "least-waste",
        "scale-down-unneeded-time": "10m",
        "scale-down-delay-after-add": "10m",
        # the health gate's taint: scale-from-zero ignores it, a node under it is not ready
        "startup-taint": "gpu-eks/health",
        # Kueue's all-or-nothing admission (queues are on by default)
        "enable-provisioning-requests": "true",
        "kube-api-content-type": "application/json",
    }


def test_autoscaler_role_comes_through_pod_identity_in_the_cluster_stack(default):
    (association,) = [
        a
        for a in default.resources("cluster", "aws_eks_pod_identity_association").values()
        if a["service_account"] == "cluster-autoscaler"
    ]
    assert association["namespace"] == "kube-system"
    (_,) = [
        r
        for r in default.resources("cluster", "aws_iam_role").values()
        if "pods.eks.amazonaws.com" in r["assume_role_policy"] and r["name_prefix"].endswith("-autoscaler-")
    ]
    policies = [
        p["policy"] for p in default.resources("cluster", "aws_iam_role_policy").values() if p["name"] == "cluster-autoscaler"
    ]
    assert (
        "eks:DescribeNodegroup" in policies[0] and "aws:ResourceTag/k8s.io/cluster-autoscaler/${aws_eks_cluster." in policies[0]
    )
    # The chart creates the service account the association names.
    service_account = releases(default)["cluster-autoscaler"]["parsed_values"]["rbac"]["serviceAccount"]
    assert service_account["name"] == association["service_account"]
    assert releases(default)["cluster-autoscaler"]["namespace"] == association["namespace"]


def test_runtime_release_waits_for_the_trainer_so_crds_exist_first(default):
    runtimes = releases(default)["training-runtimes"]
    trainer_address = [k for k, r in default.resources("platform", "helm_release").items() if r["name"] == "kubeflow-trainer"][0]
    assert f"helm_release.{trainer_address}" in runtimes["depends_on"]
    assert runtimes["chart"].startswith("assets/")
    assert "kubernetes_manifest" not in default.stack("platform").get("resource", {})
    assert (default.outdir / "stacks" / "demo-platform" / runtimes["chart"] / "templates" / "manifests.yaml").is_file()


def test_training_runtime_tolerates_the_taint_and_requests_gpus_and_efa(default):
    (runtime,) = [
        m
        for m in releases(default)["training-runtimes"]["parsed_values"]["manifests"]
        if m["metadata"]["name"].startswith("torch-")
    ]
    assert runtime["kind"] == "ClusterTrainingRuntime" and runtime["metadata"]["name"] == "torch-a10g"
    pod = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert pod["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "demo-a10g"}
    assert pod["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}


def test_efa_runtime_sends_nccl_over_efa(default):
    """libfabric picks its provider from FI_PROVIDER; "tcp" would run NCCL over sockets with no
    error at all. g5 has no GPUDirect RDMA, so that switch stays off."""
    assert [e for e in runtime_container(default)["env"] if e["name"].startswith("FI_")] == [
        {"name": "FI_PROVIDER", "value": "efa"}
    ]


def test_p5_runtime_requests_32_efa_over_efa_with_gpudirect_rdma(synth):
    container = runtime_container(synth("p5-efa.yaml"))
    assert container["resources"]["limits"] == {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}
    assert [e for e in container["env"] if e["name"].startswith("FI_")] == [
        {"name": "FI_PROVIDER", "value": "efa"},
        {"name": "FI_EFA_USE_DEVICE_RDMA", "value": "1"},
    ]


def test_runtime_image_is_configurable(synth, config_variant):
    path = config_variant(edit={"training_operator.image": "registry.example.com/ml/pytorch-efa:2.9"})
    assert runtime_container(synth(path))["image"] == "registry.example.com/ml/pytorch-efa:2.9"


def test_trainium_gets_a_neuron_runtime_and_the_neuron_device_plugin(synth):
    trn = releases(synth("trainium.yaml"))
    (runtime,) = trn["training-runtimes"]["parsed_values"]["manifests"]
    assert runtime["metadata"]["name"] == "torch-trn1"
    container = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("public.ecr.aws/neuron/pytorch-training-neuronx:")
    assert container["resources"]["limits"] == {"aws.amazon.com/neuron": 16, "vpc.amazonaws.com/efa": 8}
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    assert {k: env.get(k) for k in ("FI_PROVIDER", "FI_EFA_USE_DEVICE_RDMA", "FI_EFA_FORK_SAFE")} == {
        "FI_PROVIDER": "efa",
        "FI_EFA_USE_DEVICE_RDMA": "1",
        "FI_EFA_FORK_SAFE": "1",
    }
    neuron = trn["neuron-helm-chart"]
    assert (neuron["repository"], neuron["version"]) == ("oci://public.ecr.aws/neuron", "1.10.0")
    assert {"key": "aws.amazon.com/neuron", "operator": "Exists", "effect": "NoSchedule"} in neuron["parsed_values"][
        "devicePlugin"
    ]["tolerations"]
    # a Trainium node waiting for its health checks still gets its Neuron devices advertised
    assert {"key": "gpu-eks/health", "operator": "Exists", "effect": "NoSchedule"} in neuron["parsed_values"]["devicePlugin"][
        "tolerations"
    ]
    # The plugin schedules only on neuronInstances; chart 1.0.0's list lacks trn2.
    assert neuron["parsed_values"]["neuronInstances"] == [
        "trn1.2xlarge",
        "trn1.32xlarge",
        "trn1n.32xlarge",
        "trn2.3xlarge",
        "trn2.48xlarge",
    ]
    assert "nvidia-device-plugin" not in trn


def test_chart_versions_the_user_chooses_are_installed(synth, config_variant):
    path = config_variant(
        edit={
            "training_operator.version": "2.4.0",
            "platform.nvidia_device_plugin.version": "0.19.2",
            "platform.efa_device_plugin.version": "v0.5.30",
            "platform.cluster_autoscaler.version": "9.52.1",
        }
    )
    installed = releases(synth(path))
    assert {name: release["version"] for name, release in installed.items() if "repository" in release} == {
        "kubeflow-trainer": "2.4.0",
        "nvidia-device-plugin": "0.19.2",
        "aws-efa-k8s-device-plugin": "v0.5.30",
        "cluster-autoscaler": "9.52.1",
        "kueue": "0.19.2",
    }
    # Older EFA charts ship plugin images below 0.5.10, so the image stays pinned whatever the chart.
    assert installed["aws-efa-k8s-device-plugin"]["parsed_values"]["image"]["tag"] == "v0.5.20"


def test_bottlerocket_gets_no_nvidia_plugin_but_keeps_efa(synth):
    installed = sorted(releases(synth("bottlerocket.yaml")))
    assert "nvidia-device-plugin" not in installed and "aws-efa-k8s-device-plugin" in installed


def test_a_group_without_efa_gets_no_efa_plugin_and_no_libfabric_settings(synth, config_variant):
    result = synth(config_variant(edit={"gpu_node_groups": [{"name": "small", "instance_type": "g5.xlarge"}]}))
    assert "aws-efa-k8s-device-plugin" not in releases(result)
    assert [e for e in runtime_container(result)["env"] if e["name"].startswith("FI_")] == []
    assert runtime_container(result)["resources"]["limits"] == {"nvidia.com/gpu": 1}


def node_selectors(values) -> list[dict]:
    """Every nodeSelector mapping anywhere in a release's values (runtimes' pod templates included)."""
    if isinstance(values, dict):
        found = [values["nodeSelector"]] if isinstance(values.get("nodeSelector"), dict) else []
        return found + [s for v in values.values() for s in node_selectors(v)]
    if isinstance(values, list):
        return [s for v in values for s in node_selectors(v)]
    return []


def node_labels(cluster_stack: dict) -> dict[str, dict[str, str]]:
    """Each synthesized node group's node labels: its own, plus the node-group name EKS adds.

    The name is written as a reference to the cluster's name; it is resolved here from the
    cluster resource in the same stack.
    """
    resources = cluster_stack["resource"]
    clusters = {address: cluster["name"] for address, cluster in resources["aws_eks_cluster"].items()}

    def resolve(text: str) -> str:
        return re.sub(r"\$\{aws_eks_cluster\.([\w-]+)\.name\}", lambda m: clusters[m.group(1)], text)

    out = {}
    for address, group in resources["aws_eks_node_group"].items():
        labels = dict(group.get("labels", {}))
        if "node_group_name" in group:  # the system group has only a prefix, so no fixed name label
            labels[names.NODEGROUP_LABEL] = resolve(group["node_group_name"])
        out[address] = labels
    return out


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_node_selector_in_the_platform_matches_a_synthesized_node_group(config, synth):
    """A nodeSelector that matches no node leaves its pods Pending: the operators never start,
    the autoscaler never scales. Compared with what the cluster stack really labels, not with
    the constants both sides share."""
    result = synth(config)
    groups = node_labels(result.stack("cluster"))
    selectors = [(name, s) for name, release in releases(result).items() for s in node_selectors(release["parsed_values"])]
    assert len(selectors) >= 3, "the trainer, JobSet and the autoscaler at least are pinned to system nodes"
    for name, selector in selectors:
        matching = [address for address, labels in groups.items() if selector.items() <= labels.items()]
        assert matching, f"{name}: nodeSelector {selector} matches no node group; the node groups carry {groups}"


def test_platform_controllers_land_on_the_system_node_group(default):
    (system_labels,) = [
        labels for address, labels in node_labels(default.stack("cluster")).items() if address.startswith("system_nodes_")
    ]
    values = {name: release["parsed_values"] for name, release in releases(default).items()}
    for selector in (
        values["kubeflow-trainer"]["manager"]["nodeSelector"],
        values["kubeflow-trainer"]["jobset"]["controller"]["nodeSelector"],
        values["cluster-autoscaler"]["nodeSelector"],
    ):
        assert selector and selector.items() <= system_labels.items(), (selector, system_labels)


def test_exec_auth_is_the_default(default):
    providers = default.stack("platform")["provider"]
    (kubernetes,) = providers["kubernetes"]
    assert kubernetes["exec"][0]["command"] == "aws" and kubernetes["exec"][0]["args"][:2] == ["eks", "get-token"]
    (helm,) = providers["helm"]
    assert helm["kubernetes"]["exec"]["command"] == "aws"
    assert "token" not in kubernetes and "aws" not in providers
    assert kubernetes["host"].startswith("${data.terraform_remote_state.cross-stack-reference-input-demo-cluster")
    assert kubernetes["cluster_ca_certificate"].startswith("${base64decode(")


def test_token_auth_for_terraform_cloud(synth):
    result = synth("capacity-block.yaml")
    providers = result.stack("platform")["provider"]
    (kubernetes,) = providers["kubernetes"]
    (helm,) = providers["helm"]
    (auth_name,) = result.stack("platform")["data"]["aws_eks_cluster_auth"]
    token = f"${{data.aws_eks_cluster_auth.{auth_name}.token}}"
    assert kubernetes["token"] == token and "exec" not in kubernetes
    assert helm["kubernetes"]["token"] == token and "exec" not in helm["kubernetes"]
    assert "aws" in providers, "the token data source needs the aws provider"


def test_platform_stack_is_absent_when_everything_is_off(synth, config_variant):
    path = config_variant(
        edit={
            "training_operator.enabled": False,
            "platform.nvidia_device_plugin.enabled": False,
            "platform.efa_device_plugin.enabled": False,
            "platform.cluster_autoscaler.enabled": False,
            "health_check.enabled": False,
        }
    )
    result = synth(path)
    assert sorted(result.stacks) == ["demo-cluster", "demo-network"]
    assert "aws_eks_pod_identity_association" not in result.stack("cluster")["resource"]


def test_platform_stack_depends_on_the_cluster_stack(default):
    import json

    manifest = json.loads((default.outdir / "manifest.json").read_text())
    assert manifest["stacks"]["demo-platform"]["dependencies"] == ["demo-cluster"]


def test_each_nvidia_group_has_an_mpi_runtime_for_nccl_tests(default):
    (mpi,) = [
        m for m in releases(default)["training-runtimes"]["parsed_values"]["manifests"] if m["metadata"]["name"] == "mpi-a10g"
    ]
    assert mpi["spec"]["mlPolicy"]["mpi"] == {
        "numProcPerNode": 4,
        "mpiImplementation": "OpenMPI",
        "sshAuthMountPath": "/root/.ssh",
        "runLauncherAsNode": False,
    }
    jobs = {j["name"]: j for j in mpi["spec"]["template"]["spec"]["replicatedJobs"]}
    worker = jobs["node"]["template"]["spec"]["template"]["spec"]
    (sshd,) = worker["containers"]
    assert sshd["name"] == "node" and sshd["command"][-1].endswith("exec /usr/sbin/sshd -De")
    assert sshd["resources"]["limits"] == {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}, (
        "Trainer gives MPI workers no resources"
    )
    assert sshd["readinessProbe"]["tcpSocket"]["port"] == 22
    launcher = jobs["launcher"]
    assert launcher["template"]["metadata"]["labels"] == {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}
    assert launcher["dependsOn"] == [{"name": "node", "status": "Ready"}]
    assert launcher["template"]["spec"]["template"]["spec"]["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "demo-a10g"}
