"""`make rehearse`: deploy, re-plan and destroy the AWS stacks on an AWS emulator, offline.

    python -m tools.rehearse [--config config/default.yaml] [--workdir .rehearsal]
    python -m tools.rehearse --config a.yaml --then b.yaml [--then c.yaml ...]

1. Start moto on 127.0.0.1 (free port); it is stopped on any exit.
2. Synthesize with the real cdktf CLI.
3. Per AWS stack, in dependency order: a full `terraform plan` with nothing left out,
   then `cdktf deploy` with the documented emulator gaps applied.
4. `terraform plan -detailed-exitcode` on each stack: it must report no changes.
5. `cdktf destroy`, then ask the emulator whether anything of ours is left (VPCs, subnets,
   security groups, launch templates, EKS, IAM roles, KMS keys, log groups, S3 buckets, SNS
   topics, alarms).
6. A summary table; the same figures in <workdir>/report.json.

With --then, between 4 and 5: each later configuration is synthesized on its own, planned
against the state the first one applied (every --then against the same state, nothing of
it applied), and judged by tools/plan_guard.py. The verdicts go to
<workdir>/change-report.json, each record shaped as in `make plan`'s plan-report.json.
These plans skip the refresh: step 4 has just shown that the state matches the emulator.
A stack whose synthesized JSON is unchanged has no changes and is not planned. What the
emulator cannot show is said, not guessed: a resource the rehearsal skips has no state,
so its deletion or creation is read from the two synthesized configurations, as is an
update of one whose changes (its own, or a data source it reads) are all attributes the
provider updates in place (an add-on's version, looked up for the new minor); any other
change to a skipped resource or to what it reads, or to an attribute the rehearsal
ignores, is listed as not rehearsed. A data source the emulator cannot answer is not
read (count = 0), and what refers to it reads a placeholder.

Everything emulator-specific lives in *_override.tf.json files that only this
script writes (endpoints, local state, count = 0, ignore_changes); the synthesized
cdk.tf.json files are checked to be unchanged at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from cluster_config import ConfigError, load_config, names
from cluster_config.plan import build_plan
from tools import emulator_gaps as gaps
from tools import plan_guard
from tools.emulator import MotoServer
from cluster_config.plan.backend import LocalBackendPlan
from tools.terraform_env import find_terraform, provider_env

ROOT = Path(__file__).resolve().parents[1]

PROGRESS_MARKERS = (
    "Creation complete",
    "Destruction complete",
    "Modifications complete",
    "Apply complete",
    "Destroy complete",
    "Error",
    "error:",
)


class RehearsalError(Exception):
    pass


@dataclass
class StackReport:
    name: str
    planned: int = 0
    applied: int = 0
    skipped: list[dict] = field(default_factory=list)
    unread: list[dict] = field(default_factory=list)  # data sources the emulator cannot answer
    drifted: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


CHANGE_PLANS_AT_ONCE = 2  # --then stacks planned at the same time: the 2 cores of a small machine, no more
NOT_ON_THE_EMULATOR = " [not on the emulator, which cannot create it: read from the two synthesized configurations]"


class Rehearsal:
    def __init__(self, config_path: str, workdir: Path, then: Sequence[str] = ()):
        self.config_path = config_path
        self.then = list(then)
        self.workdir = workdir
        self.out = workdir / "cdktf.out"
        self.state_dir = workdir / "state"
        self.reports: dict[str, StackReport] = {}
        self.timings: dict[str, float] = {}
        self.leftovers: list[str] = []
        self.changes: dict[str, dict] = {}

    # ---- helpers -------------------------------------------------------------
    def log(self, message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    def run(
        self, command: list[str], cwd: Path, *, check: bool = True, stream: bool = False, ok=(0,)
    ) -> subprocess.CompletedProcess:
        if not stream:
            result = subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True)
        else:
            lines = []
            with subprocess.Popen(
                command, cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            ) as proc:
                assert proc.stdout is not None  # stdout=PIPE
                for line in proc.stdout:
                    lines.append(line)
                    if any(marker in line for marker in PROGRESS_MARKERS):
                        print("    " + line.strip()[:160], flush=True)
            result = subprocess.CompletedProcess(command, proc.returncode, "".join(lines), "")
        if check and result.returncode not in ok:
            tail = (result.stdout + result.stderr)[-4000:]
            raise RehearsalError(f"{' '.join(command[:4])} ... failed with exit {result.returncode} in {cwd}:\n{tail}")
        return result

    def timed(self, phase: str, stack: str | None = None):
        rehearsal = self

        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()
                rehearsal.log(f"{phase}{' ' + stack if stack else ''} ...")

            def __exit__(self, *exc):
                seconds = time.perf_counter() - self.start
                if stack:
                    rehearsal.reports[stack].seconds[phase] = seconds
                else:
                    rehearsal.timings[phase] = seconds

        return _Timer()

    # ---- phases --------------------------------------------------------------
    def prepare(self) -> None:
        self.plan = build_plan(load_config(self.config_path).config)
        # Every later configuration is checked before anything is applied: a bad one fails in seconds.
        self.then_plans = {then: build_plan(load_config(then).config) for then in self.then}
        for path, plan in [(self.config_path, self.plan), *self.then_plans.items()]:
            if plan.existing_vpc is not None:
                raise RehearsalError(
                    f"{path}: a bring-your-own-VPC configuration cannot be rehearsed: "
                    "its VPC and subnets do not exist in the emulator"
                )
        terraform = find_terraform()
        if terraform is None:
            raise RehearsalError("terraform is needed and is not on PATH")
        self.terraform = terraform
        self.cdktf = ROOT / "node_modules" / ".bin" / "cdktf"
        if not self.cdktf.exists():
            raise RehearsalError("the cdktf CLI is not installed; run `make install-cli` (package.json pins cdktf-cli 0.21.0)")
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.state_dir.mkdir(parents=True)
        env, how = provider_env(self.workdir)
        if env is None:
            raise RehearsalError(f"the hashicorp/aws provider cannot be installed: {how}")
        self.env = env
        self.env.update(
            CLUSTER_CONFIG=str(self.config_path),
            CHECKPOINT_DISABLE="1",
            CI="1",
            FORCE_COLOR="0",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_EC2_METADATA_DISABLED="true",
        )
        self.log(f"config {self.config_path}; terraform {terraform}; {how}")

    def synth(self) -> None:
        with self.timed("synth"):
            self.run([str(self.cdktf), "synth", "--output", str(self.out)], ROOT)
        manifest = json.loads((self.out / "manifest.json").read_text())["stacks"]
        order: list[str] = []

        def visit(name):
            for dep in manifest[name]["dependencies"]:
                visit(dep)
            if name not in order:
                order.append(name)

        for name in sorted(manifest):
            visit(name)
        self.stacks = {name: self.out / "stacks" / name for name in order}
        self.aws_stacks = [n for n, d in self.stacks.items() if set(self.document(n).get("provider", {})) == {"aws"}]
        self.fingerprints = self.fingerprint()
        for name in self.aws_stacks:
            self.reports[name] = StackReport(name)
        left_out = [n for n in self.stacks if n not in self.aws_stacks]
        self.log(
            f"AWS stacks to rehearse: {', '.join(self.aws_stacks)}"
            + (f"; not rehearsed (needs a real cluster): {', '.join(left_out)}" if left_out else "")
        )

    def document(self, stack: str) -> dict:
        return json.loads((self.stacks[stack] / "cdk.tf.json").read_text())

    def fingerprint(self) -> dict[str, str]:
        return {n: hashlib.sha256((d / "cdk.tf.json").read_bytes()).hexdigest() for n, d in self.stacks.items()}

    def write_environment_overrides(self, stack: str, endpoint: str, stack_dir: Path | None = None) -> None:
        """Endpoints, fake credentials, and local state inside the work directory.

        A local-backend config keeps its own backend: its relative path already lands in
        <workdir>/state (the output folder is <workdir>/cdktf.out), so the rehearsal deploys
        with the very path and cross-stack remote state a user gets. An s3 or cloud backend
        is replaced by local state here. A later configuration's stack (``stack_dir``, synthesized
        elsewhere) always reads the state the first configuration applied."""
        change = stack_dir is not None
        stack_dir = stack_dir or self.stacks[stack]
        doc = json.loads((stack_dir / "cdk.tf.json").read_text())
        provider = {
            "access_key": "test",
            "secret_key": "test",
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_requesting_account_id": True,
            "skip_region_validation": True,
            "s3_use_path_style": True,
            # moto answers unimplemented actions with HTTP 500, which the SDK's default of 25
            # retries stretches into many minutes; a few retries still ride out the
            # dropped connections moto's development server sometimes produces.
            "max_retries": 5,
            "endpoints": [{service: endpoint for service in gaps.ENDPOINT_SERVICES}],
        }
        override: dict = {"provider": {"aws": [provider]}}
        remote = doc.get("data", {}).get("terraform_remote_state", {})
        local = isinstance(self.plan.backend, LocalBackendPlan) and not change
        if local:
            path = stack_dir / doc["terraform"]["backend"]["local"]["path"]
            if path.resolve() != (self.state_dir / f"{stack}.tfstate").resolve():
                raise RehearsalError(f"{stack}: the local backend path {path} does not lead to {self.state_dir}")
        else:
            override["terraform"] = {"backend": {"local": {"path": str(self.state_dir / f"{stack}.tfstate")}}}
        if remote and not local:
            override["data"] = {
                "terraform_remote_state": {
                    key: {
                        "backend": "local",
                        "config": {"path": str(self.state_dir / f"{key.removeprefix('cross-stack-reference-input-')}.tfstate")},
                    }
                    for key in remote
                }
            }
        (stack_dir / "rehearsal_environment_override.tf.json").write_text(json.dumps(override, indent=2))

    def write_gap_overrides(self, stack: str) -> None:
        skipped, unread = write_gap_overrides(self.document(stack), self.stacks[stack])
        self.reports[stack].skipped += skipped
        self.reports[stack].unread += unread

    def terraform_cmd(self, stack: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return self.run([self.terraform, *args], self.stacks[stack], **kwargs)

    def full_plan(self, stack: str) -> None:
        with self.timed("full plan", stack):
            self.terraform_cmd(stack, "init", "-input=false", "-no-color")
            self.terraform_cmd(stack, "plan", "-input=false", "-no-color", "-out=full.tfplan")
            shown = self.terraform_cmd(stack, "show", "-json", "full.tfplan")
        (self.stacks[stack] / "full-plan.json").write_text(shown.stdout)
        changes = json.loads(shown.stdout).get("resource_changes", [])
        self.reports[stack].planned = sum(1 for c in changes if c["mode"] == "managed" and "create" in c["change"]["actions"])

    def deploy(self, stack: str) -> None:
        with self.timed("apply", stack):
            self.run(
                [
                    str(self.cdktf),
                    "deploy",
                    stack,
                    "--skip-synth",
                    "--skip-provider-lock",
                    "--auto-approve",
                    "--ignore-missing-stack-dependencies",
                    "--output",
                    str(self.out),
                ],
                ROOT,
                stream=True,
            )
        listed = self.terraform_cmd(stack, "state", "list").stdout.split()
        if not (self.state_dir / f"{stack}.tfstate").is_file():
            raise RehearsalError(f"{stack}: no state at {self.state_dir / f'{stack}.tfstate'} after the deploy")
        self.reports[stack].applied = sum(1 for a in listed if not a.startswith("data."))

    def replan(self, stack: str) -> None:
        with self.timed("second plan", stack):
            result = self.terraform_cmd(
                stack, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=replan.tfplan", ok=(0, 2)
            )
        if result.returncode == 2:
            shown = json.loads(self.terraform_cmd(stack, "show", "-json", "replan.tfplan").stdout)
            self.reports[stack].drifted = [
                f"{c['address']} ({'/'.join(c['change']['actions'])})"
                for c in shown.get("resource_changes", [])
                if c["change"]["actions"] not in (["no-op"], ["read"])
            ]

    # ---- later configurations, planned against what the first one applied ---------
    def synth_change(self, then: str, out: Path) -> dict[str, dict]:
        """Synthesizes ``then`` as main.py does, in this process (the bindings load once for every --then)."""
        from stacks.app import build_app

        build_app(self.then_plans[then], outdir=str(out)).synth()
        manifest = json.loads((out / "manifest.json").read_text())["stacks"]
        return {name: json.loads((out / "stacks" / name / "cdk.tf.json").read_text()) for name in manifest}

    def rehearse_changes(self, endpoint: str) -> None:
        """Each --then, synthesized (one after another: one jsii runtime), then its changed AWS stacks
        planned and judged, a few at a time (plans only read the state, so they take no lock)."""
        jobs = []
        with self.timed("change synth"):
            for index, then in enumerate(self.then):
                out = self.workdir / "changes" / f"{index}-{Path(then).stem}" / "cdktf.out"
                for stack, doc in self.synth_change(then, out).items():
                    if set(doc.get("provider", {})) != {"aws"}:
                        continue
                    before = self.document(stack) if stack in self.aws_stacks else {}
                    if doc == before:
                        continue  # step 4 showed this stack's applied state matches it: no changes
                    stack_dir = out / "stacks" / stack
                    self.write_environment_overrides(stack, endpoint, stack_dir)
                    write_gap_overrides(doc, stack_dir)
                    jobs.append((then, stack, stack_dir, before, doc))
        with self.timed("change plans"), ThreadPoolExecutor(CHANGE_PLANS_AT_ONCE) as pool:
            judged = list(pool.map(lambda job: self.plan_change(*job[1:]), jobs))
        for then in self.then:
            records = [v for job, (found, _) in zip(jobs, judged) if job[0] == then for v in found]
            self.changes[then] = {
                "records": [v.as_dict() for v in plan_guard.flagged_first(records)],
                "not_rehearsed": [u for job, (_, unknown) in zip(jobs, judged) if job[0] == then for u in unknown],
            }
            self.log(f"{then}: {len(records)} change(s), {sum(v.flagged for v in records)} flagged")

    def plan_change(self, stack: str, stack_dir: Path, before: dict, after: dict) -> tuple[list[plan_guard.Verdict], list[dict]]:
        self.log(f"plan {stack} of {stack_dir.parents[2].name}")
        self.run([self.terraform, "init", "-input=false", "-no-color"], stack_dir)
        self.run(
            [self.terraform, "plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", "-out=change.tfplan"],
            stack_dir,
        )
        shown = json.loads(self.run([self.terraform, "show", "-json", "change.tfplan"], stack_dir).stdout)
        (stack_dir / "change-plan.json").write_text(json.dumps(shown))
        judged = plan_guard.verdicts(stack, shown)
        unseen, unknown = emulator_blind_spots(
            stack, before, after, {v.address for v in judged if v.action in ("replace", "delete")}
        )
        return judged + unseen, unknown

    def destroy(self, stack: str) -> None:
        with self.timed("destroy", stack):
            self.run(
                [
                    str(self.cdktf),
                    "destroy",
                    stack,
                    "--skip-synth",
                    "--auto-approve",
                    "--output",
                    str(self.out),
                    "--ignore-missing-stack-dependencies",
                ],
                ROOT,
                stream=True,
            )

    def find_leftovers(self, endpoint: str) -> None:
        import boto3

        name = self.plan.name
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=self.plan.region)

        def client(service):
            return session.client(service, endpoint_url=endpoint)

        ours = [{"Name": f"tag:{names.CLUSTER_TAG_KEY}", "Values": [name]}]
        ec2 = client("ec2")
        self.leftovers += [f"VPC {v['VpcId']}" for v in ec2.describe_vpcs(Filters=ours)["Vpcs"]]
        self.leftovers += [f"subnet {s['SubnetId']}" for s in ec2.describe_subnets(Filters=ours)["Subnets"]]
        self.leftovers += [f"security group {g['GroupId']}" for g in ec2.describe_security_groups(Filters=ours)["SecurityGroups"]]
        self.leftovers += [
            f"launch template {t['LaunchTemplateId']}" for t in ec2.describe_launch_templates(Filters=ours)["LaunchTemplates"]
        ]
        eks = client("eks")
        for cluster in eks.list_clusters()["clusters"]:
            self.leftovers.append(f"EKS cluster {cluster}")
            self.leftovers += [f"node group {g}" for g in eks.list_nodegroups(clusterName=cluster)["nodegroups"]]
        iam = client("iam")
        self.leftovers += [f"IAM role {r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{name}-")]
        kms = client("kms")
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta["KeyState"] != "PendingDeletion" and meta.get("Description", "").startswith(f"{name} "):
                self.leftovers.append(f"KMS key {key['KeyId']} ({meta['KeyState']})")
        logs = client("logs")
        for prefix in (f"/aws/eks/{name}/", f"/aws/vpc/{name}/"):
            self.leftovers += [
                f"log group {g['logGroupName']}" for g in logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
            ]
        self.leftovers += [
            f"S3 bucket {b['Name']}" for b in client("s3").list_buckets().get("Buckets", []) if b["Name"].startswith(f"{name}-")
        ]
        self.leftovers += [
            f"SNS topic {t['TopicArn']}"
            for t in client("sns").list_topics().get("Topics", [])
            if t["TopicArn"].rsplit(":", 1)[1].startswith(f"{name}-")
        ]
        self.leftovers += [
            f"alarm {a['AlarmName']}"
            for a in client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{name}-").get("MetricAlarms", [])
        ]

    # ---- the whole run -------------------------------------------------------
    def execute(self) -> dict:
        started = time.perf_counter()
        self.prepare()
        with MotoServer(self.workdir / "moto.log") as moto:
            self.log(f"moto serving on {moto.url}")
            self.synth()
            for stack in self.aws_stacks:
                self.write_environment_overrides(stack, moto.url)
                write_gap_overrides(self.document(stack), self.stacks[stack], only_unread=True)
                self.full_plan(stack)
                self.write_gap_overrides(stack)
                self.deploy(stack)
            for stack in self.aws_stacks:
                self.replan(stack)
            if self.then:
                self.rehearse_changes(moto.url)
            for stack in reversed(self.aws_stacks):
                self.destroy(stack)
            with self.timed("leftover check"):
                self.find_leftovers(moto.url)
        unchanged = self.fingerprint() == self.fingerprints
        result = {
            "config": str(self.config_path),
            "stacks": {n: vars(r) for n, r in self.reports.items()},
            "leftovers": self.leftovers,
            "changes": {then: len(change["records"]) for then, change in self.changes.items()},
            "production_json_unchanged": unchanged,
            "timings": self.timings,
            "total_seconds": time.perf_counter() - started,
        }
        result["ok"] = unchanged and not self.leftovers and not any(r.drifted for r in self.reports.values())
        return result


def detached_block(kind: str, body: dict) -> str | None:
    """The block of this resource that points at a skipped resource, emptied for the emulator."""
    if kind in gaps.DETACHED_BLOCKS:
        block, target = gaps.DETACHED_BLOCKS[kind]
        if f"{target}." in json.dumps(body.get(block, "")):
            return block
    return None


def ignored_attributes(kind: str, body: dict) -> set[str]:
    """What the rehearsal tells terraform to ignore on this resource (tools/emulator_gaps.py)."""
    block = detached_block(kind, body)
    return set(gaps.IGNORED.get(kind, ((), ""))[0]) | ({block} if block else set())


def write_gap_overrides(doc: dict, stack_dir: Path, *, only_unread: bool = False) -> tuple[list[dict], list[dict]]:
    """Writes the stack's emulator-gap override file; returns the resources it skips and the
    data sources it does not read, each with why. ``only_unread``: just the data sources, for
    the full plan, which plans every resource but cannot read what the emulator cannot answer."""
    resources: dict[str, dict] = {}
    skipped_list: list[dict] = []
    unread = [
        {"address": f"data.{kind}.{name}", "reason": gaps.UNREAD_DATA[kind]}
        for kind, items in doc.get("data", {}).items()
        if kind in gaps.UNREAD_DATA
        for name in items
    ]
    if only_unread and not unread:
        return [], []  # nothing to write: Terraform rejects an override with an empty resource block
    skipped = (
        set()
        if only_unread
        else {
            f"{kind}.{name}"
            for kind, items in doc.get("resource", {}).items()
            for name, body in items.items()
            if gaps.skip_reason(kind, body)
        }
    )
    skipped |= {u["address"] for u in unread}
    outputs = {}
    for name, output in doc.get("output", {}).items():
        value, changed = _detach(output.get("value"), skipped)
        if changed:
            outputs[name] = {"value": value}
    for kind, items in doc.get("resource", {}).items():
        for name, body in items.items():
            entry: dict = {}
            for attribute, value in body.items():
                if attribute in ("//", "lifecycle", "depends_on"):
                    continue
                value, changed = _detach(value, skipped)
                if changed:
                    entry[attribute] = value
            reason = None if only_unread else gaps.skip_reason(kind, body)
            if reason:
                entry["count"] = 0
                skipped_list.append({"address": f"{kind}.{name}", "reason": reason})
            block = None if only_unread else detached_block(kind, body)
            if block:
                entry[block] = {}
            ignored = set() if only_unread else ignored_attributes(kind, body)
            if ignored:
                existing = body.get("lifecycle", {}).get("ignore_changes", [])
                entry["lifecycle"] = {"ignore_changes": sorted(set(existing) | ignored)}
            if entry:
                resources.setdefault(kind, {})[name] = entry
    data: dict[str, dict] = {}
    for entry in unread:
        _, kind, name = entry["address"].split(".")
        data.setdefault(kind, {})[name] = {"count": 0}
    overrides = {"resource": resources, **({"data": data} if data else {}), **({"output": outputs} if outputs else {})}
    (stack_dir / "rehearsal_gaps_override.tf.json").write_text(json.dumps(overrides, indent=2))
    return skipped_list, unread


def emulator_blind_spots(
    stack: str, before: dict, after: dict, replaced: Set[str] = frozenset()
) -> tuple[list[plan_guard.Verdict], list[dict]]:
    """What the plan on the emulator cannot show, from the two synthesized stacks.

    A resource the rehearsal skips (count = 0) has no state, so its plan is empty: one that
    only the first configuration has is deleted on AWS, one only the second has is created,
    and these are judged like any plan entry, as is an update of one whose every change is an
    attribute the provider updates in place. What cannot be judged is returned as not
    rehearsed: a skipped resource whose other configuration changes, or that reads a data source
    whose configuration changes (an add-on version looked up for the cluster's minor) or a
    resource the plan replaces or deletes (``replaced``); and a change to an attribute the
    rehearsal ignores."""

    def blocks(doc):
        found = {
            f"{kind}.{name}": (kind, body) for kind, items in doc.get("resource", {}).items() for name, body in items.items()
        }
        found.update(
            {f"data.{kind}.{name}": (kind, body) for kind, items in doc.get("data", {}).items() for name, body in items.items()}
        )
        return found

    old, new = blocks(before), blocks(after)
    changed = {a for a in old.keys() & new.keys() if _literal(old[a][1]) != _literal(new[a][1])}
    moving = {a for a in changed if a.startswith("data.")} | set(replaced)
    entries, unknown = [], []
    for address in sorted(a for a in old.keys() | new.keys() if not a.startswith("data.")):
        kind = (new.get(address) or old[address])[0]
        was, now = old.get(address, (kind, None))[1], new.get(address, (kind, None))[1]
        skipped = gaps.skip_reason(kind, was) if was is not None else gaps.skip_reason(kind, now)
        read = sorted(a for a in moving if "${" + a + "." in json.dumps(now)) if now is not None else []
        if skipped and (was is None or now is None):
            entries.append(
                {
                    "address": address,
                    "mode": "managed",
                    "type": kind,
                    "change": {
                        "actions": ["create"] if was is None else ["delete"],
                        "before": _literal(was),
                        "after": _literal(now),
                    },
                }
            )
        elif skipped and (address in changed or read) and _updated_in_place(kind, was, now, read, replaced):
            entries.append(
                {
                    "address": address,
                    "mode": "managed",
                    "type": kind,
                    "change": {"actions": ["update"], "before": _literal(was), "after": _literal(now)},
                }
            )
        elif skipped and (address in changed or read):
            what = "its configuration changes" if address in changed else f"it reads {', '.join(read)}, which changes or goes"
            unknown.append(
                {
                    "stack": stack,
                    "address": address,
                    "type": kind,
                    "why": f"{what}, and {skipped}, so update or replace is not rehearsed",
                }
            )
        elif was is not None and now is not None:
            ignored = sorted(a for a in ignored_attributes(kind, now) if was.get(a) != now.get(a))
            if ignored:
                unknown.append(
                    {
                        "stack": stack,
                        "address": address,
                        "type": kind,
                        "why": f"{', '.join(ignored)} change(s), which the rehearsal ignores (tools/emulator_gaps.py)",
                    }
                )
    judged = plan_guard.verdicts(stack, {"format_version": "1.2", "resource_changes": entries})
    return [replace(v, reason=v.reason + NOT_ON_THE_EMULATOR) for v in judged], unknown


def _updated_in_place(kind: str, was: dict, now: dict, read: list[str], replaced: Set[str]) -> bool:
    """Whether every attribute that changes, or reads a data source that changes, is one the
    provider updates in place (tools/emulator_gaps.py UPDATED_IN_PLACE); nothing it reads is replaced."""
    if any(not r.startswith("data.") or r in replaced for r in read):
        return False
    old, new = _literal(was) or {}, _literal(now) or {}
    moved = {
        a
        for a in old.keys() | new.keys()
        if old.get(a) != new.get(a) or any("${" + r + "." in json.dumps(new.get(a)) for r in read)
    }
    return moved <= set(gaps.UPDATED_IN_PLACE.get(kind, ((), ""))[0])


def _literal(body: dict | None) -> dict | None:
    """A synthesized resource body standing in for its values (references stay ${...} text)."""
    if body is None:
        return None
    return {k: v for k, v in body.items() if k not in ("//", "lifecycle", "depends_on")}


def change_table(report: dict, labels: dict[str, str] | None = None) -> str:
    """The docs' table "What each change does": a markdown row per --then of a change report, the
    resource types of each action (``labels`` names the rows; the file's name by default)."""
    labels = labels or {}

    def cell(records, *actions):
        counts: dict[str, int] = {}
        for r in records:
            if r["action"] in actions:
                counts[r["type"]] = counts.get(r["type"], 0) + 1
        return ", ".join(f"`{t}`" + (f" x{n}" if n > 1 else "") for t, n in sorted(counts.items())) or "-"

    rows = [
        "| change | updated in place | replaced | deleted | created | flagged | not rehearsed |",
        "|---|---|---|---|---|---|---|",
    ]
    for then, change in report["changes"].items():
        records = change["records"]
        flagged = cell([r for r in records if r["flagged"]], *plan_guard.ACTIONS)
        unknown = ", ".join(sorted({f"`{u['type']}`" for u in change["not_rehearsed"]})) or "-"
        rows.append(
            f"| {labels.get(then, Path(then).stem)} | {cell(records, 'update')} | {cell(records, 'replace')} | "
            f"{cell(records, 'delete')} | {cell(records, 'create')} | {flagged} | {unknown} |"
        )
    return "\n".join(rows)


SKIPPED_PLACEHOLDER = "skipped-in-rehearsal"


def _detach(value, skipped: set[str]):
    """``value`` with every kind.name.attr of a skipped resource read as a placeholder string:
    a resource with count = 0 has no instance to read, and null outputs crash the cdktf CLI. An
    unread data source's attribute reads null instead: the resource reading it is still planned
    in the full plan, where a made-up string would fail the provider's validation (an add-on
    version must be semver), and an unset optional attribute is known after apply."""
    if not skipped:
        return value, False
    text = json.dumps(value)
    pattern = re.compile(r"(?<![\w.\[])(" + "|".join(re.escape(a) for a in sorted(skipped)) + r")\.(\w+)")
    new = pattern.sub(
        lambda m: (
            f'try({m.group(1)}[0].{m.group(2)}, '
            + ("null" if m.group(1).startswith("data.") else f'\\"{SKIPPED_PLACEHOLDER}\\"')
            + ")"
        ),
        text,
    )
    return (json.loads(new), True) if new != text else (value, False)


def render(result: dict) -> str:
    rows = [
        f"{'stack':<22} {'planned':>7} {'applied':>7} {'skipped':>7} {'drifted':>7}   seconds (full plan / apply / 2nd plan / "
        "destroy)"
    ]
    for name, r in result["stacks"].items():
        s = r["seconds"]
        seconds = " / ".join(f"{s.get(p, 0):.0f}" for p in ("full plan", "apply", "second plan", "destroy"))
        rows.append(f"{name:<22} {r['planned']:>7} {r['applied']:>7} {len(r['skipped']):>7} {len(r['drifted']):>7}   {seconds}")
    out = ["", "Rehearsal summary", *rows, ""]
    skipped = [s for r in result["stacks"].values() for s in r["skipped"]]
    if skipped:
        out.append("Skipped (the emulator cannot create them; see tools/emulator_gaps.py):")
        out += [f"  {s['address']}: {s['reason']}" for s in skipped]
    unread = [u for r in result["stacks"].values() for u in r.get("unread", [])]
    if unread:
        out.append("Not read (the emulator cannot answer them; what reads them gets a placeholder):")
        out += [f"  {u['address']}: {u['reason']}" for u in unread]
    for name, r in result["stacks"].items():
        if r["drifted"]:
            out.append(f"DRIFT in {name}: " + ", ".join(r["drifted"]))
    for then, count in result.get("changes", {}).items():
        out.append(f"Planned against the applied state: {then}: {count} change(s) (change-report.json)")
    out.append("Left after destroy: " + (", ".join(result["leftovers"]) or "nothing"))
    out.append("Synthesized JSON unchanged by the rehearsal: " + ("yes" if result["production_json_unchanged"] else "NO"))
    out.append(
        f"synth {result['timings'].get('synth', 0):.0f} s; total {result['total_seconds']:.0f} s; "
        + ("REHEARSAL PASSED" if result["ok"] else "REHEARSAL FAILED")
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.environ.get("CLUSTER_CONFIG") or "config/default.yaml")
    parser.add_argument("--workdir", default=".rehearsal", type=Path)
    parser.add_argument(
        "--then",
        action="append",
        default=[],
        metavar="CONFIG",
        help="a later configuration to plan against the applied state (repeatable)",
    )
    args = parser.parse_args(argv)
    rehearsal = Rehearsal(args.config, args.workdir.resolve(), args.then)
    try:
        result = rehearsal.execute()
    except ConfigError as error:
        print("\n".join(error.lines), file=sys.stderr)
        return 2
    except RehearsalError as error:
        print(f"rehearsal failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rehearsal interrupted; the emulator was stopped", file=sys.stderr)
        return 130
    (args.workdir / "report.json").write_text(json.dumps(result, indent=2))
    if rehearsal.then:
        change_report = {"config": str(args.config), "changes": rehearsal.changes}
        (args.workdir / "change-report.json").write_text(json.dumps(change_report, indent=2))
        print("\nWhat each change does (from the plans against the applied state)\n" + change_table(change_report))
    print(render(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
