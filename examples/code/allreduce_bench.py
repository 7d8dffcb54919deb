"""All-reduce bandwidth benchmark in the style of nccl-tests ``all_reduce_perf``.

Why this exists
    A cluster can pass every health check and still train slowly because the
    GPU interconnect (NVLink inside a node, EFA between nodes) is degraded or
    misconfigured.  All-reduce is what DDP/FSDP spend their communication time
    on, so its bus bandwidth is the single number that says whether the fabric
    is healthy.  This script measures it with ``torch.distributed`` only, so it
    runs from the same container image as training; there is no need to build
    nccl-tests or launch it with MPI.

What it measures
    For each message size from ``--min-bytes`` to ``--max-bytes`` (doubling),
    every rank all-reduces (SUM) a float32 buffer ``--warmup`` times untimed,
    then ``--iters`` times timed.  The time per iteration is taken as the
    maximum over ranks, since a collective is only as fast as its slowest
    participant.  Then, exactly as nccl-tests defines them::

        algbw = bytes / time
        busbw = algbw * 2 * (n - 1) / n          (n = world size)

    busbw corrects for the ring/tree algorithm moving each byte 2(n-1)/n times,
    so it is comparable with the link's hardware bandwidth whatever ``n`` is.
    Units are GB/s with 1 GB = 1e9 bytes, matching nccl-tests.

    Before timing each size the result is also checked: rank r fills its
    buffer with r + 1, so every element must come back as n(n + 1) / 2.

Output and exit codes (rank 0 prints)
    An nccl-tests-like table, then one JSON line for automation::

        {"event": "allreduce", "world_size": 16, "backend": "nccl",
         "max_busbw_GBps": 171.2, "results": [{"bytes": 1048576,
         "time_us": 51.3, "algbw_GBps": 20.4, "busbw_GBps": 38.3}, ...], ...}

    0  success
    1  unexpected error (bad arguments are argparse's usual 2)
    2  the all-reduce returned wrong values on some rank
    3  ``--expect-min-busbw`` was given and the best busbw fell short of it

    torchrun reports a worker's non-zero exit as its own failure, so the pod
    (and the smoke TrainJob) fails loudly on a degraded interconnect.

Launch it like training: under a Kubeflow Trainer TrainJob, torchrun takes
its topology from the injected PET_NNODES / PET_NPROC_PER_NODE /
PET_NODE_RANK / PET_MASTER_ADDR / PET_MASTER_PORT variables.  Locally on CPU::

    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 \\
        allreduce_bench.py --min-bytes 4K --max-bytes 1M
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import traceback

import torch
import torch.distributed as dist

EXIT_WRONG_RESULT = 2
EXIT_BELOW_THRESHOLD = 3

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_FLOAT32_BYTES = 4


def parse_size(text: str) -> int:
    """'1048576', '1M', '1MiB', '4k', '1G' -> bytes (binary units, as nccl-tests' -b/-e)."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (use e.g. 4096, 64K, 1M, 1G)")
    return int(m.group(1)) * _UNITS[m.group(2)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--min-bytes", type=parse_size, default=None, help="smallest message (default: 1M on GPU, 1K on CPU)")
    p.add_argument("--max-bytes", type=parse_size, default=None, help="largest message (default: 1G on GPU, 4M on CPU)")
    p.add_argument("--iters", type=int, default=20, help="timed iterations per size (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=5, help="untimed iterations per size (default: %(default)s)")
    p.add_argument(
        "--backend",
        choices=["nccl", "gloo"],
        default=None,
        help="process-group backend (default: nccl if CUDA is available, else gloo)",
    )
    p.add_argument(
        "--expect-min-busbw",
        type=float,
        default=None,
        metavar="GBPS",
        help="exit 3 if the best busbw (GB/s) is below this",
    )
    args = p.parse_args(argv)
    if args.iters < 1 or args.warmup < 0:
        p.error("--iters must be >= 1 and --warmup >= 0")
    return args


def message_sizes(min_bytes: int, max_bytes: int) -> list[int]:
    # Whole float32 elements only, so the reported bytes are what was really moved.
    size = max(_FLOAT32_BYTES, math.ceil(min_bytes / _FLOAT32_BYTES) * _FLOAT32_BYTES)
    if max_bytes < size:
        raise ValueError(f"--max-bytes {max_bytes} is smaller than --min-bytes {size}")
    sizes = []
    while size <= max_bytes:
        sizes.append(size)
        size *= 2
    return sizes


def bus_bandwidth(algbw: float, world_size: int) -> float:
    return algbw * 2 * (world_size - 1) / world_size


def synchronize(device: torch.device) -> None:
    # NCCL calls only enqueue work on a CUDA stream; without this the timer
    # would measure launch overhead, not the transfer.
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(size: int, rank: int, world_size: int, device: torch.device, warmup: int, iters: int) -> dict:
    count = size // _FLOAT32_BYTES
    buf = torch.full((count,), float(rank + 1), dtype=torch.float32, device=device)

    dist.all_reduce(buf, op=dist.ReduceOp.SUM)
    expected = world_size * (world_size + 1) / 2  # exact in float32 for any realistic n
    wrong = (buf != expected).sum().to(torch.int64).reshape(1)
    # Sum the error count over ranks so every rank reaches the same verdict
    # and they exit together instead of some hanging in the next collective.
    dist.all_reduce(wrong, op=dist.ReduceOp.SUM)

    # all_reduce is in place: repeated sums of non-zero data grow as n**k and
    # overflow on big clusters.  Zeros stay zero and cost the same to move.
    buf.zero_()
    for _ in range(warmup):
        dist.all_reduce(buf, op=dist.ReduceOp.SUM)
    synchronize(device)
    dist.barrier()

    start = time.perf_counter()
    for _ in range(iters):
        dist.all_reduce(buf, op=dist.ReduceOp.SUM)
    synchronize(device)
    per_iter = (time.perf_counter() - start) / iters

    slowest = torch.tensor([per_iter], dtype=torch.float64, device=device)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    seconds = slowest.item()
    del buf

    algbw = size / seconds / 1e9
    return {
        "bytes": size,
        "count": count,
        "time_us": seconds * 1e6,
        "algbw_GBps": algbw,
        "busbw_GBps": bus_bandwidth(algbw, world_size),
        "wrong": int(wrong.item()),
    }


def run(args: argparse.Namespace) -> tuple[dict, int]:
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if backend == "nccl" and not torch.cuda.is_available():
        raise RuntimeError("--backend nccl needs CUDA, but torch.cuda.is_available() is False")

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        # Each process must own its GPU, otherwise all ranks on a node would
        # share cuda:0 and the numbers would be meaningless.
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        dist.init_process_group(backend=backend, device_id=device)
        default_min, default_max = 1 << 20, 1 << 30
    else:
        device = torch.device("cpu")
        dist.init_process_group(backend=backend)
        default_min, default_max = 1 << 10, 4 << 20

    rank, world_size = dist.get_rank(), dist.get_world_size()
    sizes = message_sizes(
        args.min_bytes if args.min_bytes is not None else default_min,
        args.max_bytes if args.max_bytes is not None else default_max,
    )

    if rank == 0:
        print(
            f"# all_reduce_perf (torch.distributed) world_size {world_size} backend {backend} "
            f"device {device.type} warmup {args.warmup} iters {args.iters}",
            flush=True,
        )
        print(
            f"#{'size(B)':>12} {'count':>12} {'type':>7} {'redop':>5} "
            f"{'time(us)':>11} {'algbw(GB/s)':>12} {'busbw(GB/s)':>12} {'#wrong':>7}",
            flush=True,
        )

    results = []
    for size in sizes:
        r = measure(size, rank, world_size, device, args.warmup, args.iters)
        results.append(r)
        if rank == 0:
            print(
                f" {r['bytes']:>12} {r['count']:>12} {'float':>7} {'sum':>5} "
                f"{r['time_us']:>11.1f} {r['algbw_GBps']:>12.3f} {r['busbw_GBps']:>12.3f} {r['wrong']:>7}",
                flush=True,
            )

    wrong = sum(r["wrong"] for r in results)
    max_busbw = max(r["busbw_GBps"] for r in results)
    avg_busbw = sum(r["busbw_GBps"] for r in results) / len(results)
    below = args.expect_min_busbw is not None and max_busbw < args.expect_min_busbw
    summary = {
        "event": "allreduce",
        "world_size": world_size,
        "backend": backend,
        "device": device.type,
        "dtype": "float32",
        "op": "sum",
        "warmup": args.warmup,
        "iters": args.iters,
        "max_busbw_GBps": max_busbw,
        "avg_busbw_GBps": avg_busbw,
        "correct": wrong == 0,
        "wrong_elements": wrong,
        "expect_min_busbw_GBps": args.expect_min_busbw,
        "below_expected": below,
        "results": results,
    }

    if rank == 0:
        print(f"# Out of bounds values : {wrong} {'OK' if wrong == 0 else 'FAILED'}", flush=True)
        print(f"# Avg bus bandwidth    : {avg_busbw:.3f} GB/s", flush=True)
        print(f"# Max bus bandwidth    : {max_busbw:.3f} GB/s", flush=True)
        if below:
            print(
                f"# FAIL: max busbw {max_busbw:.3f} GB/s is below --expect-min-busbw {args.expect_min_busbw} GB/s",
                file=sys.stderr,
                flush=True,
            )

    if wrong:
        return summary, EXIT_WRONG_RESULT
    if below:
        return summary, EXIT_BELOW_THRESHOLD
    return summary, 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary, code = run(args)
        if dist.get_rank() == 0:
            print(json.dumps(summary), flush=True)
        return code
    except Exception:
        rank = os.environ.get("RANK", "?")
        print(f"[rank {rank}] all-reduce benchmark failed:", file=sys.stderr, flush=True)
        traceback.print_exc()
        return 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    status = main()
    # Leave without the interpreter's shutdown. Gloo finishes a collective on its own
    # worker thread, which afterwards drops the work object and with it the last C++
    # reference to the tensor Python passed in; freeing that tensor's Python object needs
    # the GIL. When the main thread is already in Py_FinalizeEx, a thread asking for the
    # GIL is ended with pthread_exit, whose unwinding hits the work's noexcept destructor:
    # std::terminate, "terminate called without an active exception", SIGABRT, about one
    # run in 30 here (core dump: ProcessGroupGloo::runLoop > ~AsyncAllreduceWork >
    # THPVariable_dealloc > take_gil > PyThread_exit_thread). destroy_process_group() only
    # drops Python's references (DDP still holds the group) and Gloo has no shutdown, so
    # no barrier or cleanup order closes the window (pytorch/pytorch#190489, #130345).
    # Everything this process writes is flushed and closed before this point.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
