"""tools/cluster.py (make plan|deploy|destroy): order, confirmation and refusals, with no AWS.

The command runner is replaced by a recorder; "synth" writes the manifest that cdktf
would, so what is tested is the tool's own logic: which terraform commands run, in
which stack directories, in which order, and when it refuses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR
from tools import cluster
from tools.cluster import ClusterTool, Refused

MANIFESTS = {
    "default.yaml": {"demo-network": [], "demo-cluster": ["demo-network"], "demo-platform": ["demo-cluster"]},
    "p5-efa.yaml": {"p5train-network": [], "p5train-cluster": ["p5train-network"], "p5train-platform": ["p5train-cluster"]},
    "existing-vpc.yaml": {"byovpc-cluster": [], "byovpc-platform": ["byovpc-cluster"]},
}


class Recorder:
    """Stands in for the command runner; ``codes`` maps (verb, stack) to an exit code."""

    def __init__(self, outdir: Path, stacks: dict[str, list[str]], codes=None, synth_code=0):
        self.outdir, self.stacks, self.codes, self.synth_code = outdir, stacks, codes or {}, synth_code
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, command, cwd):
        if command[1].endswith("main.py"):
            self.calls.append(("synth",))
            if self.synth_code == 0:
                for name in self.stacks:
                    (self.outdir / "stacks" / name).mkdir(parents=True, exist_ok=True)
                    (self.outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_vpc": {"a": {}}}}))
                (self.outdir / "manifest.json").write_text(json.dumps({"stacks": {
                    # Listed out of order on purpose: the tool must follow the dependencies.
                    name: {"dependencies": deps} for name, deps in sorted(self.stacks.items())
                }}))
            return self.synth_code
        stack = Path(cwd).name
        verb = command[1]
        self.calls.append((verb, stack, *[a for a in command[2:] if a == "-auto-approve"]))
        return self.codes.get((verb, stack), 0)

    def verbs(self, verb):
        return [c[1] for c in self.calls if c[0] == verb]


def tool(tmp_path, config="default.yaml", *, yes=False, answer=None, interactive=True, codes=None, synth_code=0):
    said: list[str] = []
    recorder = Recorder(tmp_path / "out", MANIFESTS[config], codes, synth_code)
    asked: list[str] = []

    def ask(prompt):
        asked.append(prompt)
        return answer

    t = ClusterTool(str(CONFIG_DIR / config), tmp_path / "out", yes=yes, run=recorder, ask=ask,
                    interactive=lambda: interactive, say=said.append)
    return t, recorder, said, asked


def test_deploy_synthesizes_then_applies_each_stack_upstream_first(tmp_path):
    t, rec, said, _ = tool(tmp_path)
    assert t.deploy() == 0
    assert rec.calls[0] == ("synth",)
    assert rec.verbs("apply") == ["demo-network", "demo-cluster", "demo-platform"]
    # init before each apply, in the same stack directory; terraform asks (no -auto-approve)
    assert [c[:2] for c in rec.calls[1:]] == [(v, s) for s in rec.verbs("apply") for v in ("init", "apply")]
    assert all(len(c) == 2 for c in rec.calls[1:])
    assert any("aws eks update-kubeconfig --region us-west-2 --name demo" in line for line in said)


def test_deploy_with_yes_approves_and_stops_at_the_first_failure(tmp_path):
    t, rec, _, _ = tool(tmp_path, yes=True, codes={("apply", "demo-cluster"): 1})
    with pytest.raises(Refused, match="demo-cluster did not apply; stopped before demo-platform \\(demo-network applied\\)"):
        t.deploy()
    assert [c for c in rec.calls if c[0] == "apply"] == [("apply", "demo-network", "-auto-approve"), ("apply", "demo-cluster", "-auto-approve")]


def test_deploy_warns_about_the_private_endpoint_before_starting(tmp_path):
    t, _, said, _ = tool(tmp_path, "p5-efa.yaml", yes=True)
    t.deploy()
    assert any("API endpoint is private: deploy p5train-platform from inside the VPC" in line for line in said)


def test_existing_vpc_has_no_network_stack_to_deploy_or_destroy(tmp_path):
    t, rec, said, _ = tool(tmp_path, "existing-vpc.yaml", yes=True)
    t.deploy()
    t.destroy()
    assert rec.verbs("apply") == ["byovpc-cluster", "byovpc-platform"]
    assert rec.verbs("destroy") == ["byovpc-platform", "byovpc-cluster"]
    assert "network" not in "\n".join(said).lower()


def test_a_failed_synth_runs_no_terraform(tmp_path):
    t, rec, _, _ = tool(tmp_path, synth_code=2)
    with pytest.raises(Refused, match="synth of .* failed; nothing was changed"):
        t.deploy()
    assert rec.calls == [("synth",)]


def test_plan_plans_every_stack_and_a_stack_behind_an_unapplied_one_is_not_a_failure(tmp_path):
    t, rec, said, _ = tool(tmp_path, codes={("plan", "demo-network"): 2, ("plan", "demo-cluster"): 1, ("plan", "demo-platform"): 1})
    assert t.plan_all() == 0
    assert rec.verbs("plan") == ["demo-network", "demo-cluster", "demo-platform"]
    summary = said[said.index("\nPlan summary:") + 1:]
    assert summary[0].split() == ["demo-network", "changes"]
    assert "not plannable until demo-network is applied" in summary[1]
    assert "not plannable until demo-network, demo-cluster is applied" in summary[2]


def test_plan_fails_when_a_stack_fails_with_everything_upstream_applied(tmp_path):
    t, _, said, _ = tool(tmp_path, codes={("plan", "demo-cluster"): 1})
    assert t.plan_all() == 1
    assert any("demo-cluster" in line and "failed (exit 1)" in line for line in said)


def test_destroy_says_what_it_removes_asks_for_the_name_and_goes_in_reverse(tmp_path):
    t, rec, said, asked = tool(tmp_path, answer="demo")
    assert t.destroy() == 0
    assert asked == ["\nType the cluster name (demo) to destroy it: "]
    assert rec.verbs("destroy") == ["demo-platform", "demo-cluster", "demo-network"]
    assert all(c[-1] == "-auto-approve" for c in rec.calls if c[0] == "destroy")  # confirmed once, by name
    text = "\n".join(said)
    assert text.index("demo-platform") < text.index("demo-cluster") < text.index("demo-network")
    assert "kubectl delete svc --all-namespaces --field-selector spec.type=LoadBalancer" in text
    assert "aws ec2 describe-volumes --region us-west-2 --filters Name=tag:kubernetes.io/cluster/demo,Values=owned" in text
    assert "aws elbv2 describe-load-balancers" in text
    assert "private" not in text  # the default config has a public endpoint


def test_destroy_is_refused_on_a_wrong_name_and_nothing_is_destroyed(tmp_path):
    t, rec, _, _ = tool(tmp_path, answer="prod")
    with pytest.raises(Refused, match="'prod' is not 'demo'; nothing was destroyed"):
        t.destroy()
    assert rec.verbs("destroy") == [] and rec.verbs("init") == []


def test_destroy_without_a_terminal_refuses_unless_told_yes(tmp_path):
    t, rec, _, asked = tool(tmp_path, interactive=False)
    with pytest.raises(Refused, match="no terminal to confirm on: pass --yes"):
        t.destroy()
    assert rec.verbs("destroy") == [] and asked == []
    t, rec, _, asked = tool(tmp_path, interactive=False, yes=True)
    assert t.destroy() == 0 and asked == []
    assert rec.verbs("destroy") == ["demo-platform", "demo-cluster", "demo-network"]


def test_destroy_with_a_private_endpoint_says_where_to_run_it(tmp_path):
    t, _, said, _ = tool(tmp_path, "p5-efa.yaml", yes=True)
    t.destroy()
    assert any("API endpoint is private: destroy p5train-platform from inside the VPC" in line for line in said)


def test_destroy_stops_and_names_what_is_still_standing(tmp_path):
    t, rec, _, _ = tool(tmp_path, yes=True, codes={("destroy", "demo-cluster"): 1})
    with pytest.raises(Refused, match="demo-cluster was not destroyed; still standing: demo-cluster, demo-network"):
        t.destroy()
    assert rec.verbs("destroy") == ["demo-platform", "demo-cluster"]


def test_check_backend_refuses_local_state_and_accepts_s3(tmp_path):
    t, _, _, _ = tool(tmp_path)
    with pytest.raises(Refused, match="local backend.*Set backend.type to s3 or cloud"):
        t.check_backend()
    t, rec, said, _ = tool(tmp_path, "existing-vpc.yaml")
    assert t.check_backend() == 0 and said[-1].endswith("state backend s3") and rec.calls == []


def test_main_exit_codes_and_auto_approve(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    assert cluster.main(["deploy", "--config", str(bad)]) == 2
    assert cluster.main(["check-backend", "--config", str(CONFIG_DIR / "default.yaml")]) == 1
    assert "check-backend: " in capsys.readouterr().err
    seen = {}
    monkeypatch.setattr(cluster.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(ClusterTool, "destroy", lambda self: seen.setdefault("yes", self.yes) and 0)
    monkeypatch.setenv("AUTO_APPROVE", "1")
    cluster.main(["destroy", "--config", str(CONFIG_DIR / "default.yaml")])
    assert seen == {"yes": True}


def test_main_refuses_without_terraform(monkeypatch, capsys):
    monkeypatch.setattr(cluster.shutil, "which", lambda name: None)
    assert cluster.main(["deploy", "--config", str(CONFIG_DIR / "default.yaml")]) == 1
    assert "terraform is not on PATH" in capsys.readouterr().err
