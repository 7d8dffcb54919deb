"""AwsAccess: the aws provider of a stack, with the user's and the project's tags on everything."""

import pytest

from modules.aws_access import AwsAccess, AwsAccessProps
from tests.conftest import plan_for
from tests.unit.constructs.conftest import synth_alone


@pytest.fixture(scope="module")
def spec():
    plan = plan_for("default.yaml")
    return synth_alone(lambda scope: AwsAccess(scope, "aws", props=AwsAccessProps(region=plan.region, default_tags=plan.tags)))


def test_provider_works_in_the_clusters_region(spec):
    spec.expect_provider("aws", {"region": "us-west-2"})


def test_every_resource_is_tagged_with_the_users_and_the_projects_tags(spec):
    # default_tags are how the cluster tag reaches every resource; nothing else repeats it.
    (provider,) = spec.doc["provider"]["aws"]
    assert provider["default_tags"] == [
        {"tags": {"team": "ml-platform", "gpu-eks:cluster": "demo", "gpu-eks:managed-by": "cdktf"}}
    ]


def test_the_provider_is_pinned(spec):
    assert spec.doc["terraform"]["required_providers"]["aws"] == {"source": "aws", "version": "5.100.0"}
