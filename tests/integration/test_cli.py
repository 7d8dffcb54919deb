"""`python main.py` as a user runs it: stacks, the summary, and its saved copy."""

import os
import shlex
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, unavailable

pytestmark = pytest.mark.integration


def test_synth_prints_the_summary_and_saves_it(tmp_path):
    outdir = tmp_path / "nested" / "out"
    result = subprocess.run(
        [sys.executable, "main.py", "--outdir", str(outdir)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Synthesized 3 stacks into {outdir}/stacks:")
    for stack in ("demo-network", "demo-cluster", "demo-platform"):
        assert (outdir / "stacks" / stack / "cdk.tf.json").is_file()
        assert stack in result.stdout
    assert (outdir / "summary.txt").read_text() == result.stdout
    assert "Node 20 is end-of-life" not in result.stderr


def test_a_synth_of_another_config_lists_only_its_own_stacks_and_removes_the_old_ones(tmp_path):
    outdir = tmp_path / "out"
    first = subprocess.run(
        [sys.executable, "main.py", "--outdir", str(outdir)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        [sys.executable, "main.py", "--config", "config/existing-vpc.yaml", "--outdir", str(outdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (outdir / "stacks").iterdir()) == ["byovpc-cluster", "byovpc-platform"]
    assert second.stdout.startswith(f"Synthesized 2 stacks into {outdir}/stacks:\n  byovpc-cluster ")
    assert (
        "(removed stack folders left by an earlier synth of another config: demo-cluster, demo-network, demo-platform)"
        in second.stdout
    )
    assert (outdir / "summary.txt").read_text() == second.stdout
    assert "make deploy CONFIG=config/existing-vpc.yaml" in second.stdout


def test_a_bad_config_is_rejected_in_a_small_fraction_of_a_synth(tmp_path):
    """Loose on purpose (the benchmark's target is 5%): a ratio, never an absolute time."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: demo\nregion: us-west-2\nnetwork: {availability_zones: [us-west-2a, us-west-2b]}\nsystem_nodes: {min_size: 3, "
        "max_size: 1}\n"
    )

    def timed(*args, expect):
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == expect, result.stderr
        return time.perf_counter() - started

    synth = timed("--outdir", str(tmp_path / "out"), expect=0)
    reject = timed("--config", str(bad), "--outdir", str(tmp_path / "bad-out"), expect=2)
    assert reject / synth < 0.25, f"rejecting took {reject:.2f}s against {synth:.2f}s for a synth"


def test_validate_is_about_as_fast_as_rejecting_a_bad_config_and_writes_nothing(tmp_path):
    """Loose on purpose (the benchmark's target is 1.5): a ratio, never an absolute time."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: demo\nregion: us-west-2\nnetwork: {availability_zones: [us-west-2a, us-west-2b]}\nsystem_nodes: {min_size: 3, "
        "max_size: 1}\n"
    )

    def timed(*args, expect):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
            runs.append(time.perf_counter() - started)
            assert result.returncode == expect, result.stderr
        return min(runs), result

    outdir = tmp_path / "out"
    validate, result = timed("--validate", "--outdir", str(outdir), expect=0)
    reject, _ = timed("--config", str(bad), "--outdir", str(outdir), expect=2)
    assert validate / reject < 3, f"--validate took {validate:.2f}s against {reject:.2f}s to reject a bad file"
    assert not outdir.exists()
    assert result.stdout.startswith("config/default.yaml: valid. Cluster demo in us-west-2")
    assert "at idle (min sizes)" in result.stdout and "Synthesized" not in result.stdout


def test_validate_rejects_a_bad_config_like_a_synth(config_variant):
    path = config_variant(
        edit={"gpu_node_groups.0.min_size": 2, "gpu_node_groups.0.max_size": 1, "gpu_node_groups.0.desired_size": 2}
    )
    result = subprocess.run(
        [sys.executable, "main.py", "--validate", "--config", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"{path}: gpu_node_groups[0].max_size: must be >= min_size (got 1 < 2)\n"


def test_validate_loads_no_provider_bindings():
    code = (
        "import sys, main; main.main(['--validate']); "
        "print(sorted(m for m in sys.modules if m.startswith(('cdktf', 'jsii', 'constructs', 'modules', 'stacks'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_under_the_cdktf_cli_warnings_never_reach_stderr(tmp_path):
    """The cdktf CLI prints the app's stderr as `[ERROR] ...`; with CDKTF_OUTDIR set and no
    terminal, warnings go to stdout, which the CLI shows as is."""
    env = {k: v for k, v in os.environ.items()}
    env.update(CDKTF_OUTDIR=str(tmp_path / "out"), CLUSTER_CONFIG="config/p5-efa.yaml")
    result = subprocess.run(
        [sys.executable, "main.py", "--validate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        start_new_session=True,
    )  # no controlling terminal: /dev/tty cannot open
    assert result.returncode == 0, result.stderr
    assert "warning:" not in result.stderr
    assert "warning: config/p5-efa.yaml: cluster.endpoint_public_access: false" in result.stdout


def test_under_the_cdktf_cli_with_a_terminal_warnings_go_to_the_terminal(tmp_path):
    if shutil.which("script") is None:
        unavailable("util-linux script(1) is not installed")
    env = dict(os.environ, CDKTF_OUTDIR=str(tmp_path / "out"), CLUSTER_CONFIG="config/p5-efa.yaml")
    stderr = tmp_path / "stderr"
    command = f"{shlex.quote(sys.executable)} main.py --validate 2>{shlex.quote(str(stderr))} >/dev/null"
    result = subprocess.run(
        ["script", "-qec", command, "/dev/null"], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stdout
    assert stderr.read_text() == ""
    assert "warning: config/p5-efa.yaml: cluster.endpoint_public_access: false" in result.stdout  # what the terminal showed


def test_cli_exits_2_with_no_traceback_and_no_output(tmp_path, config_variant):
    path = config_variant(
        edit={"gpu_node_groups.0.min_size": 2, "gpu_node_groups.0.max_size": 1, "gpu_node_groups.0.desired_size": 2}
    )
    outdir = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "main.py", "--config", str(path), "--outdir", str(outdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == f"{path}: gpu_node_groups[0].max_size: must be >= min_size (got 1 < 2)\n"
    assert result.stdout == ""
    assert not outdir.exists()


def test_cluster_config_env_var_selects_the_file(tmp_path, config_variant):
    path = config_variant(edit={"network.vpc_cidr": "bad"})
    result = subprocess.run(
        [sys.executable, "main.py", "--outdir", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "CLUSTER_CONFIG": str(path)},
        timeout=60,
    )
    assert result.returncode == 2 and result.stderr.startswith(f"{path}: network.vpc_cidr:")


def test_validation_plan_and_report_never_import_provider_bindings():
    code = (
        "import sys, cluster_config, report; from cluster_config.plan import build_plan; "
        "report.render(build_plan(cluster_config.load_config('config/default.yaml').config), {}, 'out'); "
        "print(sorted(m for m in sys.modules if m.startswith(('cdktf', 'jsii', 'constructs', 'modules', 'stacks'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
