"""Kueue topology-aware scheduling: the Topology, the flavors that name it, the examples that ask for a level."""

from __future__ import annotations

import copy

import pytest

import job_examples
from cluster_config import catalog, load_config
from cluster_config.plan import build_plan
from tests.conftest import CONFIG_DIR
from tests.kueue_rules import kueue_webhook_errors
from tests.upstream import validate_custom_resource

LEVELS = [
    "topology.k8s.aws/network-node-layer-1",
    "topology.k8s.aws/network-node-layer-2",
    "topology.k8s.aws/network-node-layer-3",
    "kubernetes.io/hostname",
]
PREFERRED = "kueue.x-k8s.io/podset-preferred-topology"


def plan_of(path):
    return build_plan(load_config(path).config)


def queue_manifests(plan) -> list[dict]:
    (release,) = [r for r in plan.platform.releases if r.name == "queues"]
    return release.values["manifests"]


def of_kind(manifests, kind) -> dict[str, dict]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


@pytest.fixture(scope="module")
def p5():
    return plan_of(CONFIG_DIR / "p5-efa.yaml")


def test_the_topology_is_the_three_ec2_network_layers_then_the_host(p5):
    manifests = queue_manifests(p5)
    (topology,) = of_kind(manifests, "Topology").values()
    assert topology["apiVersion"] == "kueue.x-k8s.io/v1beta2" and topology["metadata"] == {"name": "ec2-network"}
    assert [level["nodeLabel"] for level in topology["spec"]["levels"]] == LEVELS
    assert validate_custom_resource(topology) == []
    assert kueue_webhook_errors(manifests) == []
    assert manifests[0] is topology, "the Topology comes before the flavors that name it"


def test_the_flavor_of_an_efa_group_of_a_labelled_type_names_it(p5):
    flavor = of_kind(queue_manifests(p5), "ResourceFlavor")["h100"]
    assert flavor["spec"] == {
        "nodeLabels": {"eks.amazonaws.com/nodegroup": "p5train-h100"},
        "topologyName": "ec2-network",
        "tolerations": flavor["spec"]["tolerations"],
    }
    assert validate_custom_resource(flavor) == []


def test_only_efa_groups_of_types_ec2_describes_get_a_topology_flavor(config_variant):
    """p4d (EFA on by auto) and trn1.32xlarge carry the labels; g6.xlarge without EFA does not need them."""
    plan = plan_of(
        config_variant(
            edit={
                "gpu_node_groups": [
                    {"name": "a100", "instance_type": "p4d.24xlarge", "max_size": 2, "availability_zone": "us-west-2b"},
                    {"name": "l4", "instance_type": "g6.xlarge", "max_size": 4, "efa": False},
                    {"name": "trn", "instance_type": "trn1.32xlarge", "max_size": 2, "availability_zone": "us-west-2a"},
                ]
            }
        )
    )
    flavors = of_kind(queue_manifests(plan), "ResourceFlavor")
    assert {name: f["spec"].get("topologyName") for name, f in flavors.items()} == {
        "a100": "ec2-network",
        "l4": None,
        "trn": "ec2-network",
    }


def test_the_default_g5_group_is_not_labelled_so_nothing_changes_for_it():
    """g5 is not among EC2's topology types: a topology flavor on it would see no node and admit nothing."""
    plan = plan_of(CONFIG_DIR / "default.yaml")
    manifests = queue_manifests(plan)
    assert "Topology" not in {m["kind"] for m in manifests}
    assert "topologyName" not in of_kind(manifests, "ResourceFlavor")["a10g"]["spec"]
    assert all("runtimePatches" not in job["spec"] for job in job_examples.examples_for(plan)["a10g"].values())


def test_the_catalog_knows_which_of_its_types_carry_the_labels():
    assert set(catalog.NETWORK_TOPOLOGY_LAYERS) <= set(catalog.INSTANCE_TYPES)
    assert sorted(catalog.NETWORK_TOPOLOGY_LAYERS) == sorted(
        [f"g6e.{s}" for s in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge")]
        + [
            "p4d.24xlarge",
            "p4de.24xlarge",
            "p5.48xlarge",
            "p5e.48xlarge",
            "p5en.48xlarge",
            "p6-b200.48xlarge",
            "p6-b300.48xlarge",
            "trn1.2xlarge",
            "trn1.32xlarge",
            "trn1n.32xlarge",
            "trn2.48xlarge",
        ]
    )
    assert {t for t, layers in catalog.NETWORK_TOPOLOGY_LAYERS.items() if layers == 4} == {"p6-b200.48xlarge", "p6-b300.48xlarge"}


def test_a_multi_node_example_prefers_layer_3_and_the_launcher_asks_for_no_level(p5):
    examples = job_examples.examples_for(p5)["h100"]
    for name in ("first-job", "nccl-allreduce", "fsdp"):
        assert examples[name]["spec"]["runtimePatches"] == [
            {
                "manager": "gpu-eks/examples",
                "trainingRuntimeSpec": {
                    "template": {
                        "spec": {
                            "replicatedJobs": [
                                {
                                    "name": "node",
                                    "template": {
                                        "spec": {
                                            "template": {
                                                "metadata": {"annotations": {PREFERRED: "topology.k8s.aws/network-node-layer-3"}}
                                            }
                                        }
                                    },
                                }
                            ]
                        }
                    }
                },
            }
        ], name
    (patch,) = examples["nccl-tests"]["spec"]["runtimePatches"]
    replicated = {
        r["name"]: r["template"]["spec"]["template"]["metadata"]["annotations"]
        for r in patch["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"]
    }
    assert replicated == {
        "node": {PREFERRED: "topology.k8s.aws/network-node-layer-3"},
        "launcher": {"kueue.x-k8s.io/podset-unconstrained-topology": "true"},
    }


def test_a_one_node_example_prefers_its_host(config_variant):
    plan = plan_of(config_variant("p5-efa.yaml", edit={"gpu_node_groups.0.max_size": 1}))
    job = job_examples.examples_for(plan)["h100"]["first-job"]
    (replicated,) = job["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"]
    assert replicated["template"]["spec"]["template"]["metadata"]["annotations"] == {PREFERRED: "kubernetes.io/hostname"}


def test_off_there_is_no_topology_and_the_rest_is_what_it_was(config_variant, p5):
    """The queues release and the examples with it off equal those with it on, less the Topology,
    the flavors' topologyName and the examples' runtime patch (the whole synth: tools/synth_diff.py --set)."""
    off = plan_of(config_variant("p5-efa.yaml", edit={"queues.topology_aware": False}))
    on = copy.deepcopy(queue_manifests(p5))
    for manifest in on:
        manifest["spec"].pop("topologyName", None)
    assert queue_manifests(off) == [m for m in on if m["kind"] != "Topology"]
    examples_on = job_examples.examples_for(p5)["h100"]
    for job in examples_on.values():
        del job["spec"]["runtimePatches"]
    assert job_examples.examples_for(off)["h100"] == examples_on
