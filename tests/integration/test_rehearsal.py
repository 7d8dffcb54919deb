"""The deploy rehearsal on moto: apply, an empty second plan, a clean destroy."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import CONFIG_DIR
from tools import emulator_gaps

pytestmark = pytest.mark.integration

CONFIGS = ("default.yaml", "p5-efa.yaml", "p5-training.yaml")


@pytest.fixture(scope="module", params=CONFIGS)
def run(request, rehearse):
    result = rehearse(request.param)
    assert result["report"] is not None, f"no report:\n{result['stdout'][-3000:]}\n{result['stderr'][-3000:]}"
    return request.param, result


def test_rehearsal_passes(run):
    _, result = run
    assert result["returncode"] == 0, result["stdout"][-3000:] + result["stderr"][-3000:]
    assert "REHEARSAL PASSED" in result["stdout"]


def test_apply_created_everything_the_emulator_supports(run):
    _, result = run
    for name, stack in result["report"]["stacks"].items():
        assert stack["applied"] > 0, name
        assert stack["applied"] == stack["planned"] - len(stack["skipped"]), name


def test_second_plan_is_empty(run):
    _, result = run
    assert {n: s["drifted"] for n, s in result["report"]["stacks"].items()} == {n: [] for n in result["report"]["stacks"]}


def test_destroy_leaves_nothing(run):
    _, result = run
    assert result["report"]["leftovers"] == []


def test_skipped_resources_are_exactly_the_documented_gaps(run, synth):
    config, result = run
    synthesized = synth(config)
    for name, stack in result["report"]["stacks"].items():
        doc = synthesized.stacks[name]
        expected = {f"{kind}.{rid}": emulator_gaps.skip_reason(kind, body) for kind, items in doc.get("resource", {}).items()
                    for rid, body in items.items() if emulator_gaps.skip_reason(kind, body)}
        assert {s["address"]: s["reason"] for s in stack["skipped"]} == expected
    assert "Skipped (the emulator cannot create them" in result["stdout"]


def test_production_json_is_untouched_by_the_rehearsal(run, synth):
    config, result = run
    assert result["report"]["production_json_unchanged"] is True
    synthesized = synth(config)
    stacks_dir = result["workdir"] / "cdktf.out" / "stacks"
    for name in result["report"]["stacks"]:
        assert json.loads((stacks_dir / name / "cdk.tf.json").read_text()) == synthesized.stacks[name]
        overrides = sorted(p.name for p in (stacks_dir / name).glob("*_override.tf.json"))
        assert overrides == ["rehearsal_environment_override.tf.json", "rehearsal_gaps_override.tf.json"]


def test_the_emulator_was_stopped(run):
    _, result = run
    url = next(line for line in result["stdout"].splitlines() if "moto serving on" in line).rsplit(" ", 1)[1]
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "moto is still listening"


def test_every_phase_is_timed(run):
    _, result = run
    for stack in result["report"]["stacks"].values():
        assert set(stack["seconds"]) == {"full plan", "apply", "second plan", "destroy"}


def test_bring_your_own_vpc_is_refused_clearly(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run([sys.executable, "tools/rehearse.py", "--config", str(CONFIG_DIR / "existing-vpc.yaml"),
                             "--workdir", str(tmp_path / "w")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "cannot be rehearsed" in result.stderr
