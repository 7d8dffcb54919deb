"""ManagedAddons: EKS managed add-ons, in two groups around the nodes."""

import pytest

from modules import bindings
from modules.managed_addons import AFTER_NODES, BEFORE_NODES, ManagedAddons, ManagedAddonsProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone


@pytest.fixture(scope="module")
def spec():
    name = plan_for("default.yaml").name

    def build(scope):
        before = ManagedAddons(scope, "addons_before_nodes", props=ManagedAddonsProps(cluster_name=name, addons=BEFORE_NODES))
        nodes = bindings.EksNodeGroup(scope, "system_nodes", cluster_name=name, node_role_arn="arn:aws:iam::111122223333:role/n",
                                      subnet_ids=["subnet-a"], scaling_config=bindings.EksNodeGroupScalingConfig(min_size=1, max_size=1, desired_size=1))
        after = ManagedAddons(scope, "addons_after_nodes", props=ManagedAddonsProps(cluster_name=name, addons=AFTER_NODES), depends_on=[nodes])
        return before, after

    return synth_alone(build)


def addons(spec):
    return {a["addon_name"]: a for a in spec.resources("aws_eks_addon").values()}


def test_the_network_and_identity_add_ons_come_before_nodes_and_dns_after():
    # vpc-cni before a node can be Ready; the Pod Identity agent before a pod asks for
    # credentials; coredns needs a node to run on.
    assert set(BEFORE_NODES) == {"vpc-cni", "eks-pod-identity-agent", "kube-proxy"}
    assert AFTER_NODES == ("coredns",)


def test_each_add_on_is_installed_for_this_cluster_and_versioned_by_eks(spec):
    assert sorted(addons(spec)) == ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
    for addon in addons(spec).values():
        assert addon["cluster_name"] == "demo"
        assert "addon_version" not in addon  # EKS installs its default for the cluster's version


def test_self_managed_copies_are_overwritten_on_create_and_kept_on_update(spec):
    for addon in addons(spec).values():
        assert (addon["resolve_conflicts_on_create"], addon["resolve_conflicts_on_update"]) == ("OVERWRITE", "PRESERVE")


def test_coredns_waits_for_the_nodes_it_is_given(spec):
    assert addons(spec)["coredns"]["depends_on"] == [spec.only_address("aws_eks_node_group")]
    assert all("depends_on" not in addons(spec)[name] for name in BEFORE_NODES)
