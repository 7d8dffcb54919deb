"""The examples each synth writes per GPU group, and the checked-in ones they must equal for the default config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import job_examples
from cluster_config import load_config
from cluster_config.plan import build_plan
from tests.conftest import CONFIG_DIR, EXAMPLE_CONFIGS, ROOT
from tests.upstream import validate_custom_resource


def plan_of(config):
    return build_plan(load_config(CONFIG_DIR / config).config)


@pytest.mark.parametrize("example", sorted(job_examples.EXAMPLES))
def test_the_checked_in_examples_are_what_the_default_config_generates(example):
    generated = job_examples.examples_for(plan_of("default.yaml"))["a10g"][example]
    assert yaml.safe_load((ROOT / "examples" / example / "trainjob.yaml").read_text()) == generated
    kustomization = yaml.safe_load((ROOT / "examples" / example / "kustomization.yaml").read_text())
    assert kustomization == job_examples.kustomization(plan_of("default.yaml"), example, "../code")


# Each example config's NVIDIA groups: what a whole node has (EC2 accelerated computing specifications:
# GPUs, and one EFA device per EFA interface) and the processes nccl-tests starts on two nodes.
WHOLE_NODES = {
    ("bottlerocket.yaml", "l40s"): ({"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 4}, 16),  # g6e.48xlarge: 4 cards, 4 EFA
    ("capacity-block.yaml", "h200-block"): ({"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 16}, 16),  # p5en.48xlarge
    ("capacity-block.yaml", "a100-odcr"): ({"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 4}, 16),  # p4d.24xlarge
    ("default.yaml", "a10g"): ({"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}, 8),  # g5.12xlarge
    ("existing-vpc.yaml", "l4"): ({"nvidia.com/gpu": 4, "vpc.amazonaws.com/efa": 1}, 8),  # g6.12xlarge
    ("existing-vpc.yaml", "l4-spot"): ({"nvidia.com/gpu": 1}, 2),  # g6.xlarge: no EFA
    ("p5-efa.yaml", "h100"): ({"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}, 16),  # p5.48xlarge
    ("p5-training.yaml", "h100"): ({"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}, 16),
}


def test_every_nvidia_group_of_every_config_gets_examples_for_its_own_runtime_and_counts():
    seen = {}
    for config in EXAMPLE_CONFIGS:
        plan = plan_of(config)
        examples = job_examples.examples_for(plan)
        assert sorted(examples) == sorted(g.name for g in plan.gpu_groups if g.nvidia), config
        for group in (g for g in plan.gpu_groups if g.nvidia):
            job = examples[group.name]["first-job"]
            assert job["spec"]["runtimeRef"]["name"] == f"torch-{group.name}"
            mpirun = examples[group.name]["nccl-tests"]["spec"]["trainer"]["command"]
            seen[(config, group.name)] = (
                job["spec"]["trainer"]["resourcesPerNode"]["limits"],
                int(mpirun[mpirun.index("-np") + 1]),
            )
            assert ("FI_PROVIDER=efa" in mpirun) == group.efa
    assert seen == WHOLE_NODES


def test_a_one_node_group_gets_one_node_examples_it_can_admit(config_variant):
    """A job asking for more nodes than the group's max_size never fits its queue's quota, and waits forever."""
    plan = build_plan(load_config(config_variant(edit={"gpu_node_groups.0.max_size": 1})).config)
    examples = job_examples.examples_for(plan)["a10g"]
    assert examples["first-job"]["spec"]["trainer"]["numNodes"] == 1
    nccl = examples["nccl-tests"]["spec"]["trainer"]
    assert nccl["numNodes"] == 1
    assert nccl["command"][nccl["command"].index("-np") + 1] == "4"  # 1 node x 4 GPUs of a g5.12xlarge


def test_p5_examples_ask_for_8_gpus_and_32_efa_on_two_nodes():
    job = job_examples.examples_for(plan_of("p5-efa.yaml"))["h100"]["first-job"]
    assert job["spec"]["trainer"]["numNodes"] == 2
    assert job["spec"]["trainer"]["resourcesPerNode"]["limits"] == {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}


def test_p5_fsdp_example_installs_the_pinned_connector_and_checkpoints_to_its_prefix():
    job = job_examples.examples_for(plan_of("p5-efa.yaml"))["h100"]["fsdp"]
    trainer = job["spec"]["trainer"]
    assert trainer["numNodes"] == 2
    assert trainer["resourcesPerNode"]["limits"] == {"nvidia.com/gpu": 8, "vpc.amazonaws.com/efa": 32}
    assert job["spec"]["runtimeRef"]["name"] == "torch-h100"
    assert trainer["command"] == [
        "bash",
        "-c",
        "pip install --no-cache-dir s3torchconnector==1.5.0 && exec torchrun "
        "/workspace/code/train_fsdp.py --steps 1000 --checkpoint-every 100 "
        "--checkpoint-uri s3://$(CHECKPOINT_BUCKET)/$(CHECKPOINT_PREFIX)",
    ]


def test_no_fsdp_example_without_a_checkpoint_bucket(config_variant):
    plan = plan_of(config_variant(edit={"storage.checkpoints.enabled": False}))
    assert all("fsdp" not in jobs for jobs in job_examples.examples_for(plan).values())


@pytest.mark.parametrize("config", EXAMPLE_CONFIGS)
def test_every_generated_example_is_a_valid_trainjob(config):
    for jobs in job_examples.examples_for(plan_of(config)).values():
        for job in jobs.values():
            assert validate_custom_resource(job) == [], job["metadata"]["name"]


def test_the_examples_are_written_beside_the_stacks(tmp_path: Path):
    written = job_examples.write(plan_of("p5-training.yaml"), str(tmp_path))
    assert sorted(written["h100"]) == ["first-job", "fsdp", "nccl-allreduce", "nccl-tests"]
    assert (tmp_path / "examples" / "code" / "train.py").read_text() == (ROOT / "examples" / "code" / "train.py").read_text()
    job = yaml.safe_load((written["h100"]["first-job"] / "trainjob.yaml").read_text())
    assert job["metadata"]["labels"] == {"kueue.x-k8s.io/queue-name": "h100"}
    assert yaml.safe_load((written["h100"]["first-job"] / "kustomization.yaml").read_text())["resources"] == [
        "../../code",
        "trainjob.yaml",
    ]
