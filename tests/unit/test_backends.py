"""State backends: local by default, S3 with native locking, Terraform Cloud named workspaces."""

import pytest
import yaml

from tests.conftest import CONFIG_DIR


def with_backend(tmp_path, backend, base="default.yaml"):
    data = yaml.safe_load((CONFIG_DIR / base).read_text())
    data["backend"] = backend
    path = tmp_path / f"{backend['type']}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_local_is_the_default(synth):
    for stack in synth("default.yaml").stacks.values():
        assert "backend" not in stack["terraform"] or set(stack["terraform"]["backend"]) == {"local"}
        assert "cloud" not in stack["terraform"]


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
