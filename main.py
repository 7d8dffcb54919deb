"""Synthesize the Terraform stacks for one environment's configuration.

    python main.py [--config config/default.yaml] [--validate]

``CLUSTER_CONFIG`` selects the file too (this is how ``cdktf synth`` passes it).
A bad configuration exits with code 2, one line per problem, before any output
is written. ``--validate`` stops after the checks and prints the capacity and
cost a synth would report, without loading provider bindings or writing a file.
"""

from __future__ import annotations

import argparse
import os
import sys

import job_examples
import report
from cluster_config import ConfigError, load_config
from cluster_config.plan import build_plan

DEFAULT_CONFIG = "config/default.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        default=os.environ.get("CLUSTER_CONFIG") or DEFAULT_CONFIG,
        help="environment YAML file (default: $CLUSTER_CONFIG or config/default.yaml)",
    )
    parser.add_argument("--outdir", default=None, help="output directory (default: cdktf.out, or what cdktf passes)")
    parser.add_argument(
        "--validate", action="store_true", help="check the configuration and print capacity and cost; write nothing (exit 0 or 2)"
    )
    args = parser.parse_args(argv)

    try:
        loaded = load_config(args.config)
    except ConfigError as error:
        for line in error.lines:
            print(line, file=sys.stderr)
        return 2
    report.warn(loaded.warnings)

    plan = build_plan(loaded.config)
    if args.validate:
        print(report.render_validation(plan, args.config))
        return 0

    # Imported only now: loading the provider bindings is the slow part of a synth.
    from stacks.app import build_app

    app = build_app(plan, outdir=args.outdir)
    app.synth()
    job_examples.write(plan, app.outdir)
    report.publish(plan, app.outdir, args.config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
