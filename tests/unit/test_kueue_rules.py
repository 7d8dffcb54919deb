"""tests/kueue_rules.py: each Kueue webhook rule rejects the object it is about, and passes a good one."""

from __future__ import annotations

import copy

import pytest

from tests.kueue_rules import kueue_webhook_errors, podset_topology_errors, quantity

API = "kueue.x-k8s.io/v1beta2"


def good() -> list[dict]:
    """A valid set: a topology, a flavor on it and one without, a check with its parameters, a cohort,
    a queue over the two flavors, a local queue."""
    return [
        {
            "apiVersion": API,
            "kind": "Topology",
            "metadata": {"name": "net"},
            "spec": {
                "levels": [
                    {"nodeLabel": "topology.k8s.aws/network-node-layer-1"},
                    {"nodeLabel": "topology.k8s.aws/network-node-layer-3"},
                    {"nodeLabel": "kubernetes.io/hostname"},
                ]
            },
        },
        {
            "apiVersion": API,
            "kind": "ResourceFlavor",
            "metadata": {"name": "h100"},
            "spec": {
                "nodeLabels": {"eks.amazonaws.com/nodegroup": "demo-h100"},
                "topologyName": "net",
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
        {"apiVersion": API, "kind": "ResourceFlavor", "metadata": {"name": "l4"}, "spec": {}},
        {"apiVersion": API, "kind": "ProvisioningRequestConfig", "metadata": {"name": "aon"}, "spec": {}},
        {
            "apiVersion": API,
            "kind": "AdmissionCheck",
            "metadata": {"name": "aon"},
            "spec": {
                "controllerName": "kueue.x-k8s.io/provisioning-request",
                "parameters": {"apiGroup": "kueue.x-k8s.io", "kind": "ProvisioningRequestConfig", "name": "aon"},
            },
        },
        {"apiVersion": API, "kind": "Cohort", "metadata": {"name": "demo"}, "spec": {}},
        {
            "apiVersion": API,
            "kind": "ClusterQueue",
            "metadata": {"name": "team"},
            "spec": {
                "cohortName": "demo",
                "namespaceSelector": {},
                "resourceGroups": [
                    {
                        "coveredResources": ["nvidia.com/gpu", "cpu", "memory"],
                        "flavors": [
                            {
                                "name": "h100",
                                "resources": [
                                    {"name": "nvidia.com/gpu", "nominalQuota": 8, "lendingLimit": 8},
                                    {"name": "cpu", "nominalQuota": 192},
                                    {"name": "memory", "nominalQuota": "2048Gi"},
                                ],
                            },
                            {
                                "name": "l4",
                                "resources": [
                                    {"name": "nvidia.com/gpu", "nominalQuota": 4, "borrowingLimit": 0},
                                    {"name": "cpu", "nominalQuota": 48},
                                    {"name": "memory", "nominalQuota": "192Gi"},
                                ],
                            },
                        ],
                    }
                ],
                "preemption": {"reclaimWithinCohort": "Any", "borrowWithinCohort": {"policy": "Never"}},
                "admissionChecksStrategy": {"admissionChecks": [{"name": "aon", "onFlavors": ["h100"]}]},
            },
        },
        {
            "apiVersion": API,
            "kind": "LocalQueue",
            "metadata": {"name": "default", "namespace": "research"},
            "spec": {"clusterQueue": "team"},
        },
    ]


def broken(kind: str, change) -> list[dict]:
    objects = copy.deepcopy(good())
    change(next(o for o in objects if o["kind"] == kind)["spec"])
    return objects


CASES = {
    # The fault: the old release gave each of a team's groups a resource group of its own.
    "a resource covered twice": (
        "ClusterQueue",
        lambda s: s["resourceGroups"].append(
            {
                "coveredResources": ["nvidia.com/gpu"],
                "flavors": [{"name": "l40s", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": 1}]}],
            }
        ),
        "Duplicate value: 'nvidia.com/gpu'",
    ),
    "a flavor listed twice": (
        "ClusterQueue",
        lambda s: s["resourceGroups"].append(
            {
                "coveredResources": ["aws.amazon.com/neuron"],
                "flavors": [{"name": "h100", "resources": [{"name": "aws.amazon.com/neuron", "nominalQuota": 1}]}],
            }
        ),
        "flavors[0].name: Duplicate value: 'h100'",
    ),
    "flavor resources out of order": (
        "ClusterQueue",
        lambda s: s["resourceGroups"][0]["flavors"][1]["resources"].reverse(),
        "must match the name in coveredResources",
    ),
    "an invalid resource name": (
        "ClusterQueue",
        lambda s: s["resourceGroups"][0]["coveredResources"].__setitem__(1, "cpu!"),
        "coveredResources[1]: 'cpu!' is not a qualified name",
    ),
    "a negative quota": (
        "ClusterQueue",
        lambda s: s["resourceGroups"][0]["flavors"][0]["resources"][1].__setitem__("nominalQuota", -1),
        "nominalQuota: must be greater than or equal to 0",
    ),
    "a limit without a cohort": (
        "ClusterQueue",
        lambda s: s.pop("cohortName"),
        "borrowingLimit: must be nil when cohort is empty",
    ),
    "lending more than the quota": (
        "ClusterQueue",
        lambda s: s["resourceGroups"][0]["flavors"][0]["resources"][0].__setitem__("lendingLimit", 9),
        "lendingLimit: must be less than or equal to the nominalQuota",
    ),
    "an invalid namespace selector": (
        "ClusterQueue",
        lambda s: s.__setitem__("namespaceSelector", {"matchExpressions": [{"key": "team", "operator": "In"}]}),
        "must be specified when `operator` is 'In' or 'NotIn'",
    ),
    "reclaim never but borrow with preemption": (
        "ClusterQueue",
        lambda s: s.__setitem__(
            "preemption", {"reclaimWithinCohort": "Never", "borrowWithinCohort": {"policy": "LowerPriority"}}
        ),
        "reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never",
    ),
    "a flavor preference that cannot apply": (
        "ClusterQueue",
        lambda s: s.__setitem__("flavorFungibility", {"preference": "BorrowingOverPreemption", "whenCanBorrow": "MayStopSearch"}),
        "requires both whenCanBorrow and whenCanPreempt to be TryNextFlavor",
    ),
    "a fair-sharing weight that collapses": (
        "ClusterQueue",
        lambda s: s.__setitem__("fairSharing", {"weight": "1n"}),
        "When not 0, weight must be > 10e-9",
    ),
    "too many flavors": (
        "ClusterQueue",
        lambda s: s["resourceGroups"][0]["flavors"].extend({"name": f"f{i}", "resources": []} for i in range(255)),
        "total number of flavors across all resourceGroups must be ≤ 256",
    ),
    "an admission check on a flavor the queue lacks": (
        "ClusterQueue",
        lambda s: s["admissionChecksStrategy"]["admissionChecks"][0]["onFlavors"].append("a100"),
        "onFlavors[1]: Unsupported value: 'a100'",
    ),
    "an admission check that does not exist": (
        "ClusterQueue",
        lambda s: s["admissionChecksStrategy"]["admissionChecks"].append({"name": "missing"}),
        "AdmissionCheck 'missing' does not exist",
    ),
    "a flavor that does not exist": (
        "ClusterQueue",
        lambda s: s["resourceGroups"][0]["flavors"][1].__setitem__("name", "a100"),
        "ResourceFlavor 'a100' does not exist",
    ),
    "a cohort lending limit without a parent": (
        "Cohort",
        lambda s: s.__setitem__(
            "resourceGroups",
            [
                {
                    "coveredResources": ["cpu"],
                    "flavors": [{"name": "h100", "resources": [{"name": "cpu", "nominalQuota": 1, "lendingLimit": 1}]}],
                }
            ],
        ),
        "lendingLimit: must be nil when parent is empty",
    ),
    "a cohort covering a resource twice": (
        "Cohort",
        lambda s: s.__setitem__(
            "resourceGroups", [{"coveredResources": ["cpu"], "flavors": []}, {"coveredResources": ["cpu"], "flavors": []}]
        ),
        "Duplicate value: 'cpu'",
    ),
    "a negative cohort weight": (
        "Cohort",
        lambda s: s.__setitem__("fairSharing", {"weight": "-1"}),
        "fairSharing: must be greater than or equal to 0",
    ),
    "an invalid node label": (
        "ResourceFlavor",
        lambda s: s["nodeLabels"].__setitem__("eks.amazonaws.com/nodegroup", "demo h100"),
        "'demo h100' is not a valid label value",
    ),
    "a taint repeated": (
        "ResourceFlavor",
        lambda s: s.__setitem__(
            "nodeTaints",
            [{"key": "gpu", "value": "a", "effect": "NoSchedule"}, {"key": "gpu", "value": "b", "effect": "NoSchedule"}],
        ),
        "taints must be unique by key and effect pair",
    ),
    "an invalid toleration key": (
        "ResourceFlavor",
        lambda s: s["tolerations"][0].__setitem__("key", "nvidia.com/gpu/x"),
        "tolerations[0].key",
    ),
    "a topology flavor without node labels": (
        "ResourceFlavor",
        lambda s: s.pop("nodeLabels"),
        "at least one nodeLabel is required when topology is set",
    ),
    "a topology flavor whose topology does not exist": (
        "ResourceFlavor",
        lambda s: s.__setitem__("topologyName", "gone"),
        "there is no Topology 'gone' for TAS flavor 'h100'",
    ),
    "a topology level twice": (
        "Topology",
        lambda s: s["levels"].insert(1, {"nodeLabel": "topology.k8s.aws/network-node-layer-1"}),
        "levels: must be unique",
    ),
    "the hostname above a network layer": (
        "Topology",
        lambda s: s["levels"].reverse(),
        "the kubernetes.io/hostname label can only be used at the lowest level",
    ),
    "a local queue for a cluster queue that does not exist": (
        "LocalQueue",
        lambda s: s.__setitem__("clusterQueue", "gone"),
        "ClusterQueue 'gone' does not exist",
    ),
    "a check whose parameters do not exist": (
        "AdmissionCheck",
        lambda s: s["parameters"].__setitem__("name", "gone"),
        "ProvisioningRequestConfig 'gone' does not exist",
    ),
}


def test_the_good_objects_pass():
    assert kueue_webhook_errors(good()) == []


@pytest.mark.parametrize("case", CASES)
def test_each_rule_rejects_the_object_it_is_about(case):
    kind, change, expected = CASES[case]
    errors = kueue_webhook_errors(broken(kind, change))
    assert any(expected in e for e in errors), errors


def test_quantities_parse_as_kubernetes_writes_them():
    assert quantity("2048Gi") == 2048 * 2**30 and quantity("500m") * 2 == 1 and quantity(8) == 8
    assert quantity("1e3") == 1000 and quantity("1n") * 10**9 == 1 and quantity("8 GPUs") is None


PREFERRED = "kueue.x-k8s.io/podset-preferred-topology"
UNCONSTRAINED = "kueue.x-k8s.io/podset-unconstrained-topology"
LAYER_3 = "topology.k8s.aws/network-node-layer-3"


def flavors_and_topologies():
    objects = good()
    return (
        {o["metadata"]["name"]: o for o in objects if o["kind"] == "ResourceFlavor"},
        [o for o in objects if o["kind"] == "Topology"],
    )


def test_a_level_the_topology_has_and_an_unconstrained_launcher_pass():
    flavors, topologies = flavors_and_topologies()
    assert (
        podset_topology_errors({"node": {PREFERRED: LAYER_3}, "launcher": {UNCONSTRAINED: "true"}}, flavors["h100"], topologies)
        == []
    )


PODSET_CASES = {
    "two annotations on one podset": (
        {"node": {PREFERRED: LAYER_3, UNCONSTRAINED: "true"}},
        "h100",
        "must not contain more than one topology annotation",
    ),
    "a level the topology lacks": (
        {"node": {PREFERRED: "topology.k8s.aws/network-node-layer-2"}},
        "h100",
        "does not contain the requested level 'topology.k8s.aws/network-node-layer-2'",
    ),
    "a level on a flavor without topology": (
        {"node": {PREFERRED: LAYER_3}},
        "l4",
        "Flavor does not support TopologyAwareScheduling",
    ),
    "unconstrained not a boolean": ({"node": {UNCONSTRAINED: "yes"}}, "h100", "must be a boolean value"),
    "a level that is no label name": ({"node": {PREFERRED: "layer 3"}}, "h100", "is not a qualified name"),
    "a podset asking nothing of a topology flavor": (
        {"node": {PREFERRED: LAYER_3}, "launcher": {}},
        "h100",
        "podset 'launcher' on flavor 'h100': asks for no topology",
    ),
}


@pytest.mark.parametrize("case", PODSET_CASES)
def test_each_podset_rule_rejects_what_it_is_about(case):
    podsets, flavor, expected = PODSET_CASES[case]
    flavors, topologies = flavors_and_topologies()
    errors = podset_topology_errors(podsets, flavors[flavor], topologies)
    assert any(expected in e for e in errors), errors
