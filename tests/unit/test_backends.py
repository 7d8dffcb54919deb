"""State backends: local by default, S3 with native locking, Terraform Cloud named workspaces."""

import json

import pytest

from tests.conftest import ROOT


def with_backend(config_variant, backend):
    return config_variant(edit={"backend": backend}, name=f"{backend['type']}-backend")


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
        assert s3 == {
            "bucket": "example-terraform-state",
            "key": f"gpu-eks/byovpc/{role}.tfstate",
            "region": "eu-west-1",
            "encrypt": True,
            "use_lockfile": True,
        }
        # S3's lock file needs Terraform 1.10: an older one stops at init on the version, not the argument.
        assert result.stack(role)["terraform"]["required_version"] == ">= 1.10"
    (remote,) = result.stack("platform")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "s3" and remote["config"]["key"] == "gpu-eks/byovpc/cluster.tfstate"


def test_s3_backend_with_a_lock_table_locks_with_it_alone_for_terraform_before_1_10(synth, config_variant):
    """Terraform before 1.10 rejects use_lockfile, and a lock table is named for exactly those."""
    key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = synth(
        with_backend(config_variant, {"type": "s3", "bucket": "team-state", "dynamodb_table": "tf-locks", "kms_key_id": key})
    )
    for role in ("network", "cluster", "platform"):
        terraform = result.stack(role)["terraform"]
        assert terraform["backend"]["s3"] == {
            "bucket": "team-state",
            "key": f"gpu-eks/demo/{role}.tfstate",
            "region": "us-west-2",
            "encrypt": True,
            "kms_key_id": key,
            "dynamodb_table": "tf-locks",
        }, role
        # The floor the stacks' moved blocks need (Terraform 1.1), not the lock file's 1.10.
        assert terraform["required_version"] == ">= 1.1", role


def test_local_and_cloud_stacks_require_terraform_1_1_for_their_moved_blocks(synth):
    for config in ("default.yaml", "capacity-block.yaml"):
        for name, stack in synth(config).stacks.items():
            assert stack["terraform"]["required_version"] == ">= 1.1", name


def test_cloud_backend_gives_each_stack_a_named_workspace(synth):
    result = synth("capacity-block.yaml")
    for role in ("network", "cluster", "platform"):
        cloud = result.stack(role)["terraform"]["cloud"]
        assert cloud == {
            "hostname": "app.terraform.io",
            "organization": "example-ml-platform",
            "workspaces": {"name": f"cbtrain-{role}", "project": "gpu-training"},
        }
    (remote,) = result.stack("cluster")["data"]["terraform_remote_state"].values()
    assert remote["backend"] == "remote"
    assert remote["config"]["workspaces"] == {"name": "cbtrain-network"}


def test_cloud_workspace_prefix_and_hostname(synth, config_variant):
    path = with_backend(
        config_variant, {"type": "cloud", "organization": "acme", "hostname": "tfe.example.com", "workspace_prefix": "ml-prod"}
    )
    cloud = synth(path).stack("cluster")["terraform"]["cloud"]
    assert cloud["hostname"] == "tfe.example.com" and cloud["workspaces"] == {"name": "ml-prod-cluster"}


@pytest.mark.parametrize(
    "backend,expected",
    [
        ({"type": "gcs"}, "backend: must be one of local, s3, cloud (got 'gcs', a string)"),
        ({"type": "s3"}, "backend.bucket: required key is missing"),
        ({"type": "s3", "bucket": "Bad_Bucket"}, "backend.bucket: must be an S3 bucket name"),
        ({"type": "s3", "bucket": "ok-bucket", "bukcet": "x"}, "backend.bukcet: unknown key; did you mean 'bucket'?"),
        ({"type": "cloud"}, "backend.organization: required key is missing"),
    ],
)
def test_bad_backend_is_rejected(config_variant, backend, expected):
    from cluster_config import ConfigError, load_config

    path = with_backend(config_variant, backend)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert any(line.startswith(f"{path}: {expected}") for line in error.value.lines), error.value.lines
