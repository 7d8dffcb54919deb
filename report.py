"""The short report printed after every synth: stacks, GPU capacity, and what it costs per hour.

It reads only the plan and the synthesized manifest: what it says about a group is
what the stacks built, and the stacks it lists are the ones this synth wrote.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from collections.abc import Sequence

from cluster_config import catalog, names
from cluster_config.components import amazon_cloudwatch_observability, kubeflow_trainer, kueue, node_health_check
from cluster_config.plan import ClusterPlan, StackRole
from cluster_config.plan.backend import CloudBackendPlan, S3BackendPlan


def backend_type(plan: ClusterPlan) -> str:
    if isinstance(plan.backend, S3BackendPlan):
        return "s3"
    if isinstance(plan.backend, CloudBackendPlan):
        return "cloud"
    return "local"


def stack_names(plan: ClusterPlan) -> list[str]:
    """This plan's stacks in deploy order (the manifest says the same after a synth)."""
    present: dict[StackRole, bool] = {"network": bool(plan.network), "cluster": True, "platform": bool(plan.platform.releases)}
    return [plan.stack_name(role) for role, there in present.items() if there]


def capacity_and_cost(plan: ClusterPlan) -> list[str]:
    out: list[str] = []
    if plan.gpu_groups:
        out.append("GPU node groups:")
        header = (
            f"  {'group':<14} {'instance':<18} {'accel/node':>10} {'EFA/node':>8} {'nodes':>7} {'accel':>9} "
            f"{'scratch/node':>14}  capacity"
        )
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
        out.append("")
    out += health_gate(plan)
    out += queues(plan)

    costs = plan.costs
    idle, idle_unpriced = costs.total("idle")
    full, full_unpriced = costs.total("full")
    excluded = "data transfer, EBS and S3 storage" + ("" if plan.network else ", and what your own VPC costs")
    out.append(f"Estimated cost per hour, On-Demand list prices in {costs.region}, excluding {excluded}:")
    out.append(
        f"  at idle (min sizes):   ${idle:,.2f}/h" + (f"  (no price for {', '.join(idle_unpriced)})" if idle_unpriced else "")
    )
    out.append(
        f"  at full scale (max):   ${full:,.2f}/h" + (f"  (no price for {', '.join(full_unpriced)})" if full_unpriced else "")
    )
    borrowed = costs.borrowed_prices
    for line in costs.lines:
        unit = ("paid up front" if line.prepaid else "n/a") if line.unit_usd is None else f"${line.unit_usd:g}"
        mark = f"  ({line.priced_in} price)" if line in borrowed else ""
        out.append(f"    {line.label:<36} {line.count_idle}-{line.count_full} x {unit}{mark}")
    if borrowed:
        out.append(f"  The catalog has {catalog.PRICE_REGION} prices only for the lines so marked; {costs.region}'s may differ.")
    missing = [
        line.label for line in costs.lines if line.unit_usd is None and not line.prepaid and line.priced_in == costs.region
    ]
    if missing and costs.region != catalog.PRICE_REGION:
        out.append(f"  No {costs.region} On-Demand price for {', '.join(missing)}: the type may not be sold On-Demand there.")
    for line in (line for line in costs.lines if line.prepaid):
        if line.unit_usd is None:
            out.append(
                f"  {line.label}: the block was paid up front for its whole term, so its {line.count_idle} nodes cost "
                "the same idle or busy; the figures above leave it out (set capacity_block_usd_per_hour to count it)."
            )
        else:
            out.append(
                f"  {line.label}: paid up front for its whole term, so its {line.count_idle} nodes are in both figures, "
                f"at the block's ${line.unit_usd:g} per instance-hour."
            )
    services = plan.network.interface_endpoints if plan.network else ()
    if services and plan.network:
        azs = len(plan.network.availability_zones)
        per_hour = len(services) * azs * catalog.INTERFACE_ENDPOINT_USD_PER_AZ_HOUR
        out.append(
            f"  Interface endpoints, included in both figures: {len(services)} ({', '.join(services)}) x {azs} AZs "
            f"x ${catalog.INTERFACE_ENDPOINT_USD_PER_AZ_HOUR:g} = ${per_hour:,.2f}/h (AWS PrivateLink; s3 is a free gateway)."
        )
    if any(g.capacity_type == "SPOT" for g in plan.gpu_groups):
        out.append("  Spot groups are shown at On-Demand prices; Spot prices are lower and change.")
    if plan.storage.checkpoints is not None:
        out.append("  The checkpoint bucket costs S3 storage and requests only (nothing while empty).")
    if any(a.name == amazon_cloudwatch_observability.COMPONENT.name for a in plan.addons):
        out.append(
            "  Not included: Container Insights (CloudWatch observability add-on), charged per metric "
            "observation and per GB of logs."
        )
    out.append(
        f"  Prices: {costs.price_source}"
        + (
            ""
            if costs.region == catalog.PRICE_REGION
            else f"; GPU and Trainium types in {costs.region}: {catalog.REGIONAL_PRICE_SOURCE}"
        )
        + "."
    )
    return out


def health_gate(plan: ClusterPlan) -> list[str]:
    """What each group's new nodes are checked for, and about how long they wait for it."""
    gate = plan.platform.settings.of(node_health_check.COMPONENT)
    if not plan.gpu_groups:
        return []
    out = ["Health gate (a new node takes work once it passed; docs/node-health.md):"]
    for group in plan.gpu_groups:
        check = gate.of(group.name)
        if check is None:
            out.append(f"  {group.name:<14} off: nodes take work as soon as they are Ready")
            continue
        wait = node_health_check.wait_minutes(group, check)
        out.append(f"  {group.name:<14} {', '.join(node_health_check.checks_run(group, check))}; waits ~{wait} min")
        if check.recheck_schedule:
            deadline = node_health_check.recheck_deadline_seconds(group, check) // 60
            out.append(f"  {'':<14} rechecked when idle: '{check.recheck_schedule}' (UTC), each run up to {deadline} min")
        if check.recheck_left_out:
            out.append(f"  {'':<14} no recheck: {check.recheck_left_out}")
        if group.nvidia and check.nccl_floor_gbps is None:
            out.append(f"  {'':<14} no all_reduce_perf: {check.nccl_floor_source}")
        if group.nvidia and not check.dcgm_level and plan.network is not None and plan.network.nat_gateways == "none":
            out.append(f"  {'':<14} no DCGM diagnostic: without NAT the DCGM image on nvcr.io cannot be pulled")
    out.append(
        f"  (waits: ~{node_health_check.START_MINUTES} min to start the check pod, dcgmi diag "
        f"r1/r2/r3/r4 ~{'/'.join(str(m) for m in node_health_check.DCGM_MINUTES.values())} min, "
        f"all_reduce_perf ~{node_health_check.NCCL_MINUTES} min; after the node is Ready)"
    )
    out.append("")
    return out


def queues(plan: ClusterPlan) -> list[str]:
    """Who may use how much of each group: Kueue's cluster queues and their accelerator quotas."""
    queue_plan = plan.platform.settings.of(kueue.COMPONENT)
    if queue_plan is None:
        return []
    groups = {g.name: g for g in plan.gpu_groups}
    admission = "all-or-nothing (ProvisioningRequest)" if queue_plan.all_or_nothing else "as pods fit"
    out = [f"Queues (Kueue, cohort {queue_plan.cohort}; jobs start {admission}):"]
    for queue in queue_plan.cluster_queues:
        quotas = []
        for quota in queue.quotas:
            borrow = ", no borrowing" if quota.borrowing_limit == 0 else ""
            quotas.append(f"{quota.group} {quota.accelerators} {groups[quota.group].accelerator_resource.split('/')[-1]}{borrow}")
        namespaces = sorted({q.namespace for q in queue_plan.local_queues if q.cluster_queue == queue.name})
        out.append(f"  {queue.name:<18} {'; '.join(quotas):<40} namespaces: {', '.join(namespaces) or '-'}")
    # A group's shared queue holds what no team does; when the teams hold it all, the namespaces
    # outside the teams only borrow, and Kueue takes borrowed quota back by preempting
    # (reclaimWithinCohort: Any in the cluster queues, kueue_queues.cluster_queue).
    for queue in queue_plan.cluster_queues:
        namespaces = sorted({q.namespace for q in queue_plan.local_queues if q.cluster_queue == queue.name})
        for quota in queue.quotas:
            if quota.accelerators == 0 and quota.group == queue.name and namespaces:
                out.append(
                    f"  {quota.group}: the teams hold all of its quota, so jobs from {', '.join(namespaces)} on it run only on "
                    "quota borrowed from the teams, and are preempted when a team takes it back"
                )
    out.append("")
    return out


def next_steps(plan: ClusterPlan, config_path: str | None, outdir: str = "cdktf.out") -> list[str]:
    config = f" CONFIG={shlex.quote(str(config_path))}" if config_path else ""
    out = ["Next:"]
    if isinstance(plan.backend, S3BackendPlan):
        # The s3 backend stores state in a bucket it assumes exists (Terraform docs, Backend block "s3":
        # "This assumes we have a bucket created"); terraform init does not make one.
        out.append(
            f"  # state: s3://{plan.backend.bucket}/{plan.backend.key_prefix}/; the bucket must already exist "
            f"in {plan.backend.region} (terraform init does not create it)"
        )
    out.append(f"  make plan{config}".ljust(46) + "  # what terraform would change, stack by stack")
    out.append(f"  make deploy{config}".ljust(46) + f"  # applies {', '.join(stack_names(plan))} in order")
    out.append(f"  aws eks update-kubeconfig --region {plan.region} --name {plan.name}")
    if not plan.control_plane.endpoint_public_access:
        out.append("  # private API endpoint: run kubectl, and deploy/destroy the platform stack, from inside the VPC")
    nvidia = [g for g in plan.gpu_groups if g.nvidia]
    trainer = plan.platform.settings.of(kubeflow_trainer.COMPONENT)
    if trainer.enabled and nvidia:
        for group in nvidia:
            for example, what in (("first-job", "a distributed PyTorch job"), ("nccl-tests", "all_reduce_perf across nodes")):
                command = f"kubectl apply -k {outdir}/examples/{group.name}/{example}"
                out.append(f"  {command:<60} # {group.name}: {what}")
        if any(g.efa for g in nvidia) and trainer.image_is_users:
            out.append("  # NCCL uses EFA only if your training_operator.image carries libfabric and aws-ofi-nccl (README)")
    for group in (g for g in plan.gpu_groups if not g.nvidia and trainer.enabled):
        out.append(
            f"  # {group.name}: TrainJobs name runtime {names.runtime_name(group.name)} (PyTorch on Neuron; bring a Neuron "
            "script)"
        )
    out.append(f"  make destroy{config}".ljust(46) + "  # when you are done (asks first; see README)")
    return out


def render(
    plan: ClusterPlan, stacks: dict[str, int], outdir: str, config_path: str | None = None, removed: Sequence[str] = ()
) -> str:
    """``stacks``: this synth's stacks and their resource counts, in deploy order."""
    out = [f"Synthesized {len(stacks)} stacks into {outdir}/stacks:"]
    out += [f"  {name:<28} {count:>4} resources" for name, count in stacks.items()]
    if removed:
        out.append(f"  (removed stack folders left by an earlier synth of another config: {', '.join(removed)})")
    out.append("")
    out += capacity_and_cost(plan)
    out.append("")
    out += next_steps(plan, config_path, outdir)
    return "\n".join(out)


def render_validation(plan: ClusterPlan, config_path: str) -> str:
    """`main.py --validate`: what a synth would say about capacity and cost, with nothing written."""
    out = [
        f"{config_path}: valid. Cluster {plan.name} in {plan.region}, Kubernetes {plan.kubernetes_version}, "
        f"state backend: {backend_type(plan)}.",
        "",
    ]
    out += capacity_and_cost(plan)
    out.append("")
    out += next_steps(plan, config_path)
    return "\n".join(out)


def deploy_order(manifest: dict) -> list[str]:
    """Stack names from cdktf's manifest.json, each after the stacks it depends on."""
    stacks = manifest["stacks"]
    order: list[str] = []

    def visit(name: str) -> None:
        for dep in stacks[name].get("dependencies", []):
            visit(dep)
        if name not in order:
            order.append(name)

    for name in sorted(stacks):
        visit(name)
    return order


def read_manifest(outdir: str) -> dict:
    with open(os.path.join(outdir, "manifest.json")) as handle:
        return json.load(handle)


def prune_stale_stacks(outdir: str, manifest: dict) -> list[str]:
    """Removes <outdir>/stacks/* folders this synth did not write (as `cdktf synth` does after the app exits)."""
    stacks_dir = os.path.join(outdir, "stacks")
    stale = sorted(
        d for d in os.listdir(stacks_dir) if d not in manifest["stacks"] and os.path.isdir(os.path.join(stacks_dir, d))
    )
    for name in stale:
        shutil.rmtree(os.path.join(stacks_dir, name))
    return stale


def emit(text: str, *, fallback=None) -> None:
    """Write to the user's terminal.

    The cdktf CLI swallows the app's stdout behind its spinner and prints the app's
    stderr prefixed with `[ERROR]`, so under the CLI (which sets CDKTF_OUTDIR) text
    goes straight to /dev/tty when there is one, else to stdout, never to stderr.
    Outside the CLI it goes to ``fallback`` (stdout unless told otherwise).
    """
    if os.environ.get("CDKTF_OUTDIR"):
        try:
            with open("/dev/tty", "w") as tty:
                tty.write("\n" + text)  # after the CLI's spinner line
            return
        except OSError:
            fallback = sys.stdout
    (fallback or sys.stdout).write(text)
    (fallback or sys.stdout).flush()


def warn(lines: list[str]) -> None:
    """Configuration warnings: stderr for `python main.py`, never stderr under the cdktf CLI."""
    if lines:
        emit("".join(f"warning: {line}\n" for line in lines), fallback=sys.stderr)


def publish(plan: ClusterPlan, outdir: str, config_path: str | None = None) -> None:
    """Print the summary of this synth and keep a copy in <outdir>/summary.txt."""
    manifest = read_manifest(outdir)
    removed = prune_stale_stacks(outdir, manifest)
    counts = {}
    for stack in deploy_order(manifest):
        with open(os.path.join(outdir, manifest["stacks"][stack]["synthesizedStackPath"])) as handle:
            resources = json.load(handle).get("resource", {})
        counts[stack] = sum(len(v) for v in resources.values())
    text = render(plan, counts, outdir, config_path, removed) + "\n"
    with open(os.path.join(outdir, "summary.txt"), "w") as handle:
        handle.write(text)
    emit(text)
