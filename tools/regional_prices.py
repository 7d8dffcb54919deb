"""Extracts each catalog type's Linux On-Demand price in every region from the vantage-derived
GPU table of tsaol/aws-gpu into cluster_config/regional_prices.json, which the cost summary
reads for a configuration outside us-east-1.

    python -m tools.regional_prices --source PATH [--check]

PATH is a clone or a bare git directory of tsaol/aws-gpu; its committed HEAD is read
(``git show HEAD:data/all_gpu_instances.js``) and the commit and the table's "Last updated"
date are recorded. ``--check`` writes nothing and exits 1 when the committed file differs.

Why this source: karpenter's generated price table (the catalog's us-east-1 prices) carries
us-east-1 alone for the commercial partition (aws/karpenter-provider-aws
hack/code/prices_gen/main.go, getAWSRegions, at 1d927085); the tsaol/aws-gpu table, generated
from instances.vantage.sh, has a price per region, and agrees with karpenter on us-east-1
(tests/unit/test_regional_prices.py). A region missing for a type means no On-Demand price
was published there, and the summary says so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from cluster_config.catalog import INSTANCE_TYPES, REGIONAL_PRICES_FILE
from tools.catalog_upstream import git_read, write_or_check

SOURCE_FILE = "data/all_gpu_instances.js"


def extract(source: Path) -> dict:
    text = git_read(source, "show", f"HEAD:{SOURCE_FILE}")
    updated = re.search(r"^// Last updated: (\d{4}-\d{2}-\d{2})$", text, flags=re.M)
    rows = json.loads(text[text.index("[") : text.rindex("]") + 1])
    prices: dict[str, dict[str, float]] = {}
    for row in rows:
        name = row.get("apiName", row["name"])
        if name not in INSTANCE_TYPES:
            continue
        regional = {
            region: terms["onDemand"]
            for region, terms in sorted(row.get("pricing", {}).items())
            if terms.get("onDemand") is not None
        }
        if regional:
            prices[name] = regional
    return {
        "source": {
            "repository": "tsaol/aws-gpu",
            "commit": git_read(source, "rev-parse", "HEAD").strip(),
            "file": SOURCE_FILE,
            "updated": updated.group(1) if updated else None,
            "note": "Linux On-Demand USD per hour, from instances.vantage.sh data",
        },
        "prices": dict(sorted(prices.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="clone or git directory of tsaol/aws-gpu")
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing it")
    args = parser.parse_args(argv)
    extracted = extract(args.source)
    return write_or_check(REGIONAL_PRICES_FILE, extracted, len(extracted["prices"]), check=args.check)


if __name__ == "__main__":
    sys.exit(main())
