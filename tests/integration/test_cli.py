"""`python main.py` as a user runs it: stacks, the summary, and its saved copy."""

import subprocess
import sys

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
