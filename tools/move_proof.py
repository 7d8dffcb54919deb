"""Proof that state from an earlier version plans no changes under the working tree, on moto.

    python -m tools.move_proof --base main [--config config/p5-training.yaml] [--workdir .rehearsal/move-proof]

1. Start moto (tools/emulator.py) and check out ``--base`` in a temporary git worktree.
2. Synthesize the configuration with the base's code (``python main.py`` in that tree) and
   deploy its AWS stacks as the rehearsal does (tools/rehearse.py: the same endpoint, state and
   emulator-gap overrides, the real terraform and provider).
3. Synthesize it with the working tree's code and, per AWS stack in dependency order, plan it
   against the state the base applied: every resource must be a no-op (a ``moved`` block moves
   state, it neither creates nor destroys), and every move is listed.
4. Apply that plan, so the moves are carried out, and plan again: it must have no changes.

A key moved without a ``moved`` block would show as a create and a delete here; a KMS key or
the control plane's key replaced would show as a replace. The report is <workdir>/report.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from report import deploy_order
from tools.emulator import MotoServer
from tools.rehearse import Rehearsal, RehearsalError, StackReport, write_gap_overrides
from tools.synth_diff import NotACommit, worktree_at

ROOT = Path(__file__).resolve().parents[1]

UNCHANGED = (["no-op"], ["read"])


class MoveProof(Rehearsal):
    """The rehearsal's deploy of the base's synth, then the working tree's plans against its state."""

    base_tree: Path  # the base's checkout, set once its worktree exists

    def synth_tree(self, tree: Path, out: Path) -> None:
        """``python main.py`` of ``tree``, exactly as a user of that version synthesizes."""
        self.run([sys.executable, "main.py", "--config", str(Path(self.config_path).resolve()), "--outdir", str(out)], tree)

    def synth(self) -> None:
        """The base's stacks, in dependency order (the rehearsal's bookkeeping, without the cdktf CLI)."""
        with self.timed("synth at the base"):
            self.synth_tree(self.base_tree, self.out)
        order = deploy_order(json.loads((self.out / "manifest.json").read_text()))
        self.stacks = {name: self.out / "stacks" / name for name in order}
        self.aws_stacks = [n for n in order if set(self.document(n).get("provider", {})) == {"aws"}]
        for name in self.aws_stacks:
            self.reports[name] = StackReport(name)

    def prove(self, endpoint: str) -> dict[str, dict]:
        new_out = self.workdir / "working-tree" / "cdktf.out"
        with self.timed("synth in the working tree"):
            self.synth_tree(ROOT, new_out)
        results: dict[str, dict] = {}
        for stack in self.aws_stacks:
            stack_dir = new_out / "stacks" / stack
            self.write_environment_overrides(stack, endpoint, stack_dir)
            write_gap_overrides(json.loads((stack_dir / "cdk.tf.json").read_text()), stack_dir)
            with self.timed("plan of the working tree", stack):
                self.run([self.terraform, "init", "-input=false", "-no-color"], stack_dir)
                self.run([self.terraform, "plan", "-input=false", "-no-color", "-out=move.tfplan"], stack_dir)
                shown = json.loads(self.run([self.terraform, "show", "-json", "move.tfplan"], stack_dir).stdout)
            changes = shown.get("resource_changes", [])
            results[stack] = {
                "moved": sorted(f"{c['previous_address']} -> {c['address']}" for c in changes if c.get("previous_address")),
                "changed": sorted(
                    f"{c['address']} ({'/'.join(c['change']['actions'])})"
                    for c in changes
                    if c["change"]["actions"] not in UNCHANGED
                ),
                "unchanged": sum(1 for c in changes if c["mode"] == "managed" and c["change"]["actions"] == ["no-op"]),
            }
            if results[stack]["changed"]:
                continue  # nothing of a failed proof is applied
            with self.timed("apply of the moves", stack):
                self.run([self.terraform, "apply", "-input=false", "-no-color", "-auto-approve", "move.tfplan"], stack_dir)
            with self.timed("plan after the moves", stack):
                again = self.run(
                    [self.terraform, "plan", "-input=false", "-no-color", "-detailed-exitcode"], stack_dir, ok=(0, 2)
                )
            results[stack]["plan_after_moves"] = "no changes" if again.returncode == 0 else again.stdout[-3000:]
        return results


def render(result: dict) -> str:
    out = [
        f"Move proof: {result['config']}, state applied at {result['base']} ({result['sha'][:12]}), planned with the working tree"
    ]
    for stack, found in result["stacks"].items():
        out.append(
            f"  {stack}: {found['unchanged']} resources unchanged, {len(found['moved'])} moved, "
            f"{len(found['changed'])} created, updated, replaced or deleted; after the moves: "
            f"{found.get('plan_after_moves', 'not applied')}"
        )
        out += [f"    moved    {line}" for line in found["moved"]]
        out += [f"    CHANGED  {line}" for line in found["changed"]]
    out.append("MOVE PROOF PASSED" if result["ok"] else "MOVE PROOF FAILED")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="git ref whose synth is applied first (default: main)")
    parser.add_argument("--config", default="config/p5-training.yaml")
    parser.add_argument("--workdir", default=".rehearsal/move-proof", type=Path)
    args = parser.parse_args(argv)
    proof = MoveProof(args.config, args.workdir.resolve())
    started = time.perf_counter()
    try:
        proof.prepare()
        with worktree_at(args.base, proof.workdir / "base-tree") as (sha, tree), MotoServer(proof.workdir / "moto.log") as moto:
            proof.base_tree = tree
            proof.synth()
            for stack in proof.aws_stacks:
                proof.write_environment_overrides(stack, moto.url)
                proof.write_gap_overrides(stack)
                proof.deploy(stack)
            stacks = proof.prove(moto.url)
    except NotACommit as error:
        parser.error(f"--base: {error}")
    except RehearsalError as error:
        print(f"move proof failed: {error}", file=sys.stderr)
        return 1
    result = {
        "config": args.config,
        "base": args.base,
        "sha": sha,
        "stacks": stacks,
        "seconds": round(time.perf_counter() - started),
    }
    result["ok"] = all(not s["changed"] and s.get("plan_after_moves") == "no changes" for s in stacks.values())
    (args.workdir / "report.json").write_text(json.dumps(result, indent=2))
    print(render(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
