"""Synth assertions for the in-cluster platform stack."""

from __future__ import annotations

import pytest
import yaml

from cluster_config import charts
from tests.conftest import CONFIG_DIR



@pytest.fixture(scope="module")
def default(synth):
    return synth("default.yaml")


def releases(result) -> dict[str, dict]:
    """Helm releases by release name, with their values parsed."""
    out = {}
    for release in result.resources("platform", "helm_release").values():
        out[release["name"]] = {**release, "parsed_values": yaml.safe_load(release["values"][0])}
    return out


def write_config(tmp_path, **overrides):
    data = yaml.safe_load((CONFIG_DIR / "default.yaml").read_text())
    data.update(overrides)
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_default_platform_has_trainer_runtimes_both_plugins_and_the_autoscaler(default):
    assert sorted(releases(default)) == [
        "aws-efa-k8s-device-plugin", "cluster-autoscaler", "kubeflow-trainer", "kueue", "nvidia-device-plugin",
        "provisioning-request-crd", "queues", "training-runtimes", "training-storage",
    ]


@pytest.mark.parametrize("name,chart,repository,version,namespace", [
    ("kubeflow-trainer", "kubeflow-trainer", "oci://ghcr.io/kubeflow/charts", "2.3.0", "kubeflow-system"),
    ("nvidia-device-plugin", "nvidia-device-plugin", "https://nvidia.github.io/k8s-device-plugin", charts.NVIDIA_DEVICE_PLUGIN.version, "kube-system"),
    ("aws-efa-k8s-device-plugin", "aws-efa-k8s-device-plugin", "https://aws.github.io/eks-charts", charts.EFA_DEVICE_PLUGIN.version, "kube-system"),
    ("cluster-autoscaler", "cluster-autoscaler", "https://kubernetes.github.io/autoscaler", charts.CLUSTER_AUTOSCALER.version, "kube-system"),
])
def test_every_release_is_pinned_in_its_namespace(default, name, chart, repository, version, namespace):
    release = releases(default)[name]
    assert (release["chart"], release["repository"], release["version"], release["namespace"]) == (chart, repository, version, namespace)
    assert release["atomic"] is True and release["wait"] is True


def test_efa_plugin_is_at_least_0_5_10(default):
    values = releases(default)["aws-efa-k8s-device-plugin"]["parsed_values"]
    assert charts.version_tuple(values["image"]["tag"]) >= (0, 5, 10)
    assert charts.version_tuple(charts.EFA_DEVICE_PLUGIN.version) >= (0, 5, 10)


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
    assert values["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert "p5.48xlarge" in values["supportedInstanceLabels"]["values"] and "g5.xlarge" not in values["supportedInstanceLabels"]["values"]


def test_autoscaler_on_system_nodes_discovers_this_cluster(default):
    values = releases(default)["cluster-autoscaler"]["parsed_values"]
    assert values["autoDiscovery"] == {"clusterName": "demo"}
    assert values["awsRegion"] == "us-west-2" and values["cloudProvider"] == "aws"
    assert values["nodeSelector"] == {"gpu-eks/role": "system"}
    assert values["rbac"]["serviceAccount"] == {"create": True, "name": "cluster-autoscaler"}


def test_autoscaler_role_comes_through_pod_identity_in_the_cluster_stack(default):
    (association,) = default.resources("cluster", "aws_eks_pod_identity_association").values()
    assert (association["namespace"], association["service_account"]) == ("kube-system", "cluster-autoscaler")
    (_,) = [r for r in default.resources("cluster", "aws_iam_role").values()
            if "pods.eks.amazonaws.com" in r["assume_role_policy"] and r["name_prefix"].endswith("-autoscaler-")]
    policies = [p["policy"] for p in default.resources("cluster", "aws_iam_role_policy").values() if p["name"] == "cluster-autoscaler"]
    assert "eks:DescribeNodegroup" in policies[0] and "aws:ResourceTag/k8s.io/cluster-autoscaler/${aws_eks_cluster." in policies[0]


def test_runtime_release_waits_for_the_trainer_so_crds_exist_first(default):
    runtimes = releases(default)["training-runtimes"]
    trainer_address = [k for k, r in default.resources("platform", "helm_release").items() if r["name"] == "kubeflow-trainer"][0]
    assert f"helm_release.{trainer_address}" in runtimes["depends_on"]
    assert runtimes["chart"].startswith("assets/")
    assert "kubernetes_manifest" not in default.stack("platform").get("resource", {})
    assert (default.outdir / "stacks" / "demo-platform" / runtimes["chart"] / "templates" / "manifests.yaml").is_file()


def test_training_runtime_tolerates_the_taint_and_requests_gpus_and_efa(default):
    (runtime,) = [m for m in releases(default)["training-runtimes"]["parsed_values"]["manifests"] if m["metadata"]["name"].startswith("torch-")]
    assert runtime["kind"] == "ClusterTrainingRuntime" and runtime["metadata"]["name"] == "torch-a10g"
    pod = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    assert pod["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "demo-a10g"}
    assert pod["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}


def test_p5_runtime_requests_32_efa_with_gpudirect_rdma(synth):
    (runtime,) = [m for m in releases(synth("p5-efa.yaml"))["training-runtimes"]["parsed_values"]["manifests"] if m["metadata"]["name"].startswith("torch-")]
    container = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}
    assert {"name": "FI_EFA_USE_DEVICE_RDMA", "value": "1"} in container["env"]


def test_runtime_image_is_configurable(synth, tmp_path):
    path = write_config(tmp_path, training_operator={"image": "registry.example.com/ml/pytorch-efa:2.9"})
    (runtime,) = [m for m in releases(synth(path))["training-runtimes"]["parsed_values"]["manifests"] if m["metadata"]["name"].startswith("torch-")]
    container = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example.com/ml/pytorch-efa:2.9"


def test_trainium_gets_a_neuron_runtime_and_the_neuron_device_plugin(synth):
    trn = releases(synth("trainium.yaml"))
    (runtime,) = trn["training-runtimes"]["parsed_values"]["manifests"]
    assert runtime["metadata"]["name"] == "torch-trn1"
    container = runtime["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].startswith("public.ecr.aws/neuron/pytorch-training-neuronx:")
    assert container["resources"]["limits"] == {"aws.amazon.com/neuron": 16, "vpc.amazonaws.com/efa": 8}
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    assert {k: env.get(k) for k in ("FI_PROVIDER", "FI_EFA_USE_DEVICE_RDMA", "FI_EFA_FORK_SAFE")} == {
        "FI_PROVIDER": "efa", "FI_EFA_USE_DEVICE_RDMA": "1", "FI_EFA_FORK_SAFE": "1"}
    neuron = trn["neuron-helm-chart"]
    assert (neuron["repository"], neuron["version"]) == ("oci://public.ecr.aws/neuron", "1.10.0")
    assert {"key": "aws.amazon.com/neuron", "operator": "Exists", "effect": "NoSchedule"} in neuron["parsed_values"]["devicePlugin"]["tolerations"]
    assert "nvidia-device-plugin" not in trn


def test_efa_plugin_image_stays_pinned_when_the_chart_version_is_chosen(synth, tmp_path):
    path = write_config(tmp_path, platform={"efa_device_plugin": {"version": "v0.5.30"}})
    release = releases(synth(path))["aws-efa-k8s-device-plugin"]
    assert release["version"] == "v0.5.30"
    assert release["parsed_values"]["image"]["tag"] == charts.EFA_DEVICE_PLUGIN.app_version


def test_bottlerocket_gets_no_nvidia_plugin_but_keeps_efa(synth):
    names = sorted(releases(synth("bottlerocket.yaml")))
    assert "nvidia-device-plugin" not in names and "aws-efa-k8s-device-plugin" in names


def test_no_efa_plugin_without_efa_groups(synth, tmp_path):
    path = write_config(tmp_path, gpu_node_groups=[{"name": "small", "instance_type": "g5.xlarge"}])
    assert "aws-efa-k8s-device-plugin" not in releases(synth(path))


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


def test_platform_stack_is_absent_when_everything_is_off(synth, tmp_path):
    path = write_config(tmp_path, training_operator={"enabled": False}, platform={
        "nvidia_device_plugin": {"enabled": False}, "efa_device_plugin": {"enabled": False},
        "cluster_autoscaler": {"enabled": False},
    })
    result = synth(path)
    assert sorted(result.stacks) == ["demo-cluster", "demo-network"]
    assert "aws_eks_pod_identity_association" not in result.stack("cluster")["resource"]


def test_platform_stack_depends_on_the_cluster_stack(default):
    import json
    manifest = json.loads((default.outdir / "manifest.json").read_text())
    assert manifest["stacks"]["demo-platform"]["dependencies"] == ["demo-cluster"]


def test_each_nvidia_group_has_an_mpi_runtime_for_nccl_tests(default):
    (mpi,) = [m for m in releases(default)["training-runtimes"]["parsed_values"]["manifests"] if m["metadata"]["name"] == "mpi-a10g"]
    assert mpi["spec"]["mlPolicy"]["mpi"] == {"numProcPerNode": 4, "mpiImplementation": "OpenMPI", "sshAuthMountPath": "/root/.ssh",
                                              "runLauncherAsNode": False}
    jobs = {j["name"]: j for j in mpi["spec"]["template"]["spec"]["replicatedJobs"]}
    worker = jobs["node"]["template"]["spec"]["template"]["spec"]
    (sshd,) = worker["containers"]
    assert sshd["name"] == "node" and sshd["command"][-1].endswith("exec /usr/sbin/sshd -De")
    assert sshd["resources"]["limits"] == {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}, "Trainer gives MPI workers no resources"
    assert sshd["readinessProbe"]["tcpSocket"]["port"] == 22
    launcher = jobs["launcher"]
    assert launcher["template"]["metadata"]["labels"] == {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}
    assert launcher["dependsOn"] == [{"name": "node", "status": "Ready"}]
    assert launcher["template"]["spec"]["template"]["spec"]["nodeSelector"] == {"eks.amazonaws.com/nodegroup": "demo-a10g"}
