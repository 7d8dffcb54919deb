"""ManagedAddons: EKS managed add-ons of one install phase, as the plan lists them."""

import json

import pytest

from modules import bindings
from modules.managed_addons import ManagedAddons, ManagedAddonsProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import context_for, synth_alone

ROLE = "arn:aws:iam::111122223333:role/addon"


@pytest.fixture(scope="module")
def plan():
    return plan_for("default.yaml")


@pytest.fixture(scope="module")
def spec(plan):
    before_nodes = tuple(a for a in plan.addons if a.before_nodes)
    after_nodes = tuple(a for a in plan.addons if not a.before_nodes)
    roles = {a.name: ROLE for a in after_nodes if a.identity}

    def build(scope):
        before = ManagedAddons(
            scope,
            "addons_before_nodes",
            props=ManagedAddonsProps(context=context_for(plan), addons=before_nodes, kubernetes_version=plan.kubernetes_version),
        )
        nodes = bindings.EksNodeGroup(
            scope,
            "system_nodes",
            cluster_name=plan.name,
            node_role_arn="arn:aws:iam::111122223333:role/n",
            subnet_ids=["subnet-a"],
            scaling_config=bindings.EksNodeGroupScalingConfig(min_size=1, max_size=1, desired_size=1),
        )
        after = ManagedAddons(
            scope,
            "addons_after_nodes",
            props=ManagedAddonsProps(
                context=context_for(plan), addons=after_nodes, role_arns=roles, kubernetes_version=plan.kubernetes_version
            ),
            depends_on=[nodes],
        )
        return before, after

    return synth_alone(build)


def addons(spec):
    return {a["addon_name"]: a for a in spec.resources("aws_eks_addon").values()}


def test_the_network_and_identity_add_ons_come_before_nodes_and_the_rest_after(plan):
    # vpc-cni before a node can be Ready; the Pod Identity agent before a pod asks for
    # credentials; the rest need a node to run on.
    assert {a.name for a in plan.addons if a.before_nodes} == {"vpc-cni", "eks-pod-identity-agent", "kube-proxy"}
    assert {a.name for a in plan.addons if not a.before_nodes} == {
        "coredns",
        "eks-node-monitoring-agent",
        "aws-mountpoint-s3-csi-driver",
        "amazon-cloudwatch-observability",
    }


def test_each_add_on_runs_the_newest_version_eks_has_for_the_clusters_minor(spec):
    lookups = spec.doc["data"]["aws_eks_addon_version"]
    assert len(addons(spec)) == 7 and len(lookups) == 7
    for addon in addons(spec).values():
        assert addon["cluster_name"] == "demo"
        (key,) = [k for k, v in lookups.items() if v["addon_name"] == addon["addon_name"]]
        assert lookups[key] == {"addon_name": addon["addon_name"], "kubernetes_version": "1.35", "most_recent": True}
        assert addon["addon_version"] == f"${{data.aws_eks_addon_version.{key}.version}}"


def test_self_managed_copies_are_overwritten_on_create_and_kept_on_update(spec):
    for addon in addons(spec).values():
        assert (addon["resolve_conflicts_on_create"], addon["resolve_conflicts_on_update"]) == ("OVERWRITE", "PRESERVE")


def test_the_vpc_cni_hands_out_pod_ips_by_prefix(spec):
    config = json.loads(addons(spec)["vpc-cni"]["configuration_values"])
    assert config == {"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}


def test_add_ons_that_call_aws_get_a_role_through_pod_identity_on_the_add_on(spec):
    assert addons(spec)["aws-mountpoint-s3-csi-driver"]["pod_identity_association"] == [
        {"role_arn": ROLE, "service_account": "s3-csi-driver-sa"}
    ]
    assert addons(spec)["amazon-cloudwatch-observability"]["pod_identity_association"] == [
        {"role_arn": ROLE, "service_account": "cloudwatch-agent"}
    ]
    assert "pod_identity_association" not in addons(spec)["coredns"]


def test_after_node_add_ons_wait_for_the_nodes_they_are_given(spec):
    for name in ("coredns", "eks-node-monitoring-agent", "amazon-cloudwatch-observability"):
        assert addons(spec)[name]["depends_on"] == [spec.only_address("aws_eks_node_group")]
    assert all("depends_on" not in addons(spec)[name] for name in ("vpc-cni", "eks-pod-identity-agent", "kube-proxy"))
