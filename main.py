"""Synthesize the Terraform stacks for one environment's configuration.

    python main.py [--config config/default.yaml]

``CLUSTER_CONFIG`` selects the file too (this is how ``cdktf synth`` passes it).
A bad configuration exits with code 2, one line per problem, before any output
is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from cluster_config import ConfigError, load_config, summary

DEFAULT_CONFIG = "config/default.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=os.environ.get("CLUSTER_CONFIG") or DEFAULT_CONFIG,
                        help="environment YAML file (default: $CLUSTER_CONFIG or config/default.yaml)")
    parser.add_argument("--outdir", default=None, help="output directory (default: cdktf.out, or what cdktf passes)")
    args = parser.parse_args(argv)

    try:
        loaded = load_config(args.config)
    except ConfigError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return 2
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)

    # Imported only now: loading the provider bindings is the slow part of a synth.
    from stacks.app import build_app

    app = build_app(loaded, outdir=args.outdir)
    app.synth()
    report_summary(loaded, app.outdir)
    return 0


def report_summary(loaded, outdir: str) -> None:
    """Print the synth summary and keep a copy in <outdir>/summary.txt.

    The cdktf CLI swallows the app's stdout, so under `cdktf synth` (which sets
    CDKTF_OUTDIR) the summary goes straight to the user's terminal when there is one.
    """
    stacks_dir = os.path.join(outdir, "stacks")
    counts = {}
    for stack in sorted(os.listdir(stacks_dir)):
        with open(os.path.join(stacks_dir, stack, "cdk.tf.json")) as handle:
            resources = json.load(handle).get("resource", {})
        counts[stack] = sum(len(v) for v in resources.values())
    text = summary.render(loaded.config, counts, outdir) + "\n"
    with open(os.path.join(outdir, "summary.txt"), "w") as handle:
        handle.write(text)
    if os.environ.get("CDKTF_OUTDIR"):
        try:
            with open("/dev/tty", "w") as tty:
                tty.write("\n" + text)  # after the CLI's spinner line
            return
        except OSError:
            pass
    sys.stdout.write(text)


if __name__ == "__main__":
    sys.exit(main())
