"""State backends: local by default, S3 with native locking, Terraform Cloud named workspaces."""

import pytest


def with_backend(config_variant, backend):
    return config_variant(edit={"backend": backend}, name=f"{backend['type']}-backend")


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


def test_s3_backend_keeps_the_users_lock_table_and_state_key_with_the_default_prefix(synth, config_variant):
    key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = synth(with_backend(config_variant, {"type": "s3", "bucket": "team-state", "dynamodb_table": "tf-locks", "kms_key_id": key}))
    for role in ("network", "cluster", "platform"):
        s3 = result.stack(role)["terraform"]["backend"]["s3"]
        assert s3 == {"bucket": "team-state", "key": f"gpu-eks/demo/{role}.tfstate", "region": "us-west-2", "encrypt": True,
                      "kms_key_id": key, "dynamodb_table": "tf-locks", "use_lockfile": True}, role


def test_cloud_backend_gives_each_stack_a_named_workspace(synth):
    result = synth("capacity-block.yaml")
    for role in ("network", "cluster", "platform"):
        cloud = result.stack(role)["terraform"]["cloud"]
        assert cloud == {"hostname": "app.terraform.io", "organization": "example-ml-platform",
                         "workspaces": {"name": f"cbtrain-{role}", "project": "gpu-training"}}
    (remote,) = result.stack("cluster")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "remote"
    assert remote["config"]["workspaces"] == {"name": "cbtrain-network"}


def test_cloud_workspace_prefix_and_hostname(synth, config_variant):
    path = with_backend(config_variant, {"type": "cloud", "organization": "acme", "hostname": "tfe.example.com", "workspace_prefix": "ml-prod"})
    cloud = synth(path).stack("cluster")["terraform"]["cloud"]
    assert cloud["hostname"] == "tfe.example.com" and cloud["workspaces"] == {"name": "ml-prod-cluster"}


@pytest.mark.parametrize("backend,expected", [
    ({"type": "gcs"}, "backend: must be one of local, s3, cloud (got 'gcs', a string)"),
    ({"type": "s3"}, "backend.bucket: required key is missing"),
    ({"type": "s3", "bucket": "Bad_Bucket"}, "backend.bucket: must be an S3 bucket name"),
    ({"type": "s3", "bucket": "ok-bucket", "bukcet": "x"}, "backend.bukcet: unknown key; did you mean 'bucket'?"),
    ({"type": "cloud"}, "backend.organization: required key is missing"),
])
def test_bad_backend_is_rejected(config_variant, backend, expected):
    from cluster_config import ConfigError, load_config

    path = with_backend(config_variant, backend)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert any(line.startswith(f"{path}: {expected}") for line in error.value.lines), error.value.lines
