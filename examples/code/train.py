"""Smallest useful DistributedDataParallel job: proves a new cluster can train.

What it does
    Fits a small MLP to a synthetic regression problem with PyTorch DDP.  The
    data (inputs and a fixed random "teacher" network that produces the targets,
    plus noise) is generated from ``--seed``, so nothing is downloaded and every
    rank builds the identical dataset without shared storage.  A
    ``DistributedSampler`` hands each rank a different shard, and DDP averages
    the gradients, so the job exercises the same collective path (NCCL on GPU,
    gloo on CPU) as a real training run.

    Rank 0 prints ``step 10/200 loss 0.1234`` every ``--log-every`` steps and
    finishes with one JSON line that automation can check::

        {"event": "done", "first_loss": 1.02, "final_loss": 0.03,
         "world_size": 16, "backend": "nccl", "steps": 200, ...}

    Losses are averaged over all ranks with ``all_reduce`` so every rank holds
    the same numbers.  Any failure exits non-zero, which torchrun turns into a
    failed pod and therefore a failed TrainJob.

How the TrainJob runs it
    The Kubeflow Trainer ``TrainJob`` uses a torch runtime whose container
    command is ``torchrun train.py ...`` with no rendezvous flags.  Instead,
    Trainer injects ``PET_NNODES``, ``PET_NPROC_PER_NODE``, ``PET_NODE_RANK``,
    ``PET_MASTER_ADDR`` and ``PET_MASTER_PORT`` into every pod; torchrun reads
    any ``PET_<OPTION>`` variable as the default for ``--<option>``.  torchrun
    then starts one process per GPU and gives each the standard ``RANK``,
    ``LOCAL_RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``, which
    ``init_process_group`` (``env://``) consumes here.

Checkpoints and resuming
    With ``--checkpoint-dir`` (default: ``$CHECKPOINT_DIR``, which the runtimes set to
    ``/checkpoints/<trainjob>``) rank 0 saves model, optimizer, scheduler, step and
    RNG state every ``--checkpoint-every`` steps, and every rank resumes from the
    newest complete checkpoint when it starts; the final JSON line says
    ``"resumed_from_step": N`` (0 for a fresh start). The data order follows from
    the seed and the step, so a resumed run reproduces an uninterrupted one.

    The directory may be a Mountpoint for Amazon S3 mount, which writes files
    sequentially, makes a file visible only when it is closed, and cannot rename,
    overwrite or delete by default. So each checkpoint is a new file
    (``step-00000030-<random>.pt``) written in one go, and only after it is closed a separate
    marker (``step-00000030.done``, naming the file, with its size and SHA-256) says it is
    complete. A checkpoint without its marker (its writer died) is never loaded; a
    marked one that does not match its marker stops the job with an error. Old
    checkpoints are kept; the bucket's lifecycle rules, or you, prune them.
    The protocol's pure parts are in ``checkpoint_protocol.py``, which must sit beside
    this script (the training-code ConfigMap carries both).

Run locally on CPU (a few seconds)::

    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 train.py --steps 50
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import traceback

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

import checkpoint_protocol  # beside this script, in the same ConfigMap


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=200, help="optimizer steps (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=64, help="per-rank batch size (default: %(default)s)")
    p.add_argument("--lr", type=float, default=1e-2, help="AdamW learning rate (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed for data, teacher and model init (default: %(default)s)")
    p.add_argument("--log-every", type=int, default=10, help="rank 0 logs every N steps (default: %(default)s)")
    p.add_argument(
        "--backend",
        choices=["nccl", "gloo"],
        default=None,
        help="process-group backend (default: nccl if CUDA is available, else gloo)",
    )
    p.add_argument("--samples", type=int, default=8192, help="synthetic dataset size (default: %(default)s)")
    p.add_argument("--features", type=int, default=16, help="input dimension (default: %(default)s)")
    p.add_argument("--hidden", type=int, default=64, help="MLP hidden width (default: %(default)s)")
    p.add_argument("--noise", type=float, default=0.05, help="target noise std (default: %(default)s)")
    p.add_argument(
        "--checkpoint-dir",
        default=os.environ.get("CHECKPOINT_DIR") or None,
        help="save and resume checkpoints here (default: $CHECKPOINT_DIR; unset: no checkpoints)",
    )
    p.add_argument("--checkpoint-every", type=int, default=50, help="steps between checkpoints (default: %(default)s)")
    args = p.parse_args(argv)
    for name in ("steps", "batch_size", "log_every", "samples", "features", "hidden", "checkpoint_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def make_dataset(samples: int, features: int, noise: float, seed: int) -> TensorDataset:
    # A private generator keeps the data independent of the global RNG state,
    # so every rank (on any host) builds byte-identical data from the seed alone.
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, features, generator=g)
    w1 = torch.randn(features, 32, generator=g) / features**0.5
    w2 = torch.randn(32, 1, generator=g) / 32**0.5
    y = torch.tanh(x @ w1) @ w2 + 0.5 * (x[:, :1] * x[:, 1:2])
    # Unit-variance targets make the starting loss ~1 regardless of the seed,
    # so "final < half of first" is a meaningful check of learning.
    y = (y - y.mean()) / y.std()
    y = y + noise * torch.randn(samples, 1, generator=g)
    return TensorDataset(x, y)


def make_model(features: int, hidden: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(features, hidden),
        nn.GELU(),
        nn.Linear(hidden, hidden),
        nn.GELU(),
        nn.Linear(hidden, 1),
    )


def batches(loader: DataLoader, sampler: DistributedSampler, start_step: int = 0):
    """Endless batches from step ``start_step`` on. A new epoch reshuffles because the
    sampler's seed mixes in the epoch, so the order depends only on seed and step."""
    epoch, skip = checkpoint_protocol.data_position(start_step, len(loader))
    while True:
        sampler.set_epoch(epoch)
        for index, batch in enumerate(loader):
            if index >= skip:
                yield batch
        epoch, skip = epoch + 1, 0


def save_checkpoint(directory: str, step: int, state: dict) -> None:
    """Rank 0 only: the checkpoint file, then its completion marker (checkpoint_protocol.save)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    checkpoint_protocol.save(directory, step, buffer.getvalue())


def load_checkpoint(directory: str, step: int) -> dict:
    data = checkpoint_protocol.load(directory, step)
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=False)


def mean_across_ranks(value: torch.Tensor, world_size: int) -> float:
    # ReduceOp.AVG is NCCL-only; SUM then divide works on gloo as well.
    t = value.detach().clone().float().reshape(1)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.item() / world_size


def train(args: argparse.Namespace) -> dict:
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if backend == "nccl" and not torch.cuda.is_available():
        raise RuntimeError("--backend nccl needs CUDA, but torch.cuda.is_available() is False")

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        # Pin before init so NCCL builds its communicator on this process's own
        # GPU; otherwise every rank on a node would pile onto cuda:0.
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        dist.init_process_group(backend=backend, device_id=device)
    else:
        device = torch.device("cpu")
        dist.init_process_group(backend=backend)

    rank, world_size = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        print(
            f"world_size {world_size} backend {backend} device {device.type} "
            f"global_batch {args.batch_size * world_size} steps {args.steps}",
            flush=True,
        )

    dataset = make_dataset(args.samples, args.features, args.noise, args.seed)
    if len(dataset) < args.batch_size * world_size:
        raise ValueError(f"--samples {args.samples} is too small for {world_size} ranks x batch {args.batch_size}")
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, drop_last=True, pin_memory=device.type == "cuda")

    # DDP broadcasts rank 0's weights anyway; seeding just makes runs repeatable.
    torch.manual_seed(args.seed)
    model = make_model(args.features, args.hidden).to(device)
    model = DDP(model, device_ids=[local_rank] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    # Decay to 10% so the last steps settle instead of bouncing at full lr,
    # which keeps the single-batch final loss a stable signal.
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps, eta_min=args.lr * 0.1)
    loss_fn = nn.MSELoss()

    # Rank 0 picks the checkpoint and tells the others, so every rank resumes from the
    # same one even if a newer one appears while they look.
    choice = torch.tensor(
        [checkpoint_protocol.newest_checkpoint(args.checkpoint_dir) if rank == 0 else 0], dtype=torch.long, device=device
    )
    dist.broadcast(choice, src=0)
    resumed_from_step = int(choice.item())
    if resumed_from_step:
        state = load_checkpoint(args.checkpoint_dir, resumed_from_step)
        model.module.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        first_loss = state["first_loss"]
        torch.set_rng_state(state["rng"]["cpu"])
        if torch.cuda.is_available() and state["rng"].get("cuda") is not None:
            torch.cuda.set_rng_state(state["rng"]["cuda"])
        if rank == 0:
            print(f"resumed from step {resumed_from_step} ({args.checkpoint_dir})", flush=True)

    if not resumed_from_step:
        first_loss = float("nan")
    final_loss = float("nan")
    started = time.perf_counter()
    data = batches(loader, sampler, start_step=resumed_from_step)
    for step in checkpoint_protocol.steps_to_run(resumed_from_step, args.steps):
        x, y = next(data)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()

        # Every rank must take part in the same all_reduce calls, so the
        # decision to reduce depends only on the step number, never on rank.
        is_log_step = step == 1 or step == args.steps or step % args.log_every == 0
        if is_log_step:
            mean_loss = mean_across_ranks(loss, world_size)
            if not torch.isfinite(torch.tensor(mean_loss)):
                raise FloatingPointError(f"loss became {mean_loss} at step {step}")
            if step == 1:
                first_loss = mean_loss
            if step == args.steps:
                final_loss = mean_loss

        if args.checkpoint_dir and checkpoint_protocol.is_checkpoint_step(step, args.checkpoint_every, args.steps):
            if rank == 0:
                save_checkpoint(
                    args.checkpoint_dir,
                    step,
                    {
                        "step": step,
                        "first_loss": first_loss,
                        "model": model.module.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "rng": {
                            "cpu": torch.get_rng_state(),
                            "cuda": torch.cuda.get_rng_state() if torch.cuda.is_available() else None,
                        },
                    },
                )
            # Nobody runs ahead of a checkpoint that is not complete yet.
            dist.barrier()
        if is_log_step and rank == 0:
            print(f"step {step}/{args.steps} loss {mean_loss:.4f}", flush=True)

    return {
        "event": "done",
        "resumed_from_step": resumed_from_step,
        "first_loss": first_loss,
        "final_loss": final_loss,
        "world_size": world_size,
        "backend": backend,
        "steps": args.steps,
        "global_batch_size": args.batch_size * world_size,
        "device": device.type,
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = train(args)
        if dist.get_rank() == 0:
            print(json.dumps(summary), flush=True)
        return 0
    except Exception:
        rank = os.environ.get("RANK", "?")
        print(f"[rank {rank}] training failed:", file=sys.stderr, flush=True)
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
