"""`make plan|deploy|destroy CONFIG=...`: one configuration's stacks, in dependency order, like
`eksctl create/delete cluster -f`.

    python -m tools.cluster plan    [--config config/default.yaml]
    python -m tools.cluster deploy  [--config ...] [--yes] [--allow-replace addr1,addr2]
    python -m tools.cluster destroy [--config ...] [--yes]
    python -m tools.cluster check-backend [--config ...]   # fails on the local backend (CI apply)

Each command first synthesizes the configuration (`python main.py --config`, which
prints the summary), then runs terraform in every stack directory in the order
that cdktf's manifest.json gives: plan and deploy upstream first, destroy in
reverse.

Plan and deploy save each stack's plan to a file and judge it with tools/plan_guard.py:
every stack's verdict goes to <outdir>/plan-report.json, and replacements or deletions
of what holds data, capacity or identity are printed first. Deploy refuses such a plan
unless each flagged address is allowed (--allow-replace, ALLOW_REPLACE=addr1,addr2, or
typed at the prompt), asks before applying (unless --yes), then applies exactly the
saved plan file it judged. A stack downstream of one just applied is planned and judged
again first: its saved plan read the upstream outputs from before the apply.
Destroy says what it will remove and asks for the cluster's name, unless --yes; without
a terminal to ask on, it refuses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import report
from cluster_config import ConfigError, load_config
from cluster_config.plan import ClusterPlan, build_plan
from tools import plan_guard
from tools.plan_guard import PlanFormatError, Verdict

ROOT = Path(__file__).resolve().parents[1]

DEFAULT_CONFIG = "config/default.yaml"
PLAN_CHANGES = 2  # terraform plan -detailed-exitcode: success with changes
PLAN_FILE = "plan.tfplan"  # in each stack directory; deploy applies exactly this file
REPORT_FILE = "plan-report.json"  # in the output directory: every stack's verdict


def kubernetes_leftovers_note(plan: ClusterPlan) -> list[str]:
    """What Kubernetes made in AWS that Terraform never saw, and how to find it."""
    name, region = plan.name, plan.region
    blocks = (
        "they keep the VPC, and so the network stack, from being deleted"
        if plan.network
        else "they stay behind in your VPC, holding its subnets and security groups"
    )
    return [
        "Before destroying: AWS resources that Kubernetes created are not in Terraform state, and",
        f"{blocks}. Delete them while the cluster still runs:",
        "    kubectl delete svc --all-namespaces --field-selector spec.type=LoadBalancer   # their load balancers",
        "    kubectl get pvc --all-namespaces    # then delete the PVCs whose EBS volumes you do not need",
        "Find leftovers afterwards:",
        f"    aws elbv2 describe-load-balancers --region {region} --query 'LoadBalancers[].[LoadBalancerName,VpcId]'",
        f"    aws elb describe-load-balancers --region {region} --query 'LoadBalancerDescriptions[].[LoadBalancerName,VPCId]'",
        f"    aws ec2 describe-volumes --region {region} --filters Name=tag:kubernetes.io/cluster/{name},Values=owned",
    ]


def private_endpoint_note(plan: ClusterPlan, stacks: list[str], verb: str) -> list[str]:
    platform = plan.stack_name("platform")
    if plan.control_plane.endpoint_public_access or platform not in stacks:
        return []
    return [
        f"The cluster's API endpoint is private: {verb} {platform} from inside the VPC (VPN, bastion or an",
        "in-VPC runner). Its kubernetes and helm providers cannot reach the API from elsewhere.",
    ]


@dataclass
class Runner:
    """Runs commands for the tool; tests replace it to record them instead."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ, CHECKPOINT_DISABLE="1"))

    def __call__(self, command: list[str], cwd: Path) -> int:
        return subprocess.run(command, cwd=cwd, env=self.env).returncode

    def output(self, command: list[str], cwd: Path) -> tuple[int, str]:
        """Exit code and standard output; standard error still goes to the terminal."""
        done = subprocess.run(command, cwd=cwd, env=self.env, stdout=subprocess.PIPE, text=True)
        return done.returncode, done.stdout


class Refused(Exception):
    """The tool will not go on; the message says why and what to do."""


@dataclass(frozen=True)
class StackPlan:
    """One stack's saved plan: terraform's exit code and, when it planned, the guard's verdict."""

    stack: str
    code: int
    verdicts: tuple[Verdict, ...] = ()

    @property
    def planned(self) -> bool:
        return self.code in (0, PLAN_CHANGES)

    @property
    def changes(self) -> bool:
        return self.code == PLAN_CHANGES

    def summary(self) -> set[tuple[str, str, bool]]:
        return {(v.address, v.action, v.flagged) for v in self.verdicts}


@dataclass
class ClusterTool:
    config_path: str
    outdir: Path
    yes: bool = False
    allow_replace: set[str] = field(default_factory=set)
    run: Runner = field(default_factory=Runner)
    ask: Callable[[str], str] = input
    interactive: Callable[[], bool] = lambda: sys.stdin.isatty()
    say: Callable[[str], None] = print
    terraform: str = "terraform"

    def __post_init__(self) -> None:
        self.plan = build_plan(load_config(self.config_path).config)

    # ---- steps ---------------------------------------------------------------
    def synth(self) -> list[str]:
        """Synthesizes this config and returns its stacks in dependency order."""
        command = [sys.executable, str(ROOT / "main.py"), "--config", self.config_path, "--outdir", str(self.outdir)]
        if self.run(command, Path.cwd()) != 0:
            raise Refused(f"synth of {self.config_path} failed; nothing was changed")
        manifest = json.loads((self.outdir / "manifest.json").read_text())
        return report.deploy_order(manifest)

    def stack_dir(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack

    def resource_count(self, stack: str) -> int:
        document = json.loads((self.stack_dir(stack) / "cdk.tf.json").read_text())
        return sum(len(items) for items in document.get("resource", {}).values())

    def init(self, stack: str) -> None:
        if self.run([self.terraform, "init", "-input=false"], self.stack_dir(stack)) != 0:
            raise Refused(f"terraform init failed in {self.stack_dir(stack)}")

    def plan_stack(self, stack: str) -> StackPlan:
        """terraform plan to PLAN_FILE, then the guard's verdict on `terraform show -json` of that file."""
        code = self.run(
            [self.terraform, "plan", "-input=false", "-lock-timeout=5m", "-detailed-exitcode", f"-out={PLAN_FILE}"],
            self.stack_dir(stack),
        )
        if code != PLAN_CHANGES:  # 0: no changes, nothing to judge; else it did not plan
            return StackPlan(stack, code)
        shown, text = self.run.output([self.terraform, "show", "-json", PLAN_FILE], self.stack_dir(stack))
        if shown != 0:
            raise Refused(f"terraform show -json {PLAN_FILE} failed in {self.stack_dir(stack)}")
        try:
            return StackPlan(stack, code, tuple(plan_guard.verdicts(stack, json.loads(text))))
        except (ValueError, PlanFormatError) as error:
            raise Refused(f"{stack}: the plan cannot be judged ({error})") from None

    def write_report(self, plans: dict[str, StackPlan | None]) -> Path:
        records = plan_guard.flagged_first([v for p in plans.values() if p for v in p.verdicts])
        path = self.outdir / REPORT_FILE
        path.write_text(json.dumps([v.as_dict() for v in records], indent=2) + "\n")
        return path

    def show_verdicts(self, plans: list[StackPlan]) -> None:
        records = [v for p in plans for v in p.verdicts]
        self.say("")
        for line in plan_guard.render(records):
            self.say(line)

    def authorize(self, plans: list[StackPlan]) -> None:
        """Refuses unless every flagged change is allowed: by --allow-replace, or typed at the prompt."""
        refused = plan_guard.not_allowed([v for p in plans for v in p.verdicts], self.allow_replace)
        if not refused:
            return
        addresses = ",".join(v.address for v in refused)
        if not self.yes and self.interactive():
            typed = self.ask(
                f"\nType the address of each flagged change you accept, separated by commas ({len(refused)}: {addresses}): "
            )
            self.allow_replace |= plan_guard.allow_list(typed)
            refused = plan_guard.not_allowed(refused, self.allow_replace)
            addresses = ",".join(v.address for v in refused)
        if refused:
            raise Refused(
                f"{len(refused)} flagged change(s) not allowed: {addresses}. They are listed above. "
                f"To apply them anyway: make deploy ALLOW_REPLACE={addresses}"
            )

    def confirm(self, what: str) -> None:
        if self.yes:
            return
        if not self.interactive():
            raise Refused("no terminal to confirm on: pass --yes (make deploy AUTO_APPROVE=1) to apply without asking")
        answer = self.ask(f"\nApply {what}? Only 'yes' is accepted: ").strip()
        if answer != "yes":
            raise Refused(f"'{answer}' is not 'yes'; nothing more was applied")

    # ---- commands ------------------------------------------------------------
    def plan_all(self) -> int:
        stacks = self.synth()
        results: dict[str, str] = {}
        plans: dict[str, StackPlan | None] = {}
        for stack in stacks:
            self.say(f"\n== plan {stack}")
            self.init(stack)
            plan = self.plan_stack(stack)
            pending = [s for s in stacks[: stacks.index(stack)] if results[s] != "no changes"]
            plans[stack] = plan if plan.planned else None
            if plan.code == 0:
                results[stack] = "no changes"
            elif plan.changes:
                flagged = sum(v.flagged for v in plan.verdicts)
                results[stack] = "changes" + (f", {flagged} flagged" if flagged else "")
            elif pending:
                # Its terraform_remote_state reads outputs an upstream stack does not have yet.
                results[stack] = f"not plannable until {', '.join(pending)} is applied"
            else:
                results[stack] = f"failed (exit {plan.code})"
        self.show_verdicts([p for p in plans.values() if p])
        self.say(f"\nEvery stack's verdict: {self.write_report(plans)}")
        self.say("\nPlan summary:")
        for stack, result in results.items():
            self.say(f"  {stack:<28} {result}")
        return 1 if any(r.startswith("failed") for r in results.values()) else 0

    def deploy(self) -> int:
        stacks = self.synth()
        self.say(
            f"\nDeploying {', '.join(stacks)} in this order: each stack's plan is saved, judged, and applied "
            "as it was judged" + (" (--yes: without asking)." if self.yes else ".")
        )
        for line in private_endpoint_note(self.plan, stacks, "deploy"):
            self.say(line)
        plans: dict[str, StackPlan | None] = {}
        plan: StackPlan | None  # None: a stack planned again once its upstream stacks are applied
        for stack in stacks:
            self.say(f"\n== plan {stack}")
            self.init(stack)
            try:
                plan = self.plan_stack(stack)
            except Refused as refusal:
                raise Refused(f"{refusal}; nothing was applied") from None
            upstream_moves = any(p is None or p.changes for p in plans.values())
            if not plan.planned and not upstream_moves:
                raise Refused(f"terraform plan failed in {stack} (exit {plan.code}); nothing was applied")
            # Not plannable yet: its remote state reads outputs an upstream stack does not have.
            plans[stack] = plan if plan.planned else None
        self.write_report(plans)
        judged = [p for p in plans.values() if p]
        self.show_verdicts(judged)
        self.authorize(judged)
        if any(p.changes for p in judged):
            self.confirm("these plans")
        applied: list[str] = []
        for stack in stacks:
            plan = plans[stack]
            if plan is None or applied:
                # The saved plan (if any) read the outputs of upstream stacks from before this run's applies.
                self.say(f"\n== plan {stack} again, now that {', '.join(applied) or 'its upstream'} is applied")
                try:
                    fresh = self.plan_stack(stack)
                    if not fresh.planned:
                        raise Refused(f"terraform plan failed (exit {fresh.code})")
                    plans[stack] = fresh
                    self.write_report(plans)
                    if plan is None or fresh.summary() != plan.summary():
                        self.show_verdicts([fresh])
                        self.authorize([fresh])
                        if fresh.changes:
                            self.confirm(f"the plan of {stack}")
                except Refused as refusal:
                    raise Refused(self._stopped(stacks, stack, applied, f"was not applied: {refusal}")) from None
                plan = fresh
            if not plan.changes:
                self.say(f"\n== {stack}: no changes")
                continue
            self.say(f"\n== apply {stack} ({PLAN_FILE})")
            if self.run([self.terraform, "apply", "-input=false", "-lock-timeout=5m", PLAN_FILE], self.stack_dir(stack)) != 0:
                raise Refused(self._stopped(stacks, stack, applied, "did not apply"))
            applied.append(stack)
        self.say(f"\nDeployed {', '.join(stacks)}. Next:")
        self.say(f"  aws eks update-kubeconfig --region {self.plan.region} --name {self.plan.name}")
        self.say(f"  make destroy CONFIG={self.config_path}   # when you are done")
        return 0

    @staticmethod
    def _stopped(stacks: list[str], stack: str, applied: list[str], why: str) -> str:
        after = stacks[stacks.index(stack) + 1 :]
        return f"{stack} {why}; stopped before {', '.join(after) or 'nothing else'}" + (
            f" ({', '.join(applied)} applied)" if applied else ""
        )

    def destroy(self) -> int:
        stacks = list(reversed(self.synth()))
        self.say(f"\nThis destroys cluster {self.plan.name} ({self.plan.region}), one stack at a time in this order:")
        for stack in stacks:
            self.say(f"  {stack:<28} {self.resource_count(stack):>4} resources")
        for line in private_endpoint_note(self.plan, stacks, "destroy") + kubernetes_leftovers_note(self.plan):
            self.say(line)
        if not self.yes:
            if not self.interactive():
                raise Refused("no terminal to confirm on: pass --yes (make destroy AUTO_APPROVE=1) to destroy without asking")
            answer = self.ask(f"\nType the cluster name ({self.plan.name}) to destroy it: ").strip()
            if answer != self.plan.name:
                raise Refused(f"'{answer}' is not '{self.plan.name}'; nothing was destroyed")
        for stack in stacks:
            self.say(f"\n== destroy {stack}")
            self.init(stack)
            if (
                self.run([self.terraform, "destroy", "-input=false", "-lock-timeout=5m", "-auto-approve"], self.stack_dir(stack))
                != 0
            ):
                left = stacks[stacks.index(stack) :]
                raise Refused(
                    f"{stack} was not destroyed; still standing: {', '.join(left)}. "
                    "If the VPC will not delete, look for the leftovers listed above"
                )
        self.say(f"\nDestroyed {', '.join(stacks)}.")
        return 0

    def check_backend(self) -> int:
        kind = report.backend_type(self.plan)
        if kind == "local":
            raise Refused(
                f"{self.config_path} keeps Terraform state in the local backend, which lives on this runner's disk "
                "and is gone when the job ends. Set backend.type to s3 or cloud first (docs/deploying.md, \"State\")."
            )
        self.say(f"{self.config_path}: state backend {kind}")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("plan", "deploy", "destroy", "check-backend"))
    parser.add_argument("--config", default=os.environ.get("CLUSTER_CONFIG") or DEFAULT_CONFIG)
    parser.add_argument("--outdir", default="cdktf.out", type=Path)
    parser.add_argument(
        "--yes",
        action="store_true",
        default=os.environ.get("AUTO_APPROVE") == "1",
        help="do not ask (also AUTO_APPROVE=1); flagged changes still need --allow-replace",
    )
    parser.add_argument(
        "--allow-replace",
        default=os.environ.get("ALLOW_REPLACE", ""),
        metavar="ADDRESSES",
        help="addresses of flagged changes deploy may apply, comma-separated (also ALLOW_REPLACE=...)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command != "check-backend" and shutil.which("terraform") is None:
            raise Refused("terraform is not on PATH; install Terraform >= 1.5 (1.10+ for S3-native locking)")
        tool = ClusterTool(args.config, args.outdir, yes=args.yes, allow_replace=plan_guard.allow_list(args.allow_replace))
        action = {"plan": tool.plan_all, "deploy": tool.deploy, "destroy": tool.destroy, "check-backend": tool.check_backend}[
            args.command
        ]
        return action()
    except ConfigError as error:
        print("\n".join(error.lines), file=sys.stderr)
        return 2
    except Refused as refusal:
        print(f"{args.command}: {refusal}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, EOFError):
        print(f"\n{args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
