"""The component contract: one module per component, install order from ``after``, settings by name,
identities of the components that are on, and the cluster stack's inputs declared once."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest
from cdktf import App

from cluster_config import components, inputs
from cluster_config.components import cluster_autoscaler, kubeflow_trainer, kueue
from cluster_config.components.contract import EksAddon, Grant, HelmComponent
from cluster_config.components.release_spec import ReleaseSpec
from cluster_config.plan import platform as platform_module
from tests.conftest import plan_for

CONTRACT_SUPPORT = {"contract", "release_spec"}  # every other module of the package is one component


def helm(name: str, *after: str) -> HelmComponent:
    return HelmComponent(name=name, after=after, release=lambda settings, groups: None)


def test_every_component_module_declares_one_component_that_is_registered_once():
    modules = [m.name for m in pkgutil.iter_modules(components.__path__) if m.name not in CONTRACT_SUPPORT]
    assert len(modules) == 19
    registered = [*components.HELM_COMPONENTS, *components.ADDONS]
    for name in modules:
        declared = importlib.import_module(f"cluster_config.components.{name}").COMPONENT
        assert isinstance(declared, (HelmComponent, EksAddon)), name
        assert registered.count(declared) == 1, f"{name}.COMPONENT is registered {registered.count(declared)} times"
    assert len(registered) == len(modules)


def test_install_order_puts_each_component_after_what_it_names_and_keeps_the_given_order_otherwise():
    order = components.install_order((helm("c", "b"), helm("a"), helm("b", "a"), helm("d")))
    assert [c.name for c in order] == ["a", "b", "c", "d"]
    assert [c.name for c in components.install_order((helm("z"), helm("y"), helm("x")))] == ["z", "y", "x"]


def test_the_registry_is_in_an_order_every_declared_dependency_holds_in():
    seen: set[str] = set()
    for component in components.HELM_COMPONENTS:
        assert set(component.after) <= seen, component.name
        seen.add(component.name)
    # The dependencies that matter (CRDs before the objects; the ProvisioningRequest API before its users).
    names = [c.name for c in components.HELM_COMPONENTS]
    for first, then in (
        ("kubeflow-trainer", "training-runtimes"),
        ("kueue", "queues"),
        ("provisioning-request-crd", "kueue"),
        ("provisioning-request-crd", "cluster-autoscaler"),
    ):
        assert names.index(first) < names.index(then)


@pytest.mark.parametrize(
    "graph,message",
    [
        ((helm("a", "b"), helm("b", "c"), helm("c", "a")), "components wait for each other in a cycle: a -> b -> c -> a"),
        ((helm("a"), helm("b", "kueu")), "component b is installed after kueu, which no component is called (components: a, b)"),
        ((helm("a"), helm("a")), "two components are called a"),
    ],
)
def test_a_cycle_an_unknown_name_or_a_name_used_twice_is_a_clear_error(graph, message):
    with pytest.raises(ValueError) as raised:
        components.install_order(graph)
    assert str(raised.value) == message


def test_a_release_waits_only_for_the_components_that_are_installed(config_variant):
    # Without all-or-nothing there is no ProvisioningRequest CRD release to wait for.
    plain = {r.name: r for r in plan_for(config_variant(edit={"queues.all_or_nothing": False})).platform.releases}
    assert "provisioning-request-crd" not in plain
    assert plain["cluster-autoscaler"].after == () and plain["kueue"].after == ()
    releases = {r.name: r for r in plan_for("default.yaml").platform.releases}
    assert releases["cluster-autoscaler"].after == ("provisioning-request-crd",)
    assert releases["queues"].after == ("kueue",) and releases["training-runtimes"].after == ("kubeflow-trainer",)


def test_settings_are_keyed_by_component_name():
    settings = plan_for("default.yaml").platform.settings
    assert set(settings.components) == {c.name for c in components.HELM_COMPONENTS if c.settings is not None}
    assert settings.of(cluster_autoscaler.COMPONENT).version == "9.59.0"  # the 1.35 chart (components/cluster_autoscaler.py)
    assert settings.of(kubeflow_trainer.COMPONENT).max_restarts == 3
    assert settings.of(kueue.COMPONENT).cohort == "demo"


def test_a_release_named_unlike_its_component_is_refused(monkeypatch):
    renamed = HelmComponent(
        name="trainer",
        release=lambda settings, groups: ReleaseSpec(
            name="kubeflow-trainer", namespace="kubeflow-system", chart="kubeflow-trainer", version="1", values={}
        ),
    )
    monkeypatch.setattr(platform_module, "HELM_COMPONENTS", (renamed,))
    with pytest.raises(ValueError, match="component trainer made a release called kubeflow-trainer; the names must agree"):
        plan_for("default.yaml")


@pytest.mark.parametrize(
    "edit,absent",
    [
        ({"platform.cluster_autoscaler.enabled": False}, "cluster-autoscaler"),
        ({"observability.cloudwatch": False}, "amazon-cloudwatch-observability"),
        ({"storage.checkpoints.enabled": False}, "aws-mountpoint-s3-csi-driver"),
        ({"health_check.enabled": False}, "node-health-check"),
    ],
)
def test_a_component_that_is_off_gets_no_role(config_variant, edit, absent):
    everything = {p.component for p in plan_for("default.yaml").pod_identities}
    assert everything == {
        "cluster-autoscaler",
        "amazon-cloudwatch-observability",
        "aws-mountpoint-s3-csi-driver",
        "training-storage",
        "node-health-check",
    }
    # Without the bucket the training namespaces' prefix roles go too.
    gone = {absent, "training-storage"} if absent == "aws-mountpoint-s3-csi-driver" else {absent}
    assert {p.component for p in plan_for(config_variant(edit=edit)).pod_identities} == everything - gone


def test_add_ons_hand_their_roles_over_and_charts_get_an_association():
    associate = {p.component: p.associate for p in plan_for("default.yaml").pod_identities}
    assert associate == {
        "cluster-autoscaler": True,
        "amazon-cloudwatch-observability": False,
        "aws-mountpoint-s3-csi-driver": False,
        "training-storage": True,
        "node-health-check": True,
    }


def test_an_identity_asking_for_a_grant_the_cluster_lacks_is_refused():
    """The plan never asks for what is off; a component that did would fail the synth, not the apply."""
    from stacks.cluster_stack import ClusterStack
    from stacks.network_refs import NetworkRefs

    plan = plan_for("p5-training.yaml")
    without_bucket = dataclasses.replace(plan, storage=dataclasses.replace(plan.storage, checkpoints=None))
    with pytest.raises(
        ValueError,
        match="aws-mountpoint-s3-csi-driver asks to read and write the checkpoint bucket, which this cluster does not have",
    ):
        ClusterStack(
            App(),
            "p5prod-cluster",
            plan=without_bucket,
            network=NetworkRefs(
                vpc_id="vpc-1",
                private_subnet_ids=["subnet-a", "subnet-b"],
                subnet_ids_by_zone={"us-east-1a": ["subnet-a"], "us-east-1b": ["subnet-b"]},
            ),
        )
    assert [g.name for g in Grant] == ["CHECKPOINT_BUCKET_READ_WRITE", "CHECKPOINT_NAMESPACE_PREFIX_READ_WRITE"]


def test_the_inputs_keys_and_templates_are_derived_from_the_fields():
    assert inputs.FIELDS == ("checkpoint_bucket", "fsx_id", "fsx_dns_name", "fsx_mount_name")
    assert [inputs.helm_key(f) for f in inputs.FIELDS] == [
        "inputs.checkpointBucket",
        "inputs.fsxId",
        "inputs.fsxDnsName",
        "inputs.fsxMountName",
    ]
    assert inputs.FROM_CLUSTER.fsx_dns_name == "{{ .Values.inputs.fsxDnsName }}"


def test_a_release_reads_exactly_the_inputs_its_manifests_use():
    def storage(config):
        (release,) = [r for r in plan_for(config).platform.releases if r.name == "training-storage"]
        return release

    assert storage("p5-training.yaml").inputs == inputs.FIELDS  # the bucket and the file system
    assert storage("default.yaml").inputs == ("checkpoint_bucket",)
    # The runtimes hand the bucket's name to DCP (CHECKPOINT_BUCKET); nothing else reads an input.
    reading = {
        r.name: r.inputs for r in plan_for("p5-training.yaml").platform.releases if r.inputs and r.name != "training-storage"
    }
    assert reading == {"training-runtimes": ("checkpoint_bucket",)}


def test_a_component_may_have_a_role_per_gpu_group(monkeypatch):
    """The shape a per-group DaemonSet takes (a node health check that may mark its own group's
    instances unhealthy): one identity per group, each with its own construct id."""
    from cluster_config.components.contract import PodIdentity

    def per_group(basis):
        return tuple(
            PodIdentity(
                construct_id=f"health_{g.name}_role",
                name=f"health-{g.name}",
                namespace="kube-system",
                service_account=f"health-{g.name}",
            )
            for g in basis.gpu_groups
        )

    checker = HelmComponent(
        name="health-check",
        identities=per_group,
        release=lambda settings, groups: ReleaseSpec(
            name="health-check", namespace="kube-system", chart="health-check", version="1", values={}
        ),
    )
    monkeypatch.setattr(platform_module, "HELM_COMPONENTS", (checker,))
    planned = [p for p in plan_for("capacity-block.yaml").pod_identities if p.component == "health-check"]
    assert [(p.identity.construct_id, p.associate) for p in planned] == [
        ("health_h200-block_role", True),
        ("health_a100-odcr_role", True),
    ]


def test_the_kueue_trainer_evidence_is_about_the_pinned_pair_and_the_charts_there_are():
    """charts.KUEUE_TRAINER says why Kueue 0.19.2 and Trainer 2.3.0 stay; it must name the pins in
    force, and its reason (no other chart of either in the reference) must still hold."""
    from cluster_config import charts
    from tests.upstream import require_reference

    evidence = charts.KUEUE_TRAINER
    assert evidence.pins == (("kueue", kueue.CHART.version), ("kubeflow-trainer", kubeflow_trainer.CHART.version))
    assert evidence.pins == (("kueue", "0.19.2"), ("kubeflow-trainer", "2.3.0"))
    assert any("PR #14504" in e for e in evidence.evidence) and any(e.startswith("limit: ") for e in evidence.evidence)
    reference = require_reference()
    assert sorted(p.name for p in (reference / "charts").glob("kueue-*")) == ["kueue-0.19.2"]
    assert sorted(p.name for p in (reference / "charts").glob("kubeflow-trainer-*")) == ["kubeflow-trainer-2.3.0"]
