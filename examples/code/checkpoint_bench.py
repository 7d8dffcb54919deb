"""DCP checkpoint throughput: save and load of a sharded model, to S3 and to a local directory.

What it measures
    Builds train_fsdp.py's decoder at the size the flags give (default about 270 million
    parameters: 1.1 GB of float32 weights and 2.1 GB of AdamW state), shards it with FSDP2
    over every rank, and then, for each target, ``--iters`` times:

    * save: ``torch.distributed.checkpoint.async_save`` of the model and optimizer shards, as
      train_fsdp.py checkpoints; ``blocking_s`` is how long training would pause (the copy to
      CPU memory), ``seconds`` the time until the checkpoint is complete;
    * load: ``torch.distributed.checkpoint.load`` of the same checkpoint back into the shards.

    Targets: ``--checkpoint-uri`` (``s3://bucket/prefix`` through s3torchconnector, or a
    directory) and ``--local-dir`` (default: a temporary directory, when every rank is on one
    node; a directory shared by all nodes otherwise, e.g. FSx for Lustre). Each run writes
    under ``<target>/checkpoint-bench-<id>/`` and deletes it at the end unless ``--keep``.

    Per target, operation and iteration it reports the slowest rank's seconds, the MB each
    rank wrote (its own ``.distcp`` file; 1 MB = 10^6 bytes), MB/s per rank (each rank's bytes
    over its own time, averaged over ranks) and MB/s in total (all ranks' bytes over the
    slowest rank's time). Rank 0 prints a table and one JSON line
    ``{"event": "checkpoint_bench", ...}``.

Flags and environment for S3 are train_fsdp.py's: ``--region`` ($AWS_REGION),
``--s3-endpoint`` ($AWS_ENDPOINT_URL_S3), ``--s3-force-path-style``, and the checkpoint
URI's defaults ($CHECKPOINT_URI, or $CHECKPOINT_BUCKET with $CHECKPOINT_PREFIX).

Here, against an emulator (tiny model)::

    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 checkpoint_bench.py --dim 64 --layers 2 \\
        --vocab 256 --checkpoint-uri s3://bucket/bench --s3-endpoint http://127.0.0.1:5000 --region us-east-1

On a cluster: the same command in a TrainJob, with the cluster's bucket and no endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import traceback
import uuid

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import get_state_dict
from torch.distributed.device_mesh import init_device_mesh

import train_fsdp  # beside this script, in the same ConfigMap

MB = 1e6


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dim", type=int, default=1024, help="model width (default: %(default)s)")
    p.add_argument("--layers", type=int, default=16, help="transformer blocks (default: %(default)s)")
    p.add_argument("--heads", type=int, default=16, help="attention heads; must divide --dim (default: %(default)s)")
    p.add_argument("--vocab", type=int, default=32000, help="vocabulary size (default: %(default)s)")
    p.add_argument("--seq-len", type=int, default=2048, help="positions in the embedding table (default: %(default)s)")
    p.add_argument("--iters", type=int, default=3, help="saves and loads per target (default: %(default)s)")
    p.add_argument(
        "--checkpoint-uri",
        default=train_fsdp.default_checkpoint_uri(),
        help="s3://bucket/prefix or a directory (default: as train_fsdp.py; unset: no S3 target)",
    )
    p.add_argument(
        "--local-dir",
        default=None,
        help="local target directory (default: a temporary one when all ranks share a node, else none)",
    )
    p.add_argument("--no-local", action="store_true", help="measure no local directory")
    p.add_argument("--keep", action="store_true", help="keep what the run wrote")
    p.add_argument(
        "--region",
        default=train_fsdp._env("AWS_REGION", "AWS_DEFAULT_REGION"),
        help="the bucket's AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)",
    )
    p.add_argument(
        "--s3-endpoint",
        default=train_fsdp._env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
        help="S3-compatible endpoint URL (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL)",
    )
    p.add_argument(
        "--s3-force-path-style",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="path-style S3 requests (default: on with --s3-endpoint)",
    )
    args = p.parse_args(argv)
    for name in ("dim", "layers", "heads", "vocab", "seq_len", "iters"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.dim % args.heads:
        p.error(f"--heads {args.heads} must divide --dim {args.dim}")
    if args.checkpoint_uri:
        problem = train_fsdp.checkpoint_uri_problem(args.checkpoint_uri, args.region)
        if problem:
            p.error(problem)
    if args.s3_force_path_style is None:
        args.s3_force_path_style = bool(args.s3_endpoint)
    return args


def bytes_per_rank(metadata, world_size: int) -> list[int]:
    """Bytes each rank wrote, from the checkpoint's own metadata (its ``__<rank>_*.distcp`` files)."""
    written = [0] * world_size
    for info in metadata.storage_data.values():
        rank = int(info.relative_path.split("_")[2]) if info.relative_path.startswith("__") else 0
        written[rank] += info.length
    return written


def remove(store: train_fsdp.CheckpointStore) -> None:
    if not store.on_s3:
        shutil.rmtree(store.uri, ignore_errors=True)
        return
    bucket, _, prefix = store.uri[len("s3://") :].partition("/")
    keys = [info.key for page in store.client.list_objects(bucket, f"{prefix}/") for info in page.object_info]
    for key in keys:
        store.client.delete_object(bucket, key)


def measure(store: train_fsdp.CheckpointStore, name: str, state: dict, args, group, world: int) -> list[dict]:
    results = []
    for iteration in range(1, args.iters + 1):
        dist.barrier(group=group)
        begin = time.perf_counter()
        future = dcp.async_save(state, storage_writer=store.writer(iteration), process_group=group)
        blocking = time.perf_counter() - begin
        metadata = future.result()
        save_s = time.perf_counter() - begin
        dist.barrier(group=group)
        begin = time.perf_counter()
        dcp.load(state, storage_reader=store.reader(iteration), process_group=group)
        load_s = time.perf_counter() - begin
        written = bytes_per_rank(metadata, world)
        timings: list = [None] * world
        dist.all_gather_object(timings, (save_s, load_s, blocking), group=group)
        for op, column in (("save", 0), ("load", 1)):
            seconds = [t[column] for t in timings]
            results.append(
                {
                    "target": name,
                    "uri": store.uri,
                    "op": op,
                    "iteration": iteration,
                    "seconds": round(max(seconds), 4),
                    "mb_per_rank": [round(b / MB, 6) for b in written],
                    "mb_per_s_per_rank": round(statistics.mean(b / MB / s for b, s in zip(written, seconds)), 2),
                    "mb_per_s_total": round(sum(written) / MB / max(seconds), 2),
                    **({"blocking_s": round(max(t[2] for t in timings), 4)} if op == "save" else {}),
                }
            )
    return results


def table(results: list[dict]) -> str:
    lines = [
        f"{'target':<8} {'op':<5} {'iter':>4} {'seconds':>9} {'MB/rank':>9} {'MB/s/rank':>10} {'MB/s total':>11} "
        f"{'blocking s':>11}"
    ]
    for r in results:
        blocking = f"{r['blocking_s']:>11.4f}" if "blocking_s" in r else f"{'':>11}"
        lines.append(
            f"{r['target']:<8} {r['op']:<5} {r['iteration']:>4} {r['seconds']:>9.3f} "
            f"{statistics.mean(r['mb_per_rank']):>9.2f} {r['mb_per_s_per_rank']:>10.1f} {r['mb_per_s_total']:>11.1f} {blocking}"
        )
    return "\n".join(lines)


def bench(args: argparse.Namespace) -> dict:
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        dist.init_process_group(backend="nccl", device_id=device)
    else:
        device = torch.device("cpu")
        dist.init_process_group(backend="gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    group = dist.new_group(backend="gloo")  # as in train_fsdp.py: DCP's collectives on their own group
    mesh = init_device_mesh(device.type, (world,))
    model_args = argparse.Namespace(
        seed=0, vocab=args.vocab, dim=args.dim, layers=args.layers, heads=args.heads, seq_len=args.seq_len, dropout=0.0
    )
    model = train_fsdp.build_model(model_args, device, mesh)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model_state, optim_state = get_state_dict(model, optimizer)  # creates AdamW's state, as after a first step
    state = {"model": model_state, "optim": optim_state}
    params = sum(p.numel() for p in model.parameters())

    run_id = [f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}" if rank == 0 else None]
    dist.broadcast_object_list(run_id, src=0, group=group)
    targets: list[tuple[str, train_fsdp.CheckpointStore]] = []
    if args.checkpoint_uri:
        targets.append(
            (
                "s3" if args.checkpoint_uri.startswith("s3://") else "dir",
                train_fsdp.CheckpointStore(
                    f"{args.checkpoint_uri.rstrip('/')}/checkpoint-bench-{run_id[0]}",
                    region=args.region,
                    endpoint=args.s3_endpoint,
                    force_path_style=args.s3_force_path_style,
                ),
            )
        )
    one_node = int(os.environ.get("LOCAL_WORLD_SIZE", world)) == world
    local_dir = args.local_dir or (tempfile.gettempdir() if one_node else None)
    if not args.no_local and local_dir:
        targets.append(("local", train_fsdp.CheckpointStore(os.path.join(local_dir, f"checkpoint-bench-{run_id[0]}"))))
    if not targets:
        raise SystemExit("nothing to measure: give --checkpoint-uri, or --local-dir (a directory every node shares)")
    if rank == 0:
        print(
            f"world_size {world} device {device.type} parameters {params} targets {', '.join(store.uri for _, store in targets)}",
            flush=True,
        )

    results = []
    for name, store in targets:
        results += measure(store, name, state, args, group, world)
    dist.barrier(group=group)
    if rank == 0 and not args.keep:  # a failed run leaves its files behind, for a look
        for _, store in targets:
            remove(store)
    summary = {
        name: {
            f"{op}_mb_per_s_total": statistics.median(
                r["mb_per_s_total"] for r in results if r["target"] == name and r["op"] == op
            )
            for op in ("save", "load")
        }
        for name, _ in targets
    }
    return {
        "event": "checkpoint_bench",
        "world_size": world,
        "device": device.type,
        "parameters": params,
        "iters": args.iters,
        "kept": args.keep,
        "results": results,
        "summary": summary,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        report = bench(args)
        if dist.get_rank() == 0:
            print(table(report["results"]), flush=True)
            print(json.dumps(report), flush=True)
        return 0
    except Exception:
        print(f"[rank {os.environ.get('RANK', '?')}] checkpoint bench failed:", file=sys.stderr, flush=True)
        traceback.print_exc()
        return 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    status = main()
    # As in train.py: leave without the interpreter's shutdown (pytorch/pytorch#190489).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
