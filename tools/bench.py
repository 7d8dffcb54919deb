"""`make bench`: synth speed and memory, each figure against a baseline from the same run.

  (a) full synth of every stack of the default config   (python main.py)
  (b) baseline: ordinary provider imports + one empty stack (tools/baseline_app.py)
  (c) rejecting a bad config                              (python main.py --config bad.yaml)
  (d) validating the default config, nothing written      (python main.py --validate)

Runs alternate a, b, c, d so drift on the machine hits all three alike. Peak memory is
the largest sum of RSS over the whole process tree (python and the node process
jsii starts), sampled from /proc.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BAD_CONFIG = (
    "name: demo\nregion: us-west-2\nnetwork:\n  availability_zones: [us-west-2a, us-west-2b]\ngpu_node_groups:\n  - "
    "{name: a, instance_type: g5.xlarge, min_size: 2, max_size: 1}\n"
)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(root: int) -> int:
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kib(pid)
        stack.extend(_children(pid))
    return total


def measure(cmd: list[str], expect_rc: int) -> tuple[float, float]:
    """(seconds, peak MiB of the process tree)."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode != expect_rc:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}, expected {expect_rc}:\n{stderr.decode()}")
    return elapsed, peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="append the result to BENCHMARKS.md")
    args = parser.parse_args()

    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "bad.yaml"
        bad.write_text(BAD_CONFIG)
        cases = {
            "a": ("full synth, default config", [python, "main.py", "--outdir", f"{tmp}/a"], 0),
            "b": ("baseline: ordinary imports, empty stack", [python, "-m", "tools.baseline_app", f"{tmp}/b"], 0),
            "c": ("reject a bad config", [python, "main.py", "--config", str(bad), "--outdir", f"{tmp}/c"], 2),
            "d": ("validate the default config (--validate)", [python, "main.py", "--validate", "--outdir", f"{tmp}/d"], 0),
        }
        # One untimed round warms the OS page cache and jsii's package cache.
        for _, cmd, rc in cases.values():
            measure(cmd, rc)
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
        for run in range(args.runs):
            for key, (label, cmd, rc) in cases.items():
                results[key].append(measure(cmd, rc))
                print(
                    f"  run {run + 1}/{args.runs} {key}: {results[key][-1][0]:6.2f} s {results[key][-1][1]:7.0f} MiB",
                    file=sys.stderr,
                )

    med = {k: statistics.median(t for t, _ in v) for k, v in results.items()}
    peak = {k: max(m for _, m in v) for k, v in results.items()}
    lines = ["| case | median s | peak MiB (process tree) |", "|---|---:|---:|"]
    lines += [f"| ({k}) {cases[k][0]} | {med[k]:.2f} | {peak[k]:.0f} |" for k in cases]
    lines += [
        "",
        f"- a/b (synth vs baseline time): **{med['a'] / med['b']:.2f}** (target <= 0.35)",
        f"- c/a (bad config vs synth time): **{med['c'] / med['a']:.3f}** (target <= 0.05)",
        f"- d/c (--validate vs bad config time): **{med['d'] / med['c']:.2f}** (target <= 1.5)",
        f"- peak memory a/b: **{peak['a'] / peak['b']:.2f}** (target <= 1.0)",
    ]
    report = "\n".join(lines)
    print(report)
    if args.record:
        machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
        with open(ROOT / "BENCHMARKS.md", "a") as handle:
            handle.write(
                f"\n## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {args.runs} runs\n\nMachine: "
                f"{machine}\n\n{report}\n"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
