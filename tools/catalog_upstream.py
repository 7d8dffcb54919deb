"""Extracts, from upstream tables generated from EC2 DescribeInstanceTypes, the facts our
catalog (cluster_config/instance_types.csv) states, into tests/data/upstream-instance-types.json.
tests/unit/test_catalog_upstream.py then checks that the catalog agrees with the extract.

    python -m tools.catalog_upstream --karpenter PATH --vpc-cni PATH [--check]

PATH is a clone or a bare git directory of the repository; the committed HEAD is read
(``git show HEAD:<file>``), and its commit is recorded in the extract. ``--check`` writes
nothing and exits 1 when the extract in the repository differs from what the sources give.

Sources (both generated from the EC2 API by their projects' own generators):

* aws/karpenter-provider-aws
  - website/content/en/docs/reference/instance-types.md: vCPU, memory, GPU or Neuron name
    and count, memory per GPU, local NVMe, network bandwidth, max EFA interfaces;
  - pkg/providers/pricing/zz_generated.pricing_aws.go: us-east-1 Linux On-Demand prices.
* aws/amazon-vpc-cni-k8s pkg/vpc/vpc_ip_resource_limit.go: network cards (karpenter's
  instance-types page does not carry them, and its own copy of the limits lacks trn2).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = ROOT / "tests" / "data" / "upstream-instance-types.json"

# The families the catalog covers: every NVIDIA GPU and Trainium family EKS GPU node groups run.
FAMILIES = ("g4dn", "g5", "g6", "g6e", "gr6", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "trn1", "trn1n", "trn2")

KARPENTER_TABLE = "website/content/en/docs/reference/instance-types.md"
KARPENTER_PRICES = "pkg/providers/pricing/zz_generated.pricing_aws.go"
VPC_CNI_LIMITS = "pkg/vpc/vpc_ip_resource_limit.go"


def git_read(repo: Path, *args: str) -> str:
    """What git prints for a clone or bare git directory of an upstream repository."""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _in_families(name: str) -> bool:
    return name.split(".", 1)[0] in FAMILIES


def karpenter_table(text: str) -> dict[str, dict]:
    """Per instance type, the labels and resources of karpenter's generated reference page."""
    found: dict[str, dict] = {}
    for section in re.split(r"^### `", text, flags=re.M)[1:]:
        name = section.split("`", 1)[0]
        if not _in_families(name):
            continue
        cells = dict(re.findall(r"^ \|([a-z0-9./-]+)\|([^|]*)\|$", section, flags=re.M))

        def number(key: str) -> int:
            return int(cells.get(key, "0"))

        found[name] = {
            "vcpus": number("karpenter.k8s.aws/instance-cpu"),
            "memory_mib": number("karpenter.k8s.aws/instance-memory"),
            "gpu_name": cells.get("karpenter.k8s.aws/instance-gpu-name"),
            "gpu_count": number("karpenter.k8s.aws/instance-gpu-count"),
            "gpu_memory_mib": number("karpenter.k8s.aws/instance-gpu-memory"),
            "accelerator_name": cells.get("karpenter.k8s.aws/instance-accelerator-name"),
            "accelerator_count": number("karpenter.k8s.aws/instance-accelerator-count"),
            "local_nvme_gb": number("karpenter.k8s.aws/instance-local-nvme"),
            "network_bandwidth_mbps": number("karpenter.k8s.aws/instance-network-bandwidth"),
            "max_efa_interfaces": number("vpc.amazonaws.com/efa"),
        }
    return found


def karpenter_prices(text: str) -> dict[str, float]:
    region = text[text.index('"us-east-1": {') :]
    region = region[: region.index("\n\t},")]
    return {
        name: float(price) for name, price in re.findall(r'"([a-z0-9-]+\.[a-z0-9-]+)": ([0-9.]+)', region) if _in_families(name)
    }


def network_cards(text: str) -> dict[str, int]:
    cards = {}
    for name, body in re.findall(r'^\t"([a-z0-9-]+\.[a-z0-9-]+)": \{(.*?)^\t\},', text, flags=re.M | re.S):
        if _in_families(name):
            cards[name] = len(re.findall(r"MaximumNetworkInterfaces:", body))  # one per card
    return cards


def extract(karpenter: Path, vpc_cni: Path) -> dict:
    table = karpenter_table(git_read(karpenter, "show", f"HEAD:{KARPENTER_TABLE}"))
    prices = karpenter_prices(git_read(karpenter, "show", f"HEAD:{KARPENTER_PRICES}"))
    cards = network_cards(git_read(vpc_cni, "show", f"HEAD:{VPC_CNI_LIMITS}"))
    types = {}
    for name in sorted(set(table) | set(cards)):
        row = dict(table.get(name, {}))
        row["in_karpenter_table"] = name in table
        row["network_cards"] = cards.get(name)
        row["on_demand_usd_per_hour_us_east_1"] = prices.get(name)
        types[name] = row
    return {
        "sources": {
            "aws/karpenter-provider-aws": {
                "commit": git_read(karpenter, "rev-parse", "HEAD").strip(),
                "files": [KARPENTER_TABLE, KARPENTER_PRICES],
            },
            "aws/amazon-vpc-cni-k8s": {"commit": git_read(vpc_cni, "rev-parse", "HEAD").strip(), "files": [VPC_CNI_LIMITS]},
        },
        "families": list(FAMILIES),
        "types": types,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--karpenter", type=Path, required=True, help="clone or git directory of aws/karpenter-provider-aws")
    parser.add_argument("--vpc-cni", type=Path, required=True, help="clone or git directory of aws/amazon-vpc-cni-k8s")
    parser.add_argument("--check", action="store_true", help="compare with the committed extract instead of writing it")
    args = parser.parse_args(argv)
    extracted = extract(args.karpenter, args.vpc_cni)
    return write_or_check(EXTRACT, extracted, len(extracted["types"]), check=args.check)


def write_or_check(path: Path, extracted: dict, types: int, *, check: bool) -> int:
    """Write an extract as sorted JSON, or with ``check`` say whether the committed one is it (exit 1 if not)."""
    text = json.dumps(extracted, indent=1, sort_keys=True) + "\n"
    if check:
        same = path.is_file() and path.read_text() == text
        print(f"{path.relative_to(ROOT)} is {'up to date' if same else 'out of date: rerun without --check'}")
        return 0 if same else 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"wrote {path.relative_to(ROOT)}: {types} instance types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
