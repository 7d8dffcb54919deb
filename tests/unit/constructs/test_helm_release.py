"""HelmRelease: one helm_release from a ReleaseSpec of the plan."""

import pytest
import yaml

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
        runtimes = HelmRelease(scope, "training_runtimes", props=HelmReleaseProps(spec=specs["training-runtimes"]),
                               depends_on=[autoscaler.release])
        return autoscaler, runtimes

    return synth_alone(build)


def release(spec, name):
    (found,) = [r for r in spec.resources("helm_release").values() if r["name"] == name]
    return found


def test_a_chart_from_a_repository_is_pinned_to_the_plans_version(spec):
    spec.expect_resource("helm_release", {
        "name": "cluster-autoscaler", "namespace": "kube-system", "chart": "cluster-autoscaler",
        "repository": "https://kubernetes.github.io/autoscaler", "version": "9.53.0", "create_namespace": False,
    })


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
