"""PlatformNamespace: a namespace for platform components that Kubernetes does not have already."""

import pytest

from modules import bindings
from modules.platform_namespace import PlatformNamespace, PlatformNamespaceProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone


@pytest.fixture(scope="module")
def spec():
    created = plan_for("default.yaml").platform.namespaces_to_create  # kube-system and default already exist
    assert created == ("kubeflow-system", "kueue-system")
    name = created[0]

    def build(scope):
        earlier = bindings.NamespaceV1(scope, "earlier", metadata=bindings.NamespaceV1Metadata(name="earlier"))
        return PlatformNamespace(scope, "namespace", props=PlatformNamespaceProps(name=name), depends_on=[earlier])

    return synth_alone(build)


def test_the_trainer_namespace_is_made_and_marked_as_ours(spec):
    spec.expect_resource(
        "kubernetes_namespace_v1",
        {
            "metadata": {"name": "kubeflow-system", "labels": {"app.kubernetes.io/managed-by": "gpu-eks"}},
        },
    )


def test_dependencies_are_passed_through(spec):
    (ours,) = [n for n in spec.resources("kubernetes_namespace_v1").values() if n["metadata"]["name"] == "kubeflow-system"]
    (earlier,) = [k for k, n in spec.resources("kubernetes_namespace_v1").items() if n["metadata"]["name"] == "earlier"]
    assert ours["depends_on"] == [f"kubernetes_namespace_v1.{earlier}"]
