"""HelmRelease: one helm_release from a ReleaseSpec of the plan."""

import pytest
import yaml

from cluster_config.inputs import PlatformInputs
from modules.helm_release import HelmRelease, HelmReleaseProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone


@pytest.fixture(scope="module")
def specs():
    return {release.name: release for release in plan_for("default.yaml").platform.releases}


@pytest.fixture(scope="module")
def spec(specs):
    def build(scope):
        autoscaler = HelmRelease(scope, "cluster_autoscaler", props=HelmReleaseProps(spec=specs["cluster-autoscaler"]))
        runtimes = HelmRelease(
            scope,
            "training_runtimes",
            props=HelmReleaseProps(spec=specs["training-runtimes"], inputs=PlatformInputs(checkpoint_bucket="bucket-ref")),
            depends_on=[autoscaler.release],
        )
        return autoscaler, runtimes

    return synth_alone(build)


def release(spec, name):
    (found,) = [r for r in spec.resources("helm_release").values() if r["name"] == name]
    return found


def test_a_chart_from_a_repository_is_pinned_to_the_plans_version(spec):
    spec.expect_resource(
        "helm_release",
        {
            "name": "cluster-autoscaler",
            "namespace": "kube-system",
            "chart": "cluster-autoscaler",
            "repository": "https://kubernetes.github.io/autoscaler",
            "version": "9.59.0",
            "create_namespace": False,
        },
    )


@pytest.mark.parametrize("name", ["cluster-autoscaler", "training-runtimes"])
def test_a_failed_install_is_rolled_back_not_left_half_applied(spec, name):
    assert (release(spec, name)["atomic"], release(spec, name)["wait"], release(spec, name)["timeout"]) == (True, True, 600)


@pytest.mark.parametrize("name", ["cluster-autoscaler", "training-runtimes"])
def test_values_are_the_spec_as_one_sorted_yaml_document(spec, specs, name):
    # Sorted, so the synthesized stack does not change from one synth to the next; a value
    # used twice is written out twice, not as an anchor, so a plan diff reads like the spec.
    (values,) = release(spec, name)["values"]
    assert yaml.safe_load(values) == specs[name].values
    assert "&id" not in values and "*id" not in values
    top_keys = [line.split(":")[0] for line in values.splitlines() if line and not line.startswith((" ", "-"))]
    assert top_keys == sorted(top_keys)


def test_a_local_chart_travels_with_the_stack_as_an_asset(spec):
    """Terraform Cloud uploads only the stack's folder, so the chart is copied into it."""
    runtimes = release(spec, "training-runtimes")
    assert runtimes["chart"].startswith("assets/") and "repository" not in runtimes and "version" not in runtimes


def test_dependencies_are_passed_through(spec):
    (autoscaler,) = [k for k, r in spec.resources("helm_release").items() if r["name"] == "cluster-autoscaler"]
    assert release(spec, "training-runtimes")["depends_on"] == [f"helm_release.{autoscaler}"]
    assert "depends_on" not in release(spec, "cluster-autoscaler")


def test_the_cluster_stacks_values_a_release_reads_are_set_under_keys_derived_from_their_fields():
    (storage,) = [r for r in plan_for("p5-training.yaml").platform.releases if r.name == "training-storage"]
    made = PlatformInputs(checkpoint_bucket="bucket-ref", fsx_id="fs-ref", fsx_dns_name="dns-ref", fsx_mount_name="mount-ref")
    spec = synth_alone(lambda scope: HelmRelease(scope, "training_storage", props=HelmReleaseProps(spec=storage, inputs=made)))
    assert spec.resource("helm_release")["set"] == [
        {"name": "inputs.checkpointBucket", "value": "bucket-ref", "type": "string"},
        {"name": "inputs.fsxId", "value": "fs-ref", "type": "string"},
        {"name": "inputs.fsxDnsName", "value": "dns-ref", "type": "string"},
        {"name": "inputs.fsxMountName", "value": "mount-ref", "type": "string"},
    ]
    # ...and the manifests read them by the templates of the same names.
    (values,) = spec.resource("helm_release")["values"]
    assert "{{ .Values.inputs.checkpointBucket }}" in values and "{{ .Values.inputs.fsxMountName }}" in values


def test_a_release_that_reads_what_the_cluster_stack_did_not_make_is_refused():
    (storage,) = [r for r in plan_for("p5-training.yaml").platform.releases if r.name == "training-storage"]
    with pytest.raises(
        ValueError,
        match="release training-storage reads fsx_id, fsx_dns_name, fsx_mount_name from the cluster stack, which made none",
    ):
        synth_alone(
            lambda scope: HelmRelease(
                scope,
                "training_storage",
                props=HelmReleaseProps(spec=storage, inputs=PlatformInputs(checkpoint_bucket="bucket-ref")),
            )
        )
