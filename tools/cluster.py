"""`make plan|deploy|destroy CONFIG=...`: one configuration's stacks, in dependency order, like
`eksctl create/delete cluster -f`.

    python tools/cluster.py plan    [--config config/default.yaml]
    python tools/cluster.py deploy  [--config ...] [--yes]
    python tools/cluster.py destroy [--config ...] [--yes]
    python tools/cluster.py check-backend [--config ...]   # fails on the local backend (CI apply)

Each command first synthesizes the configuration (`python main.py --config`, which
prints the summary), then runs terraform in every stack directory in the order
that cdktf's manifest.json gives: plan and deploy upstream first, destroy in
reverse. Deploy shows each stack's plan and lets terraform ask before applying it,
unless --yes. Destroy says what it will remove and asks for the cluster's name,
unless --yes; without a terminal to ask on, it refuses.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import report  # noqa: E402
from cluster_config import ConfigError, load_config  # noqa: E402
from cluster_config.plan import ClusterPlan, build_plan  # noqa: E402

DEFAULT_CONFIG = "config/default.yaml"
PLAN_CHANGES = 2  # terraform plan -detailed-exitcode: success with changes


def kubernetes_leftovers_note(plan: ClusterPlan) -> list[str]:
    """What Kubernetes made in AWS that Terraform never saw, and how to find it."""
    name, region = plan.name, plan.region
    blocks = ("they keep the VPC, and so the network stack, from being deleted" if plan.network else
              "they stay behind in your VPC, holding its subnets and security groups")
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
    return [f"The cluster's API endpoint is private: {verb} {platform} from inside the VPC (VPN, bastion or an",
            "in-VPC runner). Its kubernetes and helm providers cannot reach the API from elsewhere."]


@dataclass
class Runner:
    """Runs commands for the tool; tests replace it to record them instead."""

    env: dict[str, str] = field(default_factory=lambda: dict(os.environ, CHECKPOINT_DISABLE="1"))

    def __call__(self, command: list[str], cwd: Path) -> int:
        return subprocess.run(command, cwd=cwd, env=self.env).returncode


class Refused(Exception):
    """The tool will not go on; the message says why and what to do."""


@dataclass
class ClusterTool:
    config_path: str
    outdir: Path
    yes: bool = False
    run: Callable[[list[str], Path], int] = field(default_factory=Runner)
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

    # ---- commands ------------------------------------------------------------
    def plan_all(self) -> int:
        stacks = self.synth()
        results: dict[str, str] = {}
        for stack in stacks:
            self.say(f"\n== plan {stack}")
            self.init(stack)
            code = self.run([self.terraform, "plan", "-input=false", "-lock-timeout=5m", "-detailed-exitcode"],
                            self.stack_dir(stack))
            pending = [s for s in stacks[:stacks.index(stack)] if results[s] != "no changes"]
            if code == 0:
                results[stack] = "no changes"
            elif code == PLAN_CHANGES:
                results[stack] = "changes"
            elif pending:
                # Its terraform_remote_state reads outputs an upstream stack does not have yet.
                results[stack] = f"not plannable until {', '.join(pending)} is applied"
            else:
                results[stack] = f"failed (exit {code})"
        self.say("\nPlan summary:")
        for stack, result in results.items():
            self.say(f"  {stack:<28} {result}")
        return 1 if any(r.startswith("failed") for r in results.values()) else 0

    def deploy(self) -> int:
        stacks = self.synth()
        self.say(f"\nDeploying {', '.join(stacks)} in this order" + (" without asking (--yes)." if self.yes else
                 "; terraform shows each stack's plan and asks before applying it."))
        for line in private_endpoint_note(self.plan, stacks, "deploy"):
            self.say(line)
        for stack in stacks:
            self.say(f"\n== deploy {stack}")
            self.init(stack)
            command = [self.terraform, "apply", "-lock-timeout=5m"] + (["-auto-approve"] if self.yes else [])
            if self.run(command, self.stack_dir(stack)) != 0:
                done = stacks[:stacks.index(stack)]
                raise Refused(f"{stack} did not apply; stopped before {', '.join(stacks[stacks.index(stack) + 1:]) or 'nothing else'}"
                              + (f" ({', '.join(done)} applied)" if done else ""))
        self.say(f"\nDeployed {', '.join(stacks)}. Next:")
        self.say(f"  aws eks update-kubeconfig --region {self.plan.region} --name {self.plan.name}")
        self.say(f"  make destroy CONFIG={self.config_path}   # when you are done")
        return 0

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
            if self.run([self.terraform, "destroy", "-input=false", "-lock-timeout=5m", "-auto-approve"], self.stack_dir(stack)) != 0:
                left = stacks[stacks.index(stack):]
                raise Refused(f"{stack} was not destroyed; still standing: {', '.join(left)}. "
                              "If the VPC will not delete, look for the leftovers listed above")
        self.say(f"\nDestroyed {', '.join(stacks)}.")
        return 0

    def check_backend(self) -> int:
        kind = report.backend_type(self.plan)
        if kind == "local":
            raise Refused(f"{self.config_path} keeps Terraform state in the local backend, which lives on this runner's disk "
                          "and is gone when the job ends. Set backend.type to s3 or cloud first (README, \"State\").")
        self.say(f"{self.config_path}: state backend {kind}")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("plan", "deploy", "destroy", "check-backend"))
    parser.add_argument("--config", default=os.environ.get("CLUSTER_CONFIG") or DEFAULT_CONFIG)
    parser.add_argument("--outdir", default="cdktf.out", type=Path)
    parser.add_argument("--yes", action="store_true", default=os.environ.get("AUTO_APPROVE") == "1",
                        help="do not ask (also AUTO_APPROVE=1)")
    args = parser.parse_args(argv)
    try:
        if args.command != "check-backend" and shutil.which("terraform") is None:
            raise Refused("terraform is not on PATH; install Terraform >= 1.5 (1.10+ for S3-native locking)")
        tool = ClusterTool(args.config, args.outdir, yes=args.yes)
        action = {"plan": tool.plan_all, "deploy": tool.deploy, "destroy": tool.destroy,
                  "check-backend": tool.check_backend}[args.command]
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
