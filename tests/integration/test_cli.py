"""`python main.py` as a user runs it: stacks, the summary, and its saved copy."""

import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.integration


def test_synth_prints_the_summary_and_saves_it(tmp_path):
    outdir = tmp_path / "nested" / "out"
    result = subprocess.run([sys.executable, "main.py", "--outdir", str(outdir)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Synthesized 3 stacks into {outdir}/stacks:")
    for stack in ("demo-network", "demo-cluster", "demo-platform"):
        assert (outdir / "stacks" / stack / "cdk.tf.json").is_file()
        assert stack in result.stdout
    assert (outdir / "summary.txt").read_text() == result.stdout
    assert "Node 20 is end-of-life" not in result.stderr


def test_a_bad_config_is_rejected_in_a_small_fraction_of_a_synth(tmp_path):
    """Loose on purpose (the benchmark's target is 5%): a ratio, never an absolute time."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: demo\nregion: us-west-2\nnetwork: {availability_zones: [us-west-2a, us-west-2b]}\nsystem_nodes: {min_size: 3, max_size: 1}\n")

    def timed(*args, expect):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == expect, result.stderr
        return time.perf_counter() - started

    synth = timed("--outdir", str(tmp_path / "out"), expect=0)
    reject = timed("--config", str(bad), "--outdir", str(tmp_path / "bad-out"), expect=2)
    assert reject / synth < 0.25, f"rejecting took {reject:.2f}s against {synth:.2f}s for a synth"


def test_cli_exits_2_with_no_traceback_and_no_output(tmp_path, config_variant):
    path = config_variant(edit={"gpu_node_groups.0.min_size": 2, "gpu_node_groups.0.max_size": 1, "gpu_node_groups.0.desired_size": 2})
    outdir = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "main.py", "--config", str(path), "--outdir", str(outdir)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == f"{path}: gpu_node_groups[0].max_size: must be >= min_size (got 1 < 2)\n"
    assert result.stdout == ""
    assert not outdir.exists()


def test_cluster_config_env_var_selects_the_file(tmp_path, config_variant):
    path = config_variant(edit={"network.vpc_cidr": "bad"})
    result = subprocess.run(
        [sys.executable, "main.py", "--outdir", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "CLUSTER_CONFIG": str(path)}, timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith(f"{path}: network.vpc_cidr:")


def test_validation_plan_and_report_never_import_provider_bindings():
    code = "import sys, cluster_config, report; from cluster_config.plan import build_plan; " \
           "report.render(build_plan(cluster_config.load_config('config/default.yaml').config), {}, 'out'); " \
           "print(sorted(m for m in sys.modules if m.startswith(('cdktf', 'jsii', 'constructs', 'modules', 'stacks'))))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
