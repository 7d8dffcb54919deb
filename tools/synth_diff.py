"""Proof of no change: synthesize at a git ref and at the working tree, and compare every file.

    python -m tools.synth_diff --base main            # every example and test configuration
    python -m tools.synth_diff --base main --only default --only nat-none
    python -m tools.synth_diff --list                  # the configurations and what each switches
    python -m tools.synth_diff --base main --set queues.topology_aware=false   # a new switch, off, changes nothing

The configurations are every example in config/ and the variants below, each an example with
a few keys changed so that every option is switched on and off at least once. Each tree
synthesizes all of them in one Python process, exactly as `python main.py --config <file>
--outdir <dir>` does (stacks, generated example jobs, summary), the base ref from a temporary
`git worktree` that is removed afterwards. Both trees read the same configuration files and
write to the same relative output paths, so equal code gives equal bytes.

``--set KEY=VALUE`` (VALUE in YAML, repeatable) applies to the working tree's copy of every
configuration only: a key the base does not know yet, set to the value that should leave the
output as it was. Every file of the two outputs is compared byte for byte. Where a cdk.tf.json differs, the
difference is classified:

* ``construct path``: a resource's or data source's ``//.metadata.path`` changed while its
  address (``uniqueId``) did not: a construct level was added above it; Terraform never
  reads the path.
* ``moved``: a ``moved`` block, and the resource it moves, whose body is otherwise equal
  to the one at its old address, and the stack metadata's list of moved resources:
  Terraform moves the state, it creates and destroys nothing.
* anything else is ``CHANGED``, and the run exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.conftest import DELETE, config_data

ROOT = Path(__file__).resolve().parents[1]

# One synth per configuration; run with the tree's code on PYTHONPATH and the current
# directory as the output root.
RUNNER = """
import contextlib, io, os, sys
from pathlib import Path
configs = sys.argv[1:]
os.environ.pop("CLUSTER_CONFIG", None)
import main as entry
for config in configs:
    name = Path(config).stem
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        code = entry.main(["--config", config, "--outdir", f"out/{name}/cdktf.out"])
    Path(f"out/{name}.log").write_text(log.getvalue())
    print(name, code, flush=True)
"""


@dataclass(frozen=True)
class Variant:
    name: str
    base: str  # a file in config/
    edit: dict
    what: str


TEAMS = [
    {"name": "vision", "namespaces": ["vision"], "quota": {"h100": 16}},
    {"name": "speech", "namespaces": ["speech", "speech-eval"], "quota": {"h100": 8}, "can_borrow": False},
]
VARIANTS = (
    Variant(
        "fsx-persistent-no-import",
        "default.yaml",
        {"storage.fsx_lustre": {"enabled": True}},
        "FSx PERSISTENT_2 with its default throughput and no S3 link",
    ),
    Variant(
        "fsx-scratch-import",
        "default.yaml",
        {"storage.fsx_lustre": {"enabled": True, "deployment_type": "SCRATCH_2", "import_path": "s3://example-datasets/coco"}},
        "FSx SCRATCH_2 linked to S3 through the file system's own import path",
    ),
    Variant(
        "fsx-scratch",
        "p5-efa.yaml",
        {"storage.fsx_lustre": {"enabled": True, "deployment_type": "SCRATCH_2", "availability_zone": "us-east-1b"}},
        "FSx SCRATCH_2 in a zone of its own, beside an EFA group",
    ),
    Variant("fsx-off", "p5-training.yaml", {"storage.fsx_lustre.enabled": False}, "p5-training without FSx"),
    Variant("checkpoints-off", "p5-training.yaml", {"storage.checkpoints.enabled": False}, "FSx but no checkpoint bucket"),
    Variant(
        "storage-off",
        "default.yaml",
        {"storage.checkpoints.enabled": False, "storage.local_nvme": "none"},
        "no shared storage at all, and no NVMe RAID0",
    ),
    Variant(
        "checkpoint-bucket-named",
        "default.yaml",
        {"storage.checkpoints.bucket_name": "my-demo-checkpoints", "storage.checkpoints.noncurrent_version_days": 7},
        "a checkpoint bucket with the user's name",
    ),
    Variant("queues-off", "p5-training.yaml", {"queues.enabled": False}, "no Kueue"),
    Variant("queues-teams", "p5-training.yaml", {"queues.teams": TEAMS}, "Kueue with two teams, one that may not borrow"),
    Variant(
        "queues-as-pods-fit",
        "default.yaml",
        {"queues.all_or_nothing": False},
        "Kueue without ProvisioningRequests (no CRD release, plain autoscaler)",
    ),
    Variant("alarm-topic-off", "default.yaml", {"observability.alarm_topic": False}, "alarms without an SNS topic"),
    Variant("cloudwatch-off", "p5-training.yaml", {"observability.cloudwatch": False}, "no CloudWatch add-on and no alarms"),
    Variant("node-repair-off", "default.yaml", {"cluster.node_repair": False}, "no node monitoring agent, no auto repair"),
    Variant(
        "platform-off",
        "default.yaml",
        {
            "training_operator.enabled": False,
            "queues.enabled": False,
            "platform": {
                "nvidia_device_plugin": {"enabled": False},
                "neuron_device_plugin": {"enabled": False},
                "efa_device_plugin": {"enabled": False},
                "cluster_autoscaler": {"enabled": False},
            },
        },
        "every platform component off: no platform stack",
    ),
    Variant("trainer-off", "p5-training.yaml", {"training_operator.enabled": False}, "the platform without Kubeflow Trainer"),
    Variant("nvidia-plugin-off", "default.yaml", {"platform.nvidia_device_plugin.enabled": False}, "no NVIDIA device plugin"),
    Variant("efa-plugin-off", "p5-efa.yaml", {"platform.efa_device_plugin.enabled": False}, "EFA nodes without the EFA plugin"),
    Variant(
        "autoscaler-off",
        "p5-training.yaml",
        {"platform.cluster_autoscaler.enabled": False},
        "no cluster-autoscaler and so no Pod Identity role for it",
    ),
    Variant(
        "neuron-plugin-off", "trainium.yaml", {"platform.neuron_device_plugin.enabled": False}, "Trainium without its plugin"
    ),
    Variant(
        "pinned-versions",
        "p5-efa.yaml",
        {
            "kubernetes_version": "1.33",
            "training_operator.version": "2.2.0",
            "queues.version": "0.18.1",
            "platform": {
                "nvidia_device_plugin": {"version": "0.19.2"},
                "efa_device_plugin": {"version": "v0.5.30"},
                "cluster_autoscaler": {"version": "9.44.0"},
            },
        },
        "every chart at a version the user chose, on Kubernetes 1.33 (in extended support)",
    ),
    Variant("kubernetes-1-32", "default.yaml", {"kubernetes_version": "1.32"}, "cluster-autoscaler's chart for 1.32"),
    Variant(
        "byo-vpc-fsx",
        "existing-vpc.yaml",
        {"storage.fsx_lustre": {"enabled": True, "availability_zone": "eu-west-1c"}},
        "bring-your-own VPC with FSx in a zone no GPU group is pinned to",
    ),
    Variant(
        "s3-backend-locked",
        "default.yaml",
        {
            "backend": {
                "type": "s3",
                "bucket": "example-state",
                "region": "us-east-1",
                "dynamodb_table": "tf-locks",
                "kms_key_id": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            }
        },
        "s3 state with a DynamoDB lock table and the user's KMS key",
    ),
    Variant(
        "cloud-backend",
        "p5-training.yaml",
        {"backend": {"type": "cloud", "organization": "example-org", "workspace_prefix": "p5"}},
        "Terraform Cloud state with a workspace prefix",
    ),
    Variant("token-auth", "p5-training.yaml", {"platform.kubernetes_auth": "token"}, "token auth for Terraform Cloud runners"),
    Variant(
        "trn2",
        "trainium.yaml",
        {
            "gpu_node_groups": [
                {"name": "trn2", "instance_type": "trn2.48xlarge", "max_size": 2, "availability_zone": "us-east-1c", "efa": True}
            ],
            "storage.checkpoints.enabled": True,
        },
        "Trainium 2 with EFA",
    ),
    Variant(
        "bottlerocket-fsx",
        "bottlerocket.yaml",
        {"storage.fsx_lustre.enabled": True, "storage.local_nvme": "none"},
        "Bottlerocket with FSx (no Lustre client install) and no RAID0",
    ),
    Variant(
        "spot-several-types",
        "default.yaml",
        {
            "gpu_node_groups.0.instance_types": ["g5.12xlarge", "g5.24xlarge"],
            "gpu_node_groups.0.instance_type": DELETE,
            "gpu_node_groups.0.capacity_type": "spot",
        },
        "Spot over two interchangeable types",
    ),
    Variant(
        "nat-none",
        "p5-efa.yaml",
        {
            "network.nat_gateways": "none",
            "network.vpc_endpoints": ["s3", "ecr.api", "ecr.dkr", "sts", "logs", "ec2", "autoscaling", "eks", "eks-auth", "kms"],
        },
        "no NAT: private DLC images, every interface endpoint",
    ),
    Variant(
        "users-images",
        "p5-efa.yaml",
        {
            "training_operator.image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1",
            "training_operator.neuron_image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron:1",
            "training_operator.namespaces": ["ml", "eval"],
        },
        "the user's own training images, two training namespaces",
    ),
    Variant(
        "many-groups",
        "default.yaml",
        {
            "gpu_node_groups": [
                {
                    "name": "a100",
                    "instance_type": "p4d.24xlarge",
                    "max_size": 2,
                    "availability_zone": "us-west-2b",
                    "labels": {"tier": "gold"},
                    "taints": ["dedicated=training:NoSchedule", "gpu-only:NoExecute"],
                },
                {"name": "l4", "instance_type": "g6.xlarge", "max_size": 4, "efa": False},
                {"name": "trn", "instance_type": "trn1.32xlarge", "max_size": 2, "availability_zone": "us-west-2a"},
            ],
            "tags": {"team": "ml", "cost-center": "1234"},
        },
        "NVIDIA with and without EFA and Trainium in one cluster, taints, labels, tags",
    ),
    Variant(
        "control-plane-options",
        "p5-efa.yaml",
        {
            "cluster.log_types": ["api", "audit"],
            "cluster.log_retention_days": 30,
            "cluster.service_ipv4_cidr": "172.20.0.0/16",
            "network.flow_logs_retention_days": 14,
            "system_nodes": {
                "instance_types": ["m6i.xlarge"],
                "min_size": 3,
                "max_size": 6,
                "desired_size": 3,
                "root_volume_gib": 80,
            },
        },
        "control-plane logs, a service CIDR, a larger system group, shorter flow-log retention",
    ),
)


class NotACommit(Exception):
    pass


@contextlib.contextmanager
def worktree_at(ref: str, directory: Path):
    """The commit ``ref`` names, checked out at ``directory`` for the life of the block: (sha, path)."""
    found = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True, text=True)
    if found.returncode != 0:
        raise NotACommit(f"{ref} is not a commit: {found.stderr.strip()}")
    sha = found.stdout.strip()
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(directory), sha], cwd=ROOT, check=True)
    try:
        yield sha, directory
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(directory)], cwd=ROOT, capture_output=True)


def example_names() -> list[str]:
    return sorted(p.name for p in (ROOT / "config").glob("*.yaml"))


def write_configs(directory: Path, only: list[str], extra: dict | None = None) -> list[Path]:
    """Every example and variant as its own YAML file (the name gives the output folder),
    with ``extra`` (dotted keys) applied to each."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in example_names():
        if not only or Path(name).stem in only:
            paths.append(directory / name)
            if extra:
                paths[-1].write_text(yaml.safe_dump(config_data(name, extra), sort_keys=False))
            else:
                shutil.copy(ROOT / "config" / name, paths[-1])
    for variant in VARIANTS:
        if not only or variant.name in only:
            paths.append(directory / f"{variant.name}.yaml")
            paths[-1].write_text(yaml.safe_dump(config_data(variant.base, {**variant.edit, **(extra or {})}), sort_keys=False))
    return paths


def parse_set(items: list[str]) -> dict:
    """``KEY=VALUE`` pairs, each VALUE parsed as YAML, as dotted-key edits."""
    edits = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE, e.g. queues.topology_aware=false")
        edits[key] = yaml.safe_load(value)
    return edits


def synthesize(tree: Path, workdir: Path, configs: list[Path]) -> dict[str, int]:
    """Exit code per configuration, from main.main in ``tree``."""
    workdir.mkdir(parents=True)
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, *map(str, configs)],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if result.returncode != 0:
        raise SystemExit(f"synth in {tree} failed:\n{result.stderr[-4000:]}")
    return {line.split()[0]: int(line.split()[1]) for line in result.stdout.splitlines() if line.strip()}


def _walk(a, b, path: tuple) -> list[tuple[tuple, object, object]]:
    """(path, base value, working value) of every leaf where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in list(a) + [k for k in b if k not in a]:
            out += _walk(a.get(key, _MISSING), b.get(key, _MISSING), (*path, key))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _walk(x, y, (*path, i))]
    return [] if a == b else [(path, a, b)]


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _without_metadata(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "//"}


def classify(base: dict, work: dict) -> tuple[list[str], list[str]]:
    """(allowed differences, unexplained differences) between two cdk.tf.json documents."""
    allowed: list[str] = []
    changed: list[str] = []
    moves = {m["from"]: m["to"] for m in work.get("moved", [])}
    if base.get("moved"):
        changed.append(f"the base already has moved blocks: {base['moved']}")
    for source, target in moves.items():
        kind, old = source.split(".", 1)
        _, new = target.split(".", 1)
        before = base.get("resource", {}).get(kind, {}).get(old)
        after = work.get("resource", {}).get(kind, {}).get(new)
        if before is None or after is None or _without_metadata(before) != _without_metadata(after):
            changed.append(f"moved block {source} -> {target} does not move an equal resource")
            continue
        if old in work.get("resource", {}).get(kind, {}) or new in base.get("resource", {}).get(kind, {}):
            changed.append(f"moved block {source} -> {target}: an address is on both sides")
            continue
        allowed.append(
            f"moved: {source} -> {target} (path {before['//']['metadata']['path']} -> {after['//']['metadata']['path']})"
        )
    for path, a, b in _walk(base, work, ()):
        if path and path[0] == "moved":
            continue  # judged above
        if path[:1] == ("resource",) and len(path) == 3:
            kind, name = path[1], path[2]
            moved_away = a is not _MISSING and b is _MISSING and f"{kind}.{name}" in moves
            moved_here = a is _MISSING and b is not _MISSING and f"{kind}.{name}" in moves.values()
            if moved_away or moved_here:
                continue
        if len(path) == 6 and path[0] in ("resource", "data") and path[3:] == ("//", "metadata", "path"):
            allowed.append(f"construct path: {'data.' if path[0] == 'data' else ''}{path[1]}.{path[2]}: {a} -> {b}")
            continue
        if path[:3] == ("//", "metadata", "moved"):
            allowed.append(f"stack metadata lists moved resources: {json.dumps(b)}")
            continue
        changed.append(f"{'.'.join(map(str, path))}: {json.dumps(a, default=repr)[:300]} -> {json.dumps(b, default=repr)[:300]}")
    return allowed, changed


def compare(base_out: Path, work_out: Path) -> tuple[list[str], list[str], int]:
    """(allowed, unexplained, files compared) over two output folders."""
    allowed: list[str] = []
    changed: list[str] = []
    files = sorted(
        {p.relative_to(base_out) for p in base_out.rglob("*") if p.is_file()}
        | {p.relative_to(work_out) for p in work_out.rglob("*") if p.is_file()}
    )
    for relative in files:
        a, b = base_out / relative, work_out / relative
        if not a.is_file() or not b.is_file():
            changed.append(f"{relative}: only in the {'working tree' if b.is_file() else 'base'}")
            continue
        if a.read_bytes() == b.read_bytes():
            continue
        if relative.name == "cdk.tf.json":
            ok, bad = classify(json.loads(a.read_text()), json.loads(b.read_text()))
            allowed += [f"{relative.parent.name}: {line}" for line in ok]
            changed += [f"{relative.parent.name}: {line}" for line in bad]
            continue
        diff = difflib.unified_diff(
            a.read_text(errors="replace").splitlines(),
            b.read_text(errors="replace").splitlines(),
            "base",
            "working tree",
            lineterm="",
            n=1,
        )
        changed.append(f"{relative}:\n      " + "\n      ".join(list(diff)[:40]))
    return allowed, changed, len(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git ref to compare the working tree with (default: main)")
    parser.add_argument("--only", action="append", default=[], help="a configuration name (file stem); repeatable")
    parser.add_argument("--keep", type=Path, help="keep both outputs in this new directory")
    parser.add_argument("--list", action="store_true", help="list the configurations and exit")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a key (dotted path, YAML value) in the working tree's configurations only; repeatable",
    )
    args = parser.parse_args(argv)
    if args.list:
        for name in example_names():
            print(f"{Path(name).stem:<26} config/{name}")
        for variant in VARIANTS:
            print(f"{variant.name:<26} {variant.base} with {variant.what}")
        return 0
    known = {Path(n).stem for n in example_names()} | {v.name for v in VARIANTS}
    unknown = sorted(set(args.only) - known)
    if unknown:
        parser.error(f"unknown configuration {', '.join(unknown)}; see --list")
    try:
        extra = parse_set(args.set)
    except ValueError as error:
        parser.error(str(error))
    scratch = Path(tempfile.mkdtemp(prefix="synth-diff-"))
    try:
        configs = write_configs(scratch / "configs", args.only)
        with worktree_at(args.base, scratch / "base-tree") as (sha, base_tree):
            print(f"synthesizing {len(configs)} configurations at {args.base} ({sha[:12]}) and in the working tree", flush=True)
            codes = {"base": synthesize(base_tree, scratch / "base", configs)}
        if extra:
            # The same paths, so nothing that names the file differs; only the working tree reads the edits.
            write_configs(scratch / "configs", args.only, extra)
        codes["working tree"] = synthesize(ROOT, scratch / "work", configs)
        unexplained = 0
        for config in configs:
            name = config.stem
            problems = [f"{side} exits {code[name]}" for side, code in codes.items() if code.get(name) != 0]
            if problems:
                print(f"{name}: {'; '.join(problems)}")
                unexplained += 1
                continue
            allowed, changed, count = compare(scratch / "base" / "out" / name, scratch / "work" / "out" / name)
            verdict = "identical" if not allowed and not changed else ("CHANGED" if changed else "moves only")
            print(f"{name}: {verdict} ({count} files)")
            for line in allowed:
                print(f"    allowed  {line}")
            for line in changed:
                print(f"    CHANGED  {line}")
            unexplained += bool(changed)
        print(f"{len(configs)} configurations, {unexplained} with unexplained differences")
        return 1 if unexplained else 0
    except NotACommit as error:
        parser.error(f"--base: {error}")
    finally:
        if args.keep:
            shutil.copytree(scratch, args.keep, ignore=shutil.ignore_patterns("base-tree"))
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
