"""train_fsdp.py under torchrun (2 CPU processes, gloo), checkpointing through the real
s3torchconnector to moto's S3 server on 127.0.0.1 (the ``moto`` fixture in conftest.py says
which moto works, and why), killed with SIGKILL and resumed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from tests.examples.s3_proxy import HoldingProxy
from tests.examples.support import (
    BUCKET,
    CODE,
    NPROC,
    REGION,
    TIMEOUT_S,
    clean_env,
    describe,
    json_event,
    json_lines,
    objects,
    require_module,
    run,
    s3_env,
    torchrun,
    torchrun_command,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True, scope="module")
def tools():
    """Checked when a test here runs, not when the fast suite merely collects this module."""
    require_module("torch", "train_fsdp.py needs it")
    require_module("s3torchconnector", "train_fsdp.py writes its checkpoints to S3 through it")


TRAIN = CODE / "train_fsdp.py"
# A model small enough for a step of milliseconds on CPU; sharded all the same.
TINY = ("--dim", "32", "--layers", "2", "--heads", "2", "--vocab", "64", "--seq-len", "16", "--batch-size", "4")
RUN = (*TINY, "--steps", "60", "--checkpoint-every", "10", "--log-every", "1", "--seed", "0")


def losses(output: str) -> dict[int, float]:
    return {line["step"]: line["loss"] for line in json_lines(output, "step")}


def kill_when(proxy: HoldingProxy, env: dict[str, str], *args: str, after_checkpoint: int | None = None) -> str:
    """Runs torchrun until the proxy holds a request (and, if asked, rank 0 reported checkpoint
    ``after_checkpoint`` complete), then SIGKILLs torchrun and every worker, as a lost node would."""
    proc = subprocess.Popen(
        torchrun_command(TRAIN, *args),
        cwd=CODE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: list[str] = []
    checkpoint_done = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            seen.append(line)
            if any(c["step"] == after_checkpoint for c in json_lines(line, "checkpoint")):
                checkpoint_done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while not (proxy.held_event.is_set() and (after_checkpoint is None or checkpoint_done.is_set())):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"never reached the kill point (exit {proc.poll()}, held {proxy.held}):\n{''.join(seen)}")
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        reader.join(timeout=10)
    return "".join(seen)


@pytest.fixture(scope="module")
def uninterrupted(moto):
    """The reference run. Its checkpoint place comes from the environment a runtime would set."""
    env = s3_env(AWS_ENDPOINT_URL_S3=moto.url, CHECKPOINT_BUCKET=BUCKET, CHECKPOINT_PREFIX="/uninterrupted/")
    result = torchrun(TRAIN, *RUN, env=env)
    assert result.returncode == 0, describe(result)
    return result


def test_an_uninterrupted_run_saves_every_checkpoint_as_shards_and_metadata(moto, uninterrupted):
    done = json_event(uninterrupted, "done")
    assert done["checkpoint_uri"] == f"s3://{BUCKET}/uninterrupted"
    assert done["resumed_from_step"] == 0 and done["world_size"] == NPROC and done["backend"] == "gloo"
    assert done["checkpoints_saved"] == [10, 20, 30, 40, 50, 60]
    # One shard per rank and DCP's metadata, renamed from .metadata.tmp (a copy and a delete on S3).
    shards = {f"__{rank}_0.distcp" for rank in range(NPROC)}
    folders = objects(moto.url, "uninterrupted")
    assert {folder: set(names) for folder, names in folders.items()} == {
        f"step-{s:08d}": shards | {".metadata"} for s in range(10, 61, 10)
    }


def test_rank_zero_logs_every_step_with_loss_throughput_and_checkpoint_time(uninterrupted):
    steps = json_lines(uninterrupted.stdout, "step")
    assert [s["step"] for s in steps] == list(range(1, 61))
    assert all(s["tokens_per_s"] > 0 and s["step_time_s"] > 0 for s in steps)
    blocked = {s["step"] for s in steps if s["checkpoint_blocking_s"] > 0}
    assert blocked == {10, 20, 30, 40, 50, 60}, "async_save blocks only to copy the shards to memory"
    checkpoints = json_lines(uninterrupted.stdout, "checkpoint")
    assert [c["step"] for c in checkpoints] == [10, 20, 30, 40, 50, 60]
    assert all(c["seconds"] >= c["blocking_s"] > 0 for c in checkpoints)


def test_the_model_learns(uninterrupted):
    done = json_event(uninterrupted, "done")
    assert done["final_loss"] < 0.8 * done["first_loss"], done


def test_a_run_killed_after_a_checkpoint_resumes_there_and_matches_an_uninterrupted_one(moto, uninterrupted):
    prefix = f"killed-{uuid.uuid4().hex[:8]}"  # a new one per run, so repeated runs never see each other's checkpoints
    # The proxy holds checkpoint 40's uploads, so when the job is killed checkpoint 30 is the
    # newest complete one, whatever the timing; the job waits for 40 at step 50 at the latest.
    with HoldingProxy(moto.port).holding(r"/step-00000040/") as proxy:
        killed = kill_when(
            proxy, s3_env(), *RUN, "--checkpoint-uri", f"s3://{BUCKET}/{prefix}", "--s3-endpoint", proxy.url, after_checkpoint=30
        )
    assert json_lines(killed, "done") == []
    left = objects(moto.url, prefix)
    assert ".metadata" in left["step-00000030"] and "step-00000040" not in left, left
    resumed = torchrun(TRAIN, *RUN, "--checkpoint-uri", f"s3://{BUCKET}/{prefix}", "--s3-endpoint", moto.url, env=s3_env())
    assert resumed.returncode == 0, describe(resumed)
    done = json_event(resumed, "done")
    assert done["resumed_from_step"] == 30 and done["rng_restored"] is True
    assert done["checkpoints_saved"] == [40, 50, 60]
    reference = losses(uninterrupted.stdout)
    assert losses(resumed.stdout) == pytest.approx({s: reference[s] for s in range(31, 61)}, rel=1e-6)
    assert done["final_loss"] == pytest.approx(json_event(uninterrupted, "done")["final_loss"], rel=1e-6)


def test_a_checkpoint_killed_mid_write_is_never_loaded(moto, uninterrupted):
    prefix = f"mid-write-{uuid.uuid4().hex[:8]}"
    # Held at the upload of checkpoint 30's metadata: every rank's shards are written, the metadata is not.
    with HoldingProxy(moto.port).holding(r"/step-00000030/\.metadata\.tmp") as proxy:
        kill_when(proxy, s3_env(AWS_ENDPOINT_URL_S3=proxy.url), *RUN, "--checkpoint-uri", f"s3://{BUCKET}/{prefix}")
    left = objects(moto.url, prefix)
    assert set(left["step-00000030"]) == {f"__{rank}_0.distcp" for rank in range(NPROC)}, "all shards, no metadata"
    assert all(left["step-00000030"][shard] == left["step-00000020"][shard] for shard in left["step-00000030"]), (
        f"whole shards, as large as checkpoint 20's: {left}"
    )
    resumed = torchrun(TRAIN, *RUN, "--checkpoint-uri", f"s3://{BUCKET}/{prefix}", env=s3_env(AWS_ENDPOINT_URL_S3=moto.url))
    assert resumed.returncode == 0, describe(resumed)
    done = json_event(resumed, "done")
    assert done["resumed_from_step"] == 20
    reference = losses(uninterrupted.stdout)
    assert losses(resumed.stdout) == pytest.approx({s: reference[s] for s in range(21, 61)}, rel=1e-6)
    assert ".metadata" in objects(moto.url, prefix)["step-00000030"], "step 30 written again, completely"


def test_a_local_directory_works_the_same_and_a_folder_without_metadata_is_skipped(tmp_path):
    first = torchrun(TRAIN, *TINY, "--steps", "20", "--checkpoint-every", "10", "--checkpoint-uri", str(tmp_path))
    assert first.returncode == 0, describe(first)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000010", "step-00000020"]
    assert (tmp_path / "step-00000020" / ".metadata").is_file()
    (tmp_path / "step-00000030").mkdir()  # what a writer killed mid-checkpoint leaves
    (tmp_path / "step-00000030" / "__0_0.distcp").write_bytes(b"half a shard")
    resumed = torchrun(TRAIN, *TINY, "--steps", "25", "--checkpoint-every", "10", "--checkpoint-uri", str(tmp_path))
    assert resumed.returncode == 0, describe(resumed)
    done = json_event(resumed, "done")
    assert done["resumed_from_step"] == 20 and done["steps_run"] == 5 and done["checkpoints_saved"] == [25]


@pytest.fixture(scope="module")
def script():
    """train_fsdp.py as a module, for its argument checks (imported here, not run)."""
    sys.path.insert(0, str(CODE))
    try:
        import train_fsdp
    finally:
        sys.path.remove(str(CODE))
    return train_fsdp


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--checkpoint-uri", "s3://"],
            {"AWS_REGION": REGION},
            "--checkpoint-uri 's3://' names no bucket: use s3://bucket/prefix",
        ),
        (["--checkpoint-uri", "s3://bucket/prefix"], {}, "no region is set: pass --region or set AWS_REGION"),
        (["--checkpoint-uri", "gs://bucket/prefix"], {}, "only s3://bucket/prefix or a local directory are supported"),
        (["--heads", "3"], {}, "--heads 3 must divide --dim 128"),
        (["--steps", "0"], {}, "--steps must be >= 1, got 0"),
    ],
)
def test_bad_input_names_the_flag_and_what_is_allowed(script, monkeypatch, capsys, args, env, message):
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "CHECKPOINT_URI", "CHECKPOINT_BUCKET"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_:
        script.parse_args(args)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_bad_input_exits_2_without_a_traceback():
    result = run([sys.executable, str(TRAIN), "--checkpoint-uri", "s3://"], clean_env(AWS_REGION=REGION), CODE)
    assert result.returncode == 2, describe(result)
    assert "names no bucket" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_the_runtime_environment_sets_the_defaults(script, monkeypatch):
    for key, value in {
        "CHECKPOINT_BUCKET": "team-bucket",
        "CHECKPOINT_PREFIX": "team-a/job-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("CHECKPOINT_URI", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    args = script.parse_args([])
    assert (args.checkpoint_uri, args.region, args.s3_endpoint, args.s3_force_path_style) == (
        "s3://team-bucket/team-a/job-1",
        "eu-west-1",
        "http://127.0.0.1:9",
        True,
    )
    monkeypatch.setenv("CHECKPOINT_URI", "s3://other/prefix")
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    args = script.parse_args([])
    assert (args.checkpoint_uri, args.s3_endpoint, args.s3_force_path_style) == ("s3://other/prefix", None, False)
