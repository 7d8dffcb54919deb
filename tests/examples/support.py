"""What the example-script tests share: launching torchrun with a clean environment, reading
the scripts' JSON lines, and failing (not skipping) in CI when a tool is missing."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
CODE = ROOT / "examples" / "code"
NPROC = 2
TIMEOUT_S = 300  # a ceiling for a hung run; on an idle 2-core machine a run takes seconds


def require_module(name: str, why: str) -> None:
    if importlib.util.find_spec(name) is None:
        unavailable(f"{name} is not installed; {why} (make install-dev installs it)")


def clean_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Inherited launcher settings (e.g. when the suite itself runs inside a TrainJob
    # pod, where PET_* are set) would make torchrun join that job's rendezvous.
    for key in list(env):
        if key.startswith(("PET_", "TORCHELASTIC_", "AWS_", "CHECKPOINT_")) or key in {
            "RANK",
            "LOCAL_RANK",
            "WORLD_SIZE",
            "LOCAL_WORLD_SIZE",
            "GROUP_RANK",
            "MASTER_ADDR",
            "MASTER_PORT",
        }:
            del env[key]
    # Two ranks on a 2-core box: intra-op threads per rank would oversubscribe the CPU.
    env["OMP_NUM_THREADS"] = "1"
    # Keep these CPU/gloo tests identical on a GPU machine.
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    # A new session lets a timeout kill torchrun *and* its worker processes.
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out after {timeout}s: {' '.join(cmd)}\nstdout:\n{out}\nstderr:\n{err[-4000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def torchrun_command(script: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(NPROC), str(script), *args]


def torchrun(script: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return run(torchrun_command(script, *args), env or clean_env(), script.parent)


def json_lines(output: str, event: str) -> list[dict]:
    found = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            payload = json.loads(line)
            if payload.get("event") == event:
                found.append(payload)
    return found


def json_event(result: subprocess.CompletedProcess, event: str) -> dict:
    found = json_lines(result.stdout, event)
    assert len(found) == 1, f"expected one {event!r} JSON line (rank 0 only):\n{result.stdout}\n{result.stderr[-4000:]}"
    return found[0]


def describe(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"


# ---- S3 on the emulator ----------------------------------------------------------------

BUCKET = "fsdp-checkpoints"
REGION = "us-east-1"


def s3(url: str):
    import boto3

    return boto3.client("s3", endpoint_url=url, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


def s3_env(**extra: str) -> dict[str, str]:
    # Fixed credentials and no instance metadata: the CRT's credential chain must never look
    # beyond this machine (its last resort is the EC2 instance metadata service).
    return clean_env(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        **extra,
    )


def objects(url: str, prefix: str) -> dict[str, dict[str, int]]:
    """folder under ``prefix`` -> {object name: size}, as the emulator lists them (not as the scripts see them)."""
    folders: dict[str, dict[str, int]] = {}
    for page in s3(url).get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            folder, _, name = item["Key"][len(prefix) + 1 :].partition("/")
            folders.setdefault(folder, {})[name] = item["Size"]
    return folders
