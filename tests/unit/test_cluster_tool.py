"""tools/cluster.py (make plan|deploy|destroy): order, confirmation and refusals, with no AWS.

The command runner is replaced by a recorder; "synth" writes the manifest that cdktf
would, and `terraform show -json` answers with a plan in the documented JSON format, so
what is tested is the tool's own logic: which terraform commands run, in which stack
directories, in which order, what the guard is shown, and when it refuses.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CONFIG_DIR, ROOT, unavailable
from tools import cluster
from tools.cluster import ClusterTool, Refused

MANIFESTS = {
    "default.yaml": {"demo-network": [], "demo-cluster": ["demo-network"], "demo-platform": ["demo-cluster"]},
    "p5-efa.yaml": {"p5train-network": [], "p5train-cluster": ["p5train-network"], "p5train-platform": ["p5train-cluster"]},
    "existing-vpc.yaml": {"byovpc-cluster": [], "byovpc-platform": ["byovpc-cluster"]},
}


def change(kind: str, name: str, actions: list[str], before=None, after=None) -> dict:
    return {
        "address": f"{kind}.{name}",
        "mode": "managed",
        "type": kind,
        "name": name,
        "change": {"actions": actions, "before": before, "after": after},
    }


def shown(*changes) -> dict:
    """What `terraform show -json` prints for a plan (Terraform docs, "JSON Output Format")."""
    return {"format_version": "1.2", "resource_changes": list(changes)}


CLUSTER_REPLACED = change(
    "aws_eks_cluster", "control_plane_cluster_D810E0D5", ["delete", "create"], {"name": "demo"}, {"name": "demo"}
)
FLOW_LOGS_DELETED = change(
    "aws_cloudwatch_log_group", "network_flow_logs_4DFD04D3", ["delete"], {"name": "/aws/vpc/demo/flow-logs"}
)
A_TAG = change("aws_vpc", "network_vpc_4E8F0223", ["update"], {"tags": {}}, {"tags": {"team": "ml"}})


class Recorder:
    """Stands in for the command runner; ``codes`` maps (verb, stack) to an exit code, and
    ``plans`` a stack to what `terraform show -json` prints for it (a plan of one update by default).
    ``fresh``: nothing is deployed yet, so a stack's plan fails (its remote state has no outputs)
    until the stacks it depends on are applied."""

    def __init__(self, outdir: Path, stacks: dict[str, list[str]], codes=None, synth_code=0, plans=None, fresh=False):
        self.outdir, self.stacks, self.codes, self.synth_code = outdir, stacks, codes or {}, synth_code
        self.plans, self.fresh = plans or {}, fresh
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, command, cwd):
        if command[1].endswith("main.py"):
            self.calls.append(("synth",))
            if self.synth_code == 0:
                for name in self.stacks:
                    (self.outdir / "stacks" / name).mkdir(parents=True, exist_ok=True)
                    (self.outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_vpc": {"a": {}}}}))
                (self.outdir / "manifest.json").write_text(
                    json.dumps(
                        {
                            "stacks": {
                                # Listed out of order on purpose: the tool must follow the dependencies.
                                name: {"dependencies": deps}
                                for name, deps in sorted(self.stacks.items())
                            }
                        }
                    )
                )
            return self.synth_code
        stack = Path(cwd).name
        verb = command[1]
        self.calls.append((verb, stack, *[a for a in command[2:] if a == "-auto-approve" or a.endswith(".tfplan")]))
        if verb == "plan" and self.fresh and not set(self.stacks[stack]) <= set(self.verbs("apply")):
            return 1
        # Plans find changes unless told otherwise (exit 2 of -detailed-exitcode).
        return self.codes.get((verb, stack), 2 if verb == "plan" else 0)

    def output(self, command, cwd):
        stack = Path(cwd).name
        self.calls.append((command[1], stack, *command[2:]))
        return self.codes.get(("show", stack), 0), json.dumps(self.plans.get(stack, shown(A_TAG)))

    def verbs(self, verb):
        return [c[1] for c in self.calls if c[0] == verb]


def tool(
    tmp_path,
    config="default.yaml",
    *,
    yes=False,
    answer=None,
    interactive=True,
    codes=None,
    synth_code=0,
    plans=None,
    allow=(),
    fresh=False,
):
    """``answer``: what is typed at each prompt (a list: one per prompt, in order)."""
    said: list[str] = []
    recorder = Recorder(tmp_path / "out", MANIFESTS[config], codes, synth_code, plans, fresh)
    asked: list[str] = []
    answers = list(answer) if isinstance(answer, list) else None

    def ask(prompt):
        asked.append(prompt)
        return answers.pop(0) if answers is not None else answer

    t = ClusterTool(
        str(CONFIG_DIR / config),
        tmp_path / "out",
        yes=yes,
        allow_replace=set(allow),
        run=recorder,
        ask=ask,
        interactive=lambda: interactive,
        say=said.append,
    )
    return t, recorder, said, asked


def report(tmp_path) -> list[dict]:
    return json.loads((tmp_path / "out" / "plan-report.json").read_text())


def test_deploy_plans_judges_asks_once_then_applies_each_saved_plan_upstream_first(tmp_path):
    t, rec, said, asked = tool(tmp_path, answer="yes", codes={("plan", "demo-platform"): 0})
    assert t.deploy() == 0
    assert rec.calls[0] == ("synth",)
    assert rec.verbs("apply") == ["demo-network", "demo-cluster"]  # the platform plan has no changes
    planned = [(v, s) for s in ("demo-network", "demo-cluster") for v in ("init", "plan", "show")]
    # Every stack is planned and judged before anything is applied (a plan without changes has nothing
    # to show); the ones downstream of an apply are planned again, since their saved plans read the
    # upstream outputs from before it.
    assert [c[:2] for c in rec.calls[1:]] == planned + [("init", "demo-platform"), ("plan", "demo-platform")] + [
        ("apply", "demo-network"),
        ("plan", "demo-cluster"),
        ("show", "demo-cluster"),
        ("apply", "demo-cluster"),
        ("plan", "demo-platform"),
    ]
    assert all(c == ("apply", c[1], "plan.tfplan") for c in rec.calls if c[0] == "apply")  # the saved plan, no -auto-approve
    assert asked == ["\nApply these plans? Only 'yes' is accepted: "]  # the re-plans came out the same: no second question
    assert any("aws eks update-kubeconfig --region us-west-2 --name demo" in line for line in said)


def test_deploy_with_yes_approves_and_stops_at_the_first_failure(tmp_path):
    t, rec, _, asked = tool(tmp_path, yes=True, codes={("apply", "demo-cluster"): 1})
    with pytest.raises(Refused, match="demo-cluster did not apply; stopped before demo-platform \\(demo-network applied\\)"):
        t.deploy()
    assert [c for c in rec.calls if c[0] == "apply"] == [
        ("apply", "demo-network", "plan.tfplan"),
        ("apply", "demo-cluster", "plan.tfplan"),
    ]
    assert asked == []


def test_deploy_without_a_terminal_refuses_unless_told_yes(tmp_path):
    t, rec, _, asked = tool(tmp_path, interactive=False)
    with pytest.raises(Refused, match="no terminal to confirm on: pass --yes"):
        t.deploy()
    assert rec.verbs("apply") == [] and asked == []


def test_deploy_is_refused_on_anything_but_yes(tmp_path):
    t, rec, _, _ = tool(tmp_path, answer="y")
    with pytest.raises(Refused, match="'y' is not 'yes'"):
        t.deploy()
    assert rec.verbs("apply") == []


def test_a_flagged_plan_is_refused_without_allow_replace_even_with_yes(tmp_path):
    t, rec, said, asked = tool(tmp_path, yes=True, plans={"demo-cluster": shown(CLUSTER_REPLACED, A_TAG)})
    with pytest.raises(
        Refused,
        match="1 flagged change\\(s\\) not allowed: aws_eks_cluster.control_plane_cluster_D810E0D5\\. "
        ".*make deploy ALLOW_REPLACE=aws_eks_cluster.control_plane_cluster_D810E0D5",
    ):
        t.deploy()
    assert rec.verbs("apply") == [] and asked == []  # refused before the network stack was applied
    text = "\n".join(said)
    assert "demo-cluster: the EKS cluster demo will be REPLACED: every workload in it and its in-cluster state are lost" in text
    assert text.index("REPLACED") < text.index("Other changes")  # flagged first


def test_allow_replace_must_name_every_flagged_address(tmp_path):
    plans = {"demo-network": shown(FLOW_LOGS_DELETED), "demo-cluster": shown(CLUSTER_REPLACED)}
    t, rec, _, _ = tool(tmp_path, yes=True, plans=plans, allow={"aws_eks_cluster.control_plane_cluster_D810E0D5"})
    with pytest.raises(Refused, match="not allowed: aws_cloudwatch_log_group.network_flow_logs_4DFD04D3\\."):
        t.deploy()
    assert rec.verbs("apply") == []
    t, rec, _, _ = tool(
        tmp_path,
        yes=True,
        plans=plans,
        allow={"aws_eks_cluster.control_plane_cluster_D810E0D5", "aws_cloudwatch_log_group.network_flow_logs_4DFD04D3"},
    )
    assert t.deploy() == 0
    assert rec.verbs("apply") == ["demo-network", "demo-cluster", "demo-platform"]


def test_flagged_addresses_typed_at_the_prompt_allow_them(tmp_path):
    plans = {"demo-cluster": shown(CLUSTER_REPLACED)}
    t, rec, _, asked = tool(tmp_path, plans=plans, answer=["aws_eks_cluster.control_plane_cluster_D810E0D5", "yes"])
    assert t.deploy() == 0
    assert asked[0].startswith(
        "\nType the address of each flagged change you accept, separated by commas "
        "(1: aws_eks_cluster.control_plane_cluster_D810E0D5)"
    )
    assert asked[1] == "\nApply these plans? Only 'yes' is accepted: "
    assert rec.verbs("apply") == ["demo-network", "demo-cluster", "demo-platform"]


def test_a_wrong_address_at_the_prompt_refuses(tmp_path):
    t, rec, _, asked = tool(tmp_path, plans={"demo-cluster": shown(CLUSTER_REPLACED)}, answer="aws_eks_cluster.other")
    with pytest.raises(Refused, match="not allowed: aws_eks_cluster.control_plane_cluster_D810E0D5"):
        t.deploy()
    assert len(asked) == 1 and rec.verbs("apply") == []


def test_a_first_deploy_plans_judges_and_asks_for_each_stack_once_its_upstream_exists(tmp_path):
    t, rec, _, asked = tool(tmp_path, fresh=True, answer="yes")
    assert t.deploy() == 0
    assert [c[:2] for c in rec.calls if c[0] in ("plan", "apply")] == [
        ("plan", "demo-network"),
        ("plan", "demo-cluster"),
        ("plan", "demo-platform"),  # only the network plans
        ("apply", "demo-network"),
        ("plan", "demo-cluster"),
        ("apply", "demo-cluster"),
        ("plan", "demo-platform"),
        ("apply", "demo-platform"),
    ]
    assert asked == [
        "\nApply these plans? Only 'yes' is accepted: ",
        "\nApply the plan of demo-cluster? Only 'yes' is accepted: ",
        "\nApply the plan of demo-platform? Only 'yes' is accepted: ",
    ]


def test_a_flagged_change_first_seen_after_an_upstream_apply_stops_the_deploy_there(tmp_path):
    t, rec, _, _ = tool(tmp_path, yes=True, fresh=True, plans={"demo-cluster": shown(CLUSTER_REPLACED)})
    with pytest.raises(
        Refused,
        match="demo-cluster was not applied: 1 flagged change\\(s\\) not allowed: .*; stopped before demo-platform "
        "\\(demo-network applied\\)",
    ):
        t.deploy()
    assert rec.verbs("apply") == ["demo-network"]


def test_a_stack_that_fails_to_plan_after_its_upstream_applied_names_what_was_applied(tmp_path):
    t, rec, _, _ = tool(tmp_path, yes=True, fresh=True, codes={("plan", "demo-cluster"): 1})
    with pytest.raises(
        Refused,
        match="demo-cluster was not applied: terraform plan failed \\(exit 1\\); stopped before "
        "demo-platform \\(demo-network applied\\)",
    ):
        t.deploy()
    assert rec.verbs("apply") == ["demo-network"]


def test_a_stack_that_fails_to_plan_with_its_upstream_unchanged_refuses_before_any_apply(tmp_path):
    t, rec, _, _ = tool(tmp_path, yes=True, codes={("plan", "demo-network"): 0, ("plan", "demo-cluster"): 1})
    with pytest.raises(Refused, match="terraform plan failed in demo-cluster \\(exit 1\\); nothing was applied"):
        t.deploy()
    assert rec.verbs("apply") == []


def test_deploy_writes_every_stacks_verdict_flagged_first(tmp_path):
    plans = {"demo-network": shown(A_TAG, FLOW_LOGS_DELETED), "demo-cluster": shown(CLUSTER_REPLACED)}
    t, _, _, _ = tool(tmp_path, yes=True, plans=plans)
    with pytest.raises(Refused):
        t.deploy()
    records = report(tmp_path)
    assert [(r["stack"], r["address"], r["action"], r["flagged"]) for r in records] == [
        ("demo-network", "aws_cloudwatch_log_group.network_flow_logs_4DFD04D3", "delete", True),
        ("demo-cluster", "aws_eks_cluster.control_plane_cluster_D810E0D5", "replace", True),
        ("demo-network", "aws_vpc.network_vpc_4E8F0223", "update", False),
        ("demo-platform", "aws_vpc.network_vpc_4E8F0223", "update", False),
    ]
    assert set(records[0]) == {"stack", "address", "type", "action", "flagged", "reason"}


def test_a_plan_the_guard_cannot_read_refuses_before_anything_is_applied(tmp_path):
    t, rec, _, _ = tool(tmp_path, yes=True, plans={"demo-network": {"format_version": "2.0"}})
    with pytest.raises(Refused, match="demo-network: the plan cannot be judged .*format_version 2.0.*; nothing was applied"):
        t.deploy()
    assert rec.verbs("apply") == []


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
    t, rec, said, _ = tool(
        tmp_path, codes={("plan", "demo-network"): 2, ("plan", "demo-cluster"): 1, ("plan", "demo-platform"): 1}
    )
    assert t.plan_all() == 0
    assert rec.verbs("plan") == ["demo-network", "demo-cluster", "demo-platform"]
    summary = said[said.index("\nPlan summary:") + 1 :]
    assert summary[0].split() == ["demo-network", "changes"]
    assert "not plannable until demo-network is applied" in summary[1]
    assert "not plannable until demo-network, demo-cluster is applied" in summary[2]
    assert rec.verbs("apply") == []


def test_plan_fails_when_a_stack_fails_with_everything_upstream_applied(tmp_path):
    t, _, said, _ = tool(tmp_path, codes={("plan", "demo-network"): 0, ("plan", "demo-cluster"): 1})
    assert t.plan_all() == 1
    assert any("demo-cluster" in line and "failed (exit 1)" in line for line in said)


def test_plan_saves_each_plan_judges_it_and_writes_the_report(tmp_path):
    t, rec, said, _ = tool(
        tmp_path,
        codes={("plan", "demo-platform"): 0},
        plans={"demo-network": shown(A_TAG), "demo-cluster": shown(A_TAG, CLUSTER_REPLACED)},
    )
    assert t.plan_all() == 0  # a plan only reports; deploy is where it is refused
    assert [c for c in rec.calls if c[0] == "show"] == [
        ("show", s, "-json", "plan.tfplan") for s in ("demo-network", "demo-cluster")
    ]
    summary = said[said.index("\nPlan summary:") + 1 :]
    assert [line.split(None, 1) for line in summary] == [
        ["demo-network", "changes"],
        ["demo-cluster", "changes, 1 flagged"],
        ["demo-platform", "no changes"],
    ]
    text = "\n".join(said)
    assert text.index("!! aws_eks_cluster.control_plane_cluster_D810E0D5") < text.index("Other changes: 2 to update")
    assert [(r["stack"], r["action"], r["flagged"]) for r in report(tmp_path)] == [
        ("demo-cluster", "replace", True),
        ("demo-network", "update", False),
        ("demo-cluster", "update", False),
    ]
    assert any(line.endswith("out/plan-report.json") for line in said)


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


def test_main_takes_allow_replace_from_the_flag_or_the_environment(monkeypatch):
    seen = []
    monkeypatch.setattr(cluster.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(ClusterTool, "deploy", lambda self: seen.append(self.allow_replace) or 0)
    cluster.main(["deploy", "--config", str(CONFIG_DIR / "default.yaml"), "--allow-replace", "a.b,c.d"])
    monkeypatch.setenv("ALLOW_REPLACE", "e.f g.h")
    cluster.main(["deploy", "--config", str(CONFIG_DIR / "default.yaml")])
    assert seen == [{"a.b", "c.d"}, {"e.f", "g.h"}]


def test_main_refuses_without_terraform(monkeypatch, capsys):
    monkeypatch.setattr(cluster.shutil, "which", lambda name: None)
    assert cluster.main(["deploy", "--config", str(CONFIG_DIR / "default.yaml")]) == 1
    assert "terraform is not on PATH" in capsys.readouterr().err


def test_make_passes_allow_replace_through_the_environment_never_the_shell(tmp_path):
    if shutil.which("make") is None:
        unavailable("make is not installed")
    import subprocess

    for name in ("Makefile", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    tricky = 'aws_vpc.a,aws_eks_cluster.b"; touch pwned; "'
    dry = subprocess.run(
        ["make", "-n", "deploy", "CONFIG=config/p5-efa.yaml", f"ALLOW_REPLACE={tricky}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert '-m tools.cluster deploy --config config/p5-efa.yaml  --allow-replace "$ALLOW_REPLACE"' in dry
    shell = subprocess.run(
        ["sh", "-c", 'printf %s "$ALLOW_REPLACE"'], env={"ALLOW_REPLACE": tricky}, capture_output=True, text=True
    ).stdout
    assert shell == tricky  # "$VAR" hands the value over whole
    plain = subprocess.run(
        ["make", "-n", "deploy", "CONFIG=config/p5-efa.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    ).stdout
    assert "--allow-replace" not in plain
