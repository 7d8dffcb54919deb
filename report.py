"""The short report printed after every synth: stacks, GPU capacity, and what it costs per hour.

It reads only the plan: what it says about a group is what the stacks built.
"""

from __future__ import annotations

import json
import os
import sys

from cluster_config import charts, names
from cluster_config.plan import ClusterPlan


def render(plan: ClusterPlan, stacks: dict[str, int], outdir: str) -> str:
    out = [f"Synthesized {len(stacks)} stacks into {outdir}/stacks:"]
    out += [f"  {name:<28} {count:>4} resources" for name, count in stacks.items()]

    if plan.gpu_groups:
        out.append("")
        out.append("GPU node groups:")
        header = (f"  {'group':<14} {'instance':<18} {'accel/node':>10} {'EFA/node':>8} {'nodes':>7} {'accel':>9} "
                  f"{'scratch/node':>14}  capacity")
        out.append(header)
        for group in plan.gpu_groups:
            n = group.instance.accelerators
            low, high = group.scaling.min_size, group.scaling.max_size
            capacity = group.capacity_type.lower() + (" (priced differently)" if group.capacity_type != "ON_DEMAND" else "")
            scratch = f"{group.scratch_gb:,} GB NVMe" if group.scratch_gb else f"{group.root_volume_gib} GiB EBS"
            types = group.instance.name + (f" +{len(group.instance_types) - 1}" if len(group.instance_types) > 1 else "")
            out.append(
                f"  {group.name:<14} {types:<18} {n:>10} {group.efa_interfaces:>8} "
                f"{f'{low}-{high}':>7} {f'{low * n}-{high * n}':>9} {scratch:>14}  {capacity}"
            )

    costs = plan.costs
    idle, idle_unpriced = costs.total("idle")
    full, full_unpriced = costs.total("full")
    out.append("")
    out.append(f"Estimated cost per hour, On-Demand list prices in {costs.price_region} ({plan.region} may differ), "
               "excluding data transfer, storage and VPC endpoints:")
    out.append(f"  at idle (min sizes):   ${idle:,.2f}/h" + (f"  (no price for {', '.join(idle_unpriced)})" if idle_unpriced else ""))
    out.append(f"  at full scale (max):   ${full:,.2f}/h" + (f"  (no price for {', '.join(full_unpriced)})" if full_unpriced else ""))
    for line in costs.lines:
        unit = "n/a" if line.unit_usd is None else f"${line.unit_usd:g}"
        out.append(f"    {line.label:<36} {line.count_idle}-{line.count_full} x {unit}")
    if any(g.capacity_type != "ON_DEMAND" for g in plan.gpu_groups):
        out.append("  Spot and Capacity Block groups are shown at On-Demand prices; their real prices differ.")
    out.append(f"  Prices: {costs.price_source}.")

    out.append("")
    out.append("Next:")
    out.append("  npx cdktf deploy '*'                         # network, cluster, platform in order (after `npm ci`)")
    out.append(f"  aws eks update-kubeconfig --region {plan.region} --name {plan.name}")
    nvidia = [g for g in plan.gpu_groups if g.nvidia]
    trainer = plan.platform.settings.trainer
    if trainer.enabled and nvidia:
        for group in nvidia:
            for example, what in (("first-job", "a distributed PyTorch job"), ("nccl-tests", "all_reduce_perf across nodes")):
                command = f"kubectl apply -k {outdir}/examples/{group.name}/{example}"
                out.append(f"  {command:<60} # {group.name}: {what}")
        if any(g.efa for g in nvidia) and trainer.image != charts.TRAINING_IMAGE:
            out.append("  # NCCL uses EFA only if your training_operator.image carries libfabric and aws-ofi-nccl (README)")
    return "\n".join(out)


def publish(plan: ClusterPlan, outdir: str) -> None:
    """Print the summary and keep a copy in <outdir>/summary.txt.

    The cdktf CLI swallows the app's stdout, so under `cdktf synth` (which sets
    CDKTF_OUTDIR) the summary goes straight to the user's terminal when there is one.
    """
    stacks_dir = os.path.join(outdir, "stacks")
    counts = {}
    for stack in sorted(os.listdir(stacks_dir)):
        with open(os.path.join(stacks_dir, stack, "cdk.tf.json")) as handle:
            resources = json.load(handle).get("resource", {})
        counts[stack] = sum(len(v) for v in resources.values())
    text = render(plan, counts, outdir) + "\n"
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
