"""checkpoint_bench.py under torchrun (2 CPU processes), to moto's S3 through s3torchconnector
and to a local directory: it runs, its JSON line parses, and its byte counts are what landed."""

from __future__ import annotations

import pytest

from tests.examples.support import BUCKET, CODE, NPROC, describe, json_event, objects, require_module, s3_env, torchrun

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True, scope="module")
def tools():
    """Checked when a test here runs, not when the fast suite merely collects this module."""
    require_module("torch", "checkpoint_bench.py needs it")
    require_module("s3torchconnector", "checkpoint_bench.py writes to S3 through it")


BENCH = CODE / "checkpoint_bench.py"
ITERS = 2


@pytest.fixture(scope="module")
def bench(moto, tmp_path_factory):
    local = tmp_path_factory.mktemp("local")
    result = torchrun(
        BENCH,
        "--dim",
        "64",
        "--layers",
        "2",
        "--heads",
        "2",
        "--vocab",
        "256",
        "--seq-len",
        "64",
        "--iters",
        str(ITERS),
        "--checkpoint-uri",
        f"s3://{BUCKET}/bench",
        "--local-dir",
        str(local),
        "--keep",
        env=s3_env(AWS_ENDPOINT_URL_S3=moto.url),
    )
    assert result.returncode == 0, describe(result)
    return result, json_event(result, "checkpoint_bench"), local


def test_the_bench_measures_save_and_load_on_both_targets(bench):
    _, report, _ = bench
    assert report["world_size"] == NPROC and report["iters"] == ITERS
    assert [(r["target"], r["op"], r["iteration"]) for r in report["results"]] == [
        (target, op, i) for target in ("s3", "local") for i in range(1, ITERS + 1) for op in ("save", "load")
    ]
    for r in report["results"]:
        assert r["seconds"] > 0 and r["mb_per_s_total"] > 0 and r["mb_per_s_per_rank"] > 0, r
        assert r["mb_per_s_total"] == pytest.approx(sum(r["mb_per_rank"]) / r["seconds"], rel=0.01)
    assert all(r["seconds"] >= r["blocking_s"] > 0 for r in report["results"] if r["op"] == "save")
    assert set(report["summary"]) == {"s3", "local"}


def test_the_bytes_per_rank_are_the_shards_that_landed(bench, moto):
    _, report, local = bench
    (s3_run,) = {r["uri"] for r in report["results"] if r["target"] == "s3"}
    (local_run,) = {r["uri"] for r in report["results"] if r["target"] == "local"}
    landed = objects(moto.url, s3_run[len(f"s3://{BUCKET}/") :])
    for r in report["results"]:
        folder = f"step-{r['iteration']:08d}"
        if r["target"] == "s3":
            sizes = [landed[folder][f"__{rank}_0.distcp"] for rank in range(NPROC)]
        else:
            sizes = [
                (local / local_run.rsplit("/", 1)[1] / folder / f"__{rank}_0.distcp").stat().st_size for rank in range(NPROC)
            ]
        assert r["mb_per_rank"] == pytest.approx([size / 1e6 for size in sizes], abs=1e-6), r


def test_the_bench_prints_a_table_for_people(bench):
    result, report, _ = bench
    header = next(line for line in result.stdout.splitlines() if line.startswith("target"))
    assert header.split() == ["target", "op", "iter", "seconds", "MB/rank", "MB/s/rank", "MB/s", "total", "blocking", "s"]
    assert sum(line.startswith(("s3 ", "local ")) for line in result.stdout.splitlines()) == len(report["results"])
