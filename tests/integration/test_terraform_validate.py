"""The real terraform and the real hashicorp/aws provider validate every AWS stack."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import EXAMPLE_CONFIGS

pytestmark = pytest.mark.integration


def run(cmd, cwd, env):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_terraform_validate_passes_on_every_aws_stack(config, synth, terraform_offline):
    terraform, env = terraform_offline
    result = synth(config)
    assert result.stacks, "synth produced no stacks"
    aws_stacks = [name for name, stack in result.stacks.items() if set(stack.get("provider", {})) == {"aws"}]
    # The platform stack needs the kubernetes and helm providers, which have no
    # offline mirror here; tests/unit/test_platform_stack.py checks it by synth assertions.
    assert {n for n in result.stacks if n not in aws_stacks} <= {n for n in result.stacks if n.endswith("-platform")}
    for name in aws_stacks:
        stack_dir = result.outdir / "stacks" / name
        init = run([terraform, "init", "-backend=false", "-input=false", "-no-color"], stack_dir, env)
        assert init.returncode == 0, f"{name}: terraform init failed:\n{init.stderr}"
        validate = run([terraform, "validate", "-no-color", "-json"], stack_dir, env)
        assert validate.returncode == 0 and '"valid": true' in validate.stdout, f"{name}:\n{validate.stdout}{validate.stderr}"


def test_terraform_accepts_an_s3_backend_with_a_lock_table_and_refuses_a_floor_above_itself(
    synth, config_variant, terraform_offline
):
    """With dynamodb_table the stacks leave out use_lockfile and require >= 1.1; this terraform
    (1.11) inits and validates them, and stops with a version message on a floor above it."""
    terraform, env = terraform_offline
    config = config_variant(
        edit={"backend": {"type": "s3", "bucket": "team-state", "dynamodb_table": "tf-locks"}}, name="lock-table"
    )
    result = synth(config)
    stack_dir = result.outdir / "stacks" / "demo-cluster"
    assert "use_lockfile" not in result.stack("cluster")["terraform"]["backend"]["s3"]
    init = run([terraform, "init", "-backend=false", "-input=false", "-no-color"], stack_dir, env)
    assert init.returncode == 0, init.stderr
    validate = run([terraform, "validate", "-no-color", "-json"], stack_dir, env)
    assert validate.returncode == 0 and '"valid": true' in validate.stdout, validate.stdout
    document = json.loads((stack_dir / "cdk.tf.json").read_text())
    document["terraform"]["required_version"] = ">= 99.0"
    (stack_dir / "cdk.tf.json").write_text(json.dumps(document))
    refused = run([terraform, "init", "-backend=false", "-input=false", "-no-color"], stack_dir, env)
    assert refused.returncode == 1 and "Unsupported Terraform Core version" in refused.stderr
