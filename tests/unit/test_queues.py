"""Kueue: a flavor and a queue per GPU group, team quotas in a cohort, all-or-nothing admission."""

from __future__ import annotations

import pytest
import yaml

from cluster_config import load_config
from cluster_config.plan import build_plan
from tests.conftest import CONFIG_DIR, EXAMPLE_CONFIGS
from tests.kueue_rules import kueue_webhook_errors

TEAMS = {
    "teams": [
        {"name": "research", "namespaces": ["research"], "quota": {"a10g": 4}, "can_borrow": True},
        {"name": "prod", "namespaces": ["prod", "prod-batch"], "quota": {"a10g": 2}, "can_borrow": False},
    ]
}


def queue_objects(path) -> dict[tuple[str, str], dict]:
    plan = build_plan(load_config(path).config)
    (release,) = [r for r in plan.platform.releases if r.name == "queues"]
    return {(m["kind"], m["metadata"].get("namespace", "") + "/" + m["metadata"]["name"]): m for m in release.values["manifests"]}


@pytest.fixture(scope="module")
def default():
    return queue_objects(CONFIG_DIR / "default.yaml")


def test_each_group_gets_a_flavor_pinned_to_its_nodes_with_its_tolerations(default):
    flavor = default[("ResourceFlavor", "/a10g")]["spec"]
    assert flavor["nodeLabels"] == {"eks.amazonaws.com/nodegroup": "demo-a10g"}
    assert flavor["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]


def test_a_group_queue_holds_the_whole_group_at_its_maximum(default):
    spec = default[("ClusterQueue", "/a10g")]["spec"]
    (group,) = spec["resourceGroups"]
    quota = {r["name"]: r["nominalQuota"] for r in group["flavors"][0]["resources"]}
    # g5.12xlarge: 4 GPUs, 1 EFA, 48 vCPUs, 192 GiB; max_size 2
    assert quota == {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 2, "cpu": 96, "memory": "384Gi"}
    assert spec["cohortName"] == "demo"
    assert spec["admissionChecksStrategy"] == {"admissionChecks": [{"name": "all-or-nothing"}]}


def test_every_training_namespace_gets_a_default_queue_and_one_per_group(default):
    local = {k[1]: v["spec"]["clusterQueue"] for k, v in default.items() if k[0] == "LocalQueue"}
    assert local == {"default/default": "a10g", "default/a10g": "a10g"}


def test_all_or_nothing_asks_the_autoscaler_for_every_node_at_once(default):
    config = default[("ProvisioningRequestConfig", "/all-or-nothing")]["spec"]
    assert config["provisioningClassName"] == "best-effort-atomic-scale-up.autoscaling.x-k8s.io"
    assert config["managedResources"] == ["nvidia.com/gpu"]
    check = default[("AdmissionCheck", "/all-or-nothing")]["spec"]
    assert check["controllerName"] == "kueue.x-k8s.io/provisioning-request"
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    (autoscaler,) = [r for r in plan.platform.releases if r.name == "cluster-autoscaler"]
    assert autoscaler.values["extraArgs"]["enable-provisioning-requests"] == "true"


def test_teams_share_through_a_cohort_and_the_rest_stays_shared(config_variant):
    objects = queue_objects(config_variant(edit={"queues": TEAMS}))
    research = objects[("ClusterQueue", "/team-research")]["spec"]["resourceGroups"][0]["flavors"][0]["resources"]
    assert {r["name"]: r["nominalQuota"] for r in research}["nvidia.com/gpu"] == 4
    assert all("borrowingLimit" not in r for r in research)
    prod = objects[("ClusterQueue", "/team-prod")]["spec"]["resourceGroups"][0]["flavors"][0]["resources"]
    assert {r["name"]: r["borrowingLimit"] for r in prod}["nvidia.com/gpu"] == 0
    shared = objects[("ClusterQueue", "/a10g")]["spec"]["resourceGroups"][0]["flavors"][0]["resources"]
    assert {r["name"]: r["nominalQuota"] for r in shared}["nvidia.com/gpu"] == 8 - 4 - 2
    local = {k[1]: v["spec"]["clusterQueue"] for k, v in objects.items() if k[0] == "LocalQueue"}
    assert local["research/default"] == "team-research" and local["prod-batch/default"] == "team-prod"
    assert local["research/a10g"] == "team-research" and local["prod-batch/a10g"] == "team-prod"
    assert local["default/a10g"] == "a10g"


def test_team_namespaces_get_storage_claims_too(config_variant):
    plan = build_plan(load_config(config_variant(edit={"queues": TEAMS})).config)
    assert plan.storage.training_namespaces == ("default", "research", "prod", "prod-batch")


def test_no_queues_when_turned_off(config_variant):
    plan = build_plan(load_config(config_variant(edit={"queues": {"enabled": False}})).config)
    assert {"kueue", "queues"}.isdisjoint(r.name for r in plan.platform.releases)
    (autoscaler,) = [r for r in plan.platform.releases if r.name == "cluster-autoscaler"]
    assert "enable-provisioning-requests" not in autoscaler.values["extraArgs"]


def test_kueue_runs_the_released_image_on_the_system_nodes():
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    (kueue,) = [r for r in plan.platform.releases if r.name == "kueue"]
    assert (kueue.chart, kueue.repository, kueue.version) == ("kueue", "oci://registry.k8s.io/kueue/charts", "0.19.2")
    manager = kueue.values["controllerManager"]
    assert manager["nodeSelector"] == {"gpu-eks/role": "system"}
    assert manager["manager"]["image"] == {
        "repository": "registry.k8s.io/kueue/kueue",
        "tag": "v0.19.2",
        "pullPolicy": "IfNotPresent",
    }
    (objects,) = [r for r in plan.platform.releases if r.name == "queues"]
    assert objects.after == ("kueue",), "custom resources wait for Kueue's CRDs"


def test_the_provisioning_request_api_exists_before_kueue_and_the_autoscaler_start():
    """Kueue skips its provisioning controller when the API is missing at start-up."""
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    releases = {r.name: r for r in plan.platform.releases}
    (crd,) = releases["provisioning-request-crd"].values["manifests"]
    assert crd["metadata"]["name"] == "provisioningrequests.autoscaling.x-k8s.io"
    assert crd["spec"]["versions"][0]["subresources"] == {"status": {}}
    assert "provisioning-request-crd" in releases["kueue"].after
    autoscaler = releases["cluster-autoscaler"]
    assert "provisioning-request-crd" in autoscaler.after
    rules = autoscaler.values["rbac"]["additionalRules"]
    assert {
        "apiGroups": ["autoscaling.x-k8s.io"],
        "resources": ["provisioningrequests", "provisioningrequests/status"],
        "verbs": ["get", "list", "watch", "update", "patch"],
    } in rules
    assert autoscaler.values["rbac"]["serviceAccount"]["name"] == "cluster-autoscaler"
    assert autoscaler.values["extraArgs"]["kube-api-content-type"] == "application/json"


def test_kueue_requeues_a_job_whose_nodes_did_not_all_come():
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    (kueue,) = [r for r in plan.platform.releases if r.name == "kueue"]
    config = yaml.safe_load(kueue.values["managerConfig"]["controllerManagerConfigYaml"])
    assert config["kind"] == "Configuration" and config["apiVersion"] == "config.kueue.x-k8s.io/v1beta2"
    assert config["waitForPodsReady"]["timeout"] == "20m"
    assert config["waitForPodsReady"]["requeuingStrategy"]["timestamp"] == "Eviction"
    assert "trainer.kubeflow.org/trainjob" in config["integrations"]["frameworks"]


TWO_GROUPS = {
    "queues": {
        "teams": [
            {"name": "research", "namespaces": ["research"], "quota": {"h100": 8, "l4": 4}, "can_borrow": False},
        ]
    }
}


def add_l4_group(data):
    data["gpu_node_groups"].append({"name": "l4", "instance_type": "g6.12xlarge", "max_size": 2, "efa": False})
    data.update(TWO_GROUPS)


@pytest.fixture(scope="module")
def two_groups(config_variant):
    """The issue's team: quota on an EFA group (p5) and a group without EFA (g6)."""
    return queue_objects(config_variant("p5-training.yaml", add_l4_group))


def test_a_team_with_quota_on_two_groups_gets_one_resource_group_with_a_flavor_each(two_groups):
    (group,) = two_groups[("ClusterQueue", "/team-research")]["spec"]["resourceGroups"]
    assert group["coveredResources"] == ["nvidia.com/gpu", "vpc.amazonaws.com/efa", "cpu", "memory"]
    flavors = {f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]} for f in group["flavors"]}
    # p5.48xlarge: 8 GPUs, 32 EFA, 192 vCPUs, 2048 GiB; g6.12xlarge: 4 GPUs, 48 vCPUs, 192 GiB, no EFA here.
    assert flavors == {
        "h100": {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32, "cpu": 192, "memory": "2048Gi"},
        "l4": {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 0, "cpu": 48, "memory": "192Gi"},
    }
    assert all(r["borrowingLimit"] in (0, "0") for f in group["flavors"] for r in f["resources"])


def test_a_team_gets_a_local_queue_per_group_it_holds_quota_in(two_groups):
    local = {
        k[1]: v["spec"]["clusterQueue"] for k, v in two_groups.items() if k[0] == "LocalQueue" and k[1].startswith("research/")
    }
    assert local == {"research/default": "team-research", "research/h100": "team-research", "research/l4": "team-research"}


def test_every_queue_object_passes_kueues_webhook_rules(two_groups):
    assert kueue_webhook_errors(list(two_groups.values())) == []


@pytest.mark.parametrize("config", [c for c in EXAMPLE_CONFIGS])
def test_every_example_configs_queues_pass_kueues_webhook_rules(config):
    plan = build_plan(load_config(CONFIG_DIR / config).config)
    releases = [r for r in plan.platform.releases if r.name == "queues"]
    for release in releases:
        assert kueue_webhook_errors(release.values["manifests"]) == []
    assert releases or not plan.gpu_groups, f"{config} has GPU groups but no queues"


def test_a_queue_takes_back_what_it_lent_and_never_preempts_to_borrow(default):
    """reclaimWithinCohort Any: a queue preempts whatever in the cohort runs on its lent quota, whatever the
    priority; borrowWithinCohort Never: a borrower preempts no one (Kueue v0.19.2's ClusterQueue CRD,
    /work/shared/reference/upstream/kueue/crds/kueue.x-k8s.io_clusterqueues.yaml, preemption, lines 278-325)."""
    spec = default[("ClusterQueue", "/a10g")]["spec"]
    assert spec["preemption"] == {
        "reclaimWithinCohort": "Any",
        "borrowWithinCohort": {"policy": "Never"},
        "withinClusterQueue": "LowerPriority",
    }
    # "Defaults to null which is a nothing selector (no namespaces eligible). If set to an empty selector
    # `{}`, then all namespaces are eligible." (the same CRD, namespaceSelector, lines 222-227)
    assert spec["namespaceSelector"] == {}
    assert spec["queueingStrategy"] == "BestEffortFIFO"


def test_the_admission_check_names_the_provisioning_request_config_the_release_creates(default):
    """An admission check whose parameters name nothing stays inactive, and no workload is admitted through it;
    ProvisioningRequestConfig is a kind of group kueue.x-k8s.io (Kueue v0.19.2's CRDs,
    /work/shared/reference/upstream/kueue/crds/kueue.x-k8s.io_provisioningrequestconfigs.yaml lines 9-11)."""
    check = default[("AdmissionCheck", "/all-or-nothing")]["spec"]
    assert check["parameters"] == {"apiGroup": "kueue.x-k8s.io", "kind": "ProvisioningRequestConfig", "name": "all-or-nothing"}
    created = {(m["apiVersion"].split("/")[0], m["kind"], m["metadata"]["name"]) for m in default.values()}
    parameters = check["parameters"]
    assert (parameters["apiGroup"], parameters["kind"], parameters["name"]) in created
    config = default[("ProvisioningRequestConfig", "/all-or-nothing")]["spec"]
    assert config["retryStrategy"] == {"backoffLimitCount": 3, "backoffBaseSeconds": 60, "backoffMaxSeconds": 1800}
    queue = default[("ClusterQueue", "/a10g")]["spec"]
    assert [c["name"] for c in queue["admissionChecksStrategy"]["admissionChecks"]] == [
        default[("AdmissionCheck", "/all-or-nothing")]["metadata"]["name"]
    ]


def test_the_autoscaler_may_read_the_pod_templates_of_a_provisioning_request():
    """A ProvisioningRequest names PodTemplates, which cluster-autoscaler reads to size the scale-up; chart 9.53.0
    grants no access to them, 9.59.0 does (/work/shared/reference/upstream/charts/cluster-autoscaler-9.59.0/
    templates/clusterrole.yaml lines 70-73)."""
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    (autoscaler,) = [r for r in plan.platform.releases if r.name == "cluster-autoscaler"]
    assert autoscaler.values["rbac"]["additionalRules"] == [
        {"apiGroups": [""], "resources": ["podtemplates"], "verbs": ["get", "list", "watch"]},
        {
            "apiGroups": ["autoscaling.x-k8s.io"],
            "resources": ["provisioningrequests", "provisioningrequests/status"],
            "verbs": ["get", "list", "watch", "update", "patch"],
        },
    ]
