"""The autoscaler at the cluster's minor, the EFA plugin from the cluster's region."""

from __future__ import annotations

import pytest

from cluster_config import load_config
from cluster_config.plan import build_plan


def release(config_path, name):
    (spec,) = [r for r in build_plan(load_config(config_path).config).platform.releases if r.name == name]
    return spec


# 1.30 and 1.31 are past EKS extended support and rejected (tests/unit/test_versions.py).
@pytest.mark.parametrize(
    "minor,chart,image",
    [("1.32", "9.46.6", "v1.32.7"), ("1.33", "9.51.0", "v1.33.6"), ("1.34", "9.53.0", "v1.34.5"), ("1.35", "9.59.0", "v1.35.2")],
)
def test_cluster_autoscaler_runs_the_release_and_newest_image_of_the_clusters_minor(config_variant, minor, chart, image):
    spec = release(config_variant(edit={"kubernetes_version": minor}), "cluster-autoscaler")
    assert (spec.version, spec.values["image"]) == (chart, {"tag": image})


def test_a_minor_no_chart_ships_yet_gets_the_newest_chart_and_its_own_image_with_a_warning(config_variant):
    path = config_variant(edit={"kubernetes_version": "1.36"})
    spec = release(path, "cluster-autoscaler")
    assert (spec.version, spec.values["image"]) == ("9.59.0", {"tag": "v1.36.1"})
    assert any(
        "no cluster-autoscaler chart ships Kubernetes 1.36 yet; the newest (1.35's chart) is used, running image v1.36.1" in w
        for w in load_config(path).warnings
    )


def test_the_users_autoscaler_chart_version_wins_with_its_own_image(config_variant):
    path = config_variant(edit={"kubernetes_version": "1.33", "platform": {"cluster_autoscaler": {"version": "9.50.1"}}})
    spec = release(path, "cluster-autoscaler")
    assert (spec.version, "image" in spec.values) == ("9.50.1", False)


@pytest.mark.parametrize(
    "region,image",
    [
        ("us-west-2", "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/aws-efa-k8s-device-plugin"),
        ("eu-west-1", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/aws-efa-k8s-device-plugin"),
        ("me-south-1", "558608220178.dkr.ecr.me-south-1.amazonaws.com/eks/aws-efa-k8s-device-plugin"),
    ],
)
def test_the_efa_plugin_image_comes_from_the_clusters_region(config_variant, region, image):
    def edit(data):
        data["region"] = region
        data["network"]["availability_zones"] = [f"{region}a", f"{region}b"]
        data["gpu_node_groups"][0]["availability_zone"] = f"{region}a"

    values = release(config_variant(edit=edit), "aws-efa-k8s-device-plugin").values
    assert values["image"] == {"repository": image, "tag": "v0.5.20"}
