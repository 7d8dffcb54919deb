"""The namespace-import shortcut in modules/bindings.py changes nothing in the output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR, ROOT

pytestmark = pytest.mark.integration

CONFIGS = ("default.yaml", "p5-efa.yaml")
SYNTH_BOTH = """
import sys
import modules
from cluster_config import load_config
from cluster_config.plan import build_plan
from stacks.app import build_app
for config, outdir in zip(sys.argv[1::2], sys.argv[2::2]):
    build_app(build_plan(load_config(config).config), outdir=outdir).synth()
import cdktf_cdktf_provider_aws
print("eager" if hasattr(cdktf_cdktf_provider_aws, "accessanalyzer_analyzer") else "lazy")
"""


def synth_all(tmp: Path, eager: bool) -> dict[str, bytes]:
    env = {k: v for k, v in os.environ.items() if k != "GPU_EKS_EAGER_IMPORTS"}
    if eager:
        env["GPU_EKS_EAGER_IMPORTS"] = "1"
    args = []
    for config in CONFIGS:
        args += [str(CONFIG_DIR / config), str(tmp / config)]
    result = subprocess.run(
        [sys.executable, "-c", SYNTH_BOTH, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("eager" if eager else "lazy"), "the import mode did not take effect"
    return {str(p.relative_to(tmp)): p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()}


def test_synth_output_is_byte_identical_with_ordinary_imports(tmp_path):
    fast = synth_all(tmp_path / "fast", eager=False)
    ordinary = synth_all(tmp_path / "ordinary", eager=True)
    assert sorted(fast) == sorted(ordinary)
    assert any(name.endswith("cdk.tf.json") for name in fast)
    different = [name for name in fast if fast[name] != ordinary[name]]
    assert different == []
