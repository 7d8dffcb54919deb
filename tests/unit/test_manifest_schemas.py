"""Core-Kubernetes objects we ship or render, checked against the cluster's Kubernetes schemas.

kubernetes-validate carries the OpenAPI schemas per Kubernetes release. Custom
resources (TrainJob, ClusterTrainingRuntime) have no schema there, so the pod
templates inside our runtimes are checked as core PodTemplate objects, and the
custom resources' own shape is asserted in test_platform_stack.py.
"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate  # a dev requirement: missing, this file must fail, not skip
import pytest
import yaml

from cluster_config import load_config, names
from cluster_config.plan import build_plan
from cluster_config.components.training_runtimes import CODE_CONFIGMAP, CODE_MOUNT, pod_template
from tests.conftest import CONFIG_DIR, EXAMPLE_CONFIGS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def validate(obj: dict, version: str) -> None:
    kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("config_file", EXAMPLE_CONFIGS)
def test_runtime_pod_templates_are_valid_core_pod_templates(config_file):
    plan = build_plan(load_config(CONFIG_DIR / config_file).config)
    for group in plan.gpu_groups:
        template = pod_template(plan.platform.settings, group)
        validate(
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": names.runtime_name(group.name)},
                "template": template,
            },
            plan.kubernetes_version,
        )


def test_a_broken_pod_template_is_caught():
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(
            {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "x"},
                "template": {"spec": {"containers": [{"name": "node", "resources": {"limit": {}}}]}},
            },
            "1.34",
        )


def rendered_config_maps(kustomization: Path) -> list[dict]:
    """What `kubectl apply -k` makes of a configMapGenerator (names unhashed, as the examples ask)."""
    spec = yaml.safe_load(kustomization.read_text())
    assert spec.get("generatorOptions", {}).get("disableNameSuffixHash") is True, "the runtime mounts a fixed ConfigMap name"
    maps = []
    for generator in spec.get("configMapGenerator", []):
        data = {Path(f).name: (kustomization.parent / f).read_text() for f in generator["files"]}
        maps.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]}, "data": data})
    return maps


def test_example_config_maps_are_valid_and_mount_where_the_runtime_looks():
    (config_map,) = rendered_config_maps(EXAMPLES / "code" / "kustomization.yaml")
    validate(config_map, "1.34")
    assert config_map["metadata"]["name"] == CODE_CONFIGMAP
    assert sorted(config_map["data"]) == [
        "allreduce_bench.py",
        "checkpoint_bench.py",
        "checkpoint_protocol.py",
        "train.py",
        "train_fsdp.py",
    ]


@pytest.mark.parametrize("example", ["first-job", "nccl-allreduce"])
def test_example_trainjobs_ask_for_what_the_default_group_has(example):
    job = yaml.safe_load((EXAMPLES / example / "trainjob.yaml").read_text())
    plan = build_plan(load_config(CONFIG_DIR / "default.yaml").config)
    (group,) = [g for g in plan.gpu_groups if names.runtime_name(g.name) == job["spec"]["runtimeRef"]["name"]]
    assert job["spec"]["trainer"]["resourcesPerNode"]["limits"] == {"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}
    assert job["spec"]["trainer"]["numNodes"] == 2
    script = job["spec"]["trainer"]["command"][1]
    assert script.startswith(CODE_MOUNT + "/") and (EXAMPLES / "code" / Path(script).name).is_file()
    kustomization = yaml.safe_load((EXAMPLES / example / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["../code", "trainjob.yaml"]
