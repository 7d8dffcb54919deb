"""State backends: local by default, S3 with native locking, Terraform Cloud named workspaces."""

import json

import pytest
import yaml

from tests.conftest import CONFIG_DIR, ROOT


def with_backend(tmp_path, backend, base="default.yaml"):
    data = yaml.safe_load((CONFIG_DIR / base).read_text())
    data["backend"] = backend
    path = tmp_path / f"{backend['type']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_local_is_the_default_with_a_relative_path_to_state_beside_the_output_folder(synth):
    result = synth("default.yaml")
    for name, stack in result.stacks.items():
        assert stack["terraform"]["backend"] == {"local": {"path": f"../../../state/{name}.tfstate"}}
        assert "cloud" not in stack["terraform"]
    # From <outdir>/stacks/<stack>, three levels up is the folder that holds <outdir>.
    stack_dir = result.outdir / "stacks" / "demo-cluster"
    assert (stack_dir / "../../../state").resolve() == (result.outdir.parent / "state").resolve()


def test_cross_stack_remote_state_reads_the_same_relative_path(synth):
    result = synth("default.yaml")
    for consumer, producer in (("cluster", "network"), ("platform", "cluster")):
        (remote,) = result.stack(consumer)["data"]["terraform_remote_state"].values()
        assert remote["backend"] == "local"
        assert remote["config"] == {"path": f"../../../state/demo-{producer}.tfstate"}
    assert str(ROOT) not in json.dumps(result.stacks)  # no absolute path of the checkout anywhere


def test_s3_backend_encrypts_and_uses_s3_native_locking(synth):
    result = synth("existing-vpc.yaml")
    for role in ("cluster", "platform"):
        s3 = result.stack(role)["terraform"]["backend"]["s3"]
        assert s3 == {"bucket": "example-terraform-state", "key": f"gpu-eks/byovpc/{role}.tfstate",
                      "region": "eu-west-1", "encrypt": True, "use_lockfile": True}
    (remote,) = result.stack("platform")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "s3" and remote["config"]["key"] == "gpu-eks/byovpc/cluster.tfstate"


def test_s3_backend_optional_dynamodb_lock_and_default_prefix(synth, tmp_path):
    path = with_backend(tmp_path, {"type": "s3", "bucket": "team-state", "dynamodb_table": "tf-locks"})
    s3 = synth(path).stack("network")["terraform"]["backend"]["s3"]
    assert s3["key"] == "gpu-eks/demo/network.tfstate" and s3["dynamodb_table"] == "tf-locks"
    assert s3["region"] == "us-west-2" and s3["use_lockfile"] is True


def test_cloud_backend_gives_each_stack_a_named_workspace(synth):
    result = synth("capacity-block.yaml")
    for role in ("network", "cluster", "platform"):
        cloud = result.stack(role)["terraform"]["cloud"]
        assert cloud == {"hostname": "app.terraform.io", "organization": "example-ml-platform",
                         "workspaces": {"name": f"cbtrain-{role}", "project": "gpu-training"}}
    (remote,) = result.stack("cluster")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "remote"
    assert remote["config"]["workspaces"] == {"name": "cbtrain-network"}


def test_cloud_workspace_prefix_and_hostname(synth, tmp_path):
    path = with_backend(tmp_path, {"type": "cloud", "organization": "acme", "hostname": "tfe.example.com", "workspace_prefix": "ml-prod"})
    cloud = synth(path).stack("cluster")["terraform"]["cloud"]
    assert cloud["hostname"] == "tfe.example.com" and cloud["workspaces"] == {"name": "ml-prod-cluster"}


@pytest.mark.parametrize("backend,expected", [
    ({"type": "gcs"}, "backend: must be one of local, s3, cloud (got 'gcs', a string)"),
    ({"type": "s3"}, "backend.bucket: required key is missing"),
    ({"type": "s3", "bucket": "Bad_Bucket"}, "backend.bucket: must be an S3 bucket name"),
    ({"type": "s3", "bucket": "ok-bucket", "bukcet": "x"}, "backend.bukcet: unknown key; did you mean 'bucket'?"),
    ({"type": "cloud"}, "backend.organization: required key is missing"),
])
def test_bad_backend_is_rejected(tmp_path, backend, expected):
    from cluster_config import ConfigError, load_config

    path = with_backend(tmp_path, backend)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert any(line.startswith(f"{path}: {expected}") for line in error.value.lines), error.value.lines
