"""The example training scripts really run under torchrun: 2 CPU processes, gloo backend.

These launch ``python -m torch.distributed.run --standalone`` (the venv's torchrun), so
they cover argument parsing, process-group setup, DistributedSampler/DDP, the
collectives and the JSON summary line that cluster smoke jobs are checked against.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="PyTorch is not installed; the example training scripts need it")

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "examples" / "code" / "train.py"
BENCH = ROOT / "examples" / "code" / "allreduce_bench.py"
NPROC = 2
TIMEOUT_S = 120


def _clean_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # Inherited launcher settings (e.g. when the suite itself runs inside a TrainJob
    # pod, where PET_* are set) would make torchrun join that job's rendezvous.
    for key in list(env):
        if key.startswith(("PET_", "TORCHELASTIC_")) or key in {
            "RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT",
        }:
            del env[key]
    # Two ranks on a 2-core box: intra-op threads per rank would oversubscribe the CPU.
    env["OMP_NUM_THREADS"] = "1"
    # Keep these CPU/gloo tests identical on a GPU machine.
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.update(extra)
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    # A new session lets a timeout kill torchrun *and* its worker processes.
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"timed out after {TIMEOUT_S}s: {' '.join(cmd)}\nstdout:\n{out}\nstderr:\n{err[-4000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def torchrun(script: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(NPROC),
           str(script), *args]
    return _run(cmd, _clean_env(), script.parent)


def json_event(result: subprocess.CompletedProcess, event: str) -> dict:
    found = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            payload = json.loads(line)
            if payload.get("event") == event:
                found.append(payload)
    assert len(found) == 1, f"expected one {event!r} JSON line (rank 0 only):\n{result.stdout}\n{result.stderr[-4000:]}"
    return found[0]


def describe(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"


@pytest.fixture(scope="module")
def training_run():
    return torchrun(TRAIN, "--backend", "gloo", "--steps", "50", "--log-every", "10", "--seed", "0")


@pytest.fixture(scope="module")
def bench_run():
    return torchrun(BENCH, "--backend", "gloo", "--min-bytes", "4K", "--max-bytes", "256K",
                    "--warmup", "2", "--iters", "5")


def test_train_exits_zero_with_summary(training_run):
    assert training_run.returncode == 0, describe(training_run)
    done = json_event(training_run, "done")
    assert done["world_size"] == NPROC
    assert done["backend"] == "gloo"
    assert done["steps"] == 50


def test_train_loss_goes_down(training_run):
    assert training_run.returncode == 0, describe(training_run)
    done = json_event(training_run, "done")
    assert 0 < done["final_loss"] < 0.5 * done["first_loss"], done


def test_train_logs_progress_from_rank_zero_only(training_run):
    assert training_run.returncode == 0, describe(training_run)
    steps = re.findall(r"^step (\d+)/50 loss \d+\.\d{4}$", training_run.stdout, flags=re.M)
    assert steps == ["1", "10", "20", "30", "40", "50"], training_run.stdout


def test_bench_exits_zero_with_correct_results(bench_run):
    assert bench_run.returncode == 0, describe(bench_run)
    summary = json_event(bench_run, "allreduce")
    assert summary["world_size"] == NPROC
    assert summary["backend"] == "gloo"
    assert summary["correct"] is True and summary["wrong_elements"] == 0
    assert summary["results"], summary
    assert all(r["wrong"] == 0 for r in summary["results"])


def test_bench_sizes_double_from_min_to_max(bench_run):
    assert bench_run.returncode == 0, describe(bench_run)
    sizes = [r["bytes"] for r in json_event(bench_run, "allreduce")["results"]]
    assert sizes == [4096 * 2**i for i in range(7)]  # 4 KiB .. 256 KiB


def test_bench_bandwidth_follows_nccl_tests_definitions(bench_run):
    assert bench_run.returncode == 0, describe(bench_run)
    summary = json_event(bench_run, "allreduce")
    n = summary["world_size"]
    for r in summary["results"]:
        assert r["time_us"] > 0
        assert r["count"] * 4 == r["bytes"]
        assert r["algbw_GBps"] == pytest.approx(r["bytes"] / (r["time_us"] * 1e-6) / 1e9, rel=1e-9)
        assert r["busbw_GBps"] == pytest.approx(r["algbw_GBps"] * 2 * (n - 1) / n, rel=1e-9)
    assert summary["max_busbw_GBps"] == pytest.approx(max(r["busbw_GBps"] for r in summary["results"]))
    assert summary["max_busbw_GBps"] > 0


def test_bench_fails_with_exit_3_below_expected_busbw():
    result = torchrun(BENCH, "--backend", "gloo", "--min-bytes", "4K", "--max-bytes", "16K",
                      "--warmup", "1", "--iters", "2", "--expect-min-busbw", "1e9")
    # torchrun itself exits 1 for any failed worker; the worker's own code is the
    # "Root Cause" of its failure report.  Other ranks may show -15: once the first
    # rank exits, torchrun SIGTERMs the rest.
    assert result.returncode != 0, describe(result)
    root_cause = re.search(r"Root Cause.*?exitcode\s*:\s*(-?\d+)", result.stderr, flags=re.S)
    assert root_cause and root_cause.group(1) == "3", describe(result)
    summary = json_event(result, "allreduce")
    assert summary["below_expected"] is True
    assert summary["correct"] is True


def test_bench_process_exit_code_is_3_below_expected_busbw():
    """Without torchrun in between, the script's own exit status is exactly 3."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _clean_env(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    result = _run([sys.executable, str(BENCH), "--backend", "gloo", "--min-bytes", "4K", "--max-bytes", "4K",
                   "--warmup", "1", "--iters", "2", "--expect-min-busbw", "1e9"], env, BENCH.parent)
    assert result.returncode == 3, describe(result)
