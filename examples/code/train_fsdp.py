"""FSDP2 training with sharded, asynchronous checkpoints straight to Amazon S3, resumed after a kill.

What it does
    Trains a small decoder-only transformer (sized by ``--dim``, ``--layers``, ``--heads``,
    ``--vocab``, ``--seq-len``) on synthetic tokens, sharded across every rank with FSDP2
    (``torch.distributed.fsdp.fully_shard``, one unit per block and one for the rest). On GPU
    it computes in bfloat16 and reduces gradients in float32 (``MixedPrecisionPolicy``) over
    NCCL; on CPU it runs in float32 over gloo. The tokens follow a fixed random successor
    table (90% of the time the next token is the table's successor, else uniform noise),
    drawn from ``--seed``, the batch's position in the stream and the rank, so every rank
    makes its own batches without storage and any position can be regenerated exactly.

Checkpoints
    Every ``--checkpoint-every`` steps, and after the last step, every rank hands its shards
    of the model and the AdamW state, plus the step, the data position and its RNG state, to
    ``torch.distributed.checkpoint.async_save``: the call copies the shards to CPU memory and
    returns, and a background thread writes them while training goes on. Before the next
    checkpoint starts, the previous one must have finished. Each checkpoint is a folder
    ``<uri>/step-00000030/`` with one ``.distcp`` file per rank and DCP's ``.metadata``, which
    the coordinator writes only after every rank's shards are written.

    To S3 the writes go through the Amazon S3 Connector for PyTorch (``s3torchconnector``,
    ``S3StorageWriter`` and ``S3StorageReader``): each rank uploads its own shard, in parts,
    in parallel with the others, with no file system in between. DCP's file-system writer
    renames its metadata at the end, which a Mountpoint for Amazon S3 mount refuses
    (awslabs/mountpoint-s3 doc/SEMANTICS.md: "Renaming files and directories ... is not
    currently supported"); the connector does it as a server-side copy and a delete.

Resuming
    On start rank 0 lists the checkpoint folders and picks the newest whose ``.metadata``
    exists (``checkpoint_protocol.newest_complete``); a folder without it was killed mid-write
    and is never loaded. Every rank then loads its shards (DCP reshards when the world size
    changed), the step, the data position and its RNG state, and continues with the next
    step, so a resumed run reproduces an uninterrupted one loss for loss. With another world
    size the per-rank RNG states cannot carry over; each rank then reseeds from the seed,
    its rank and the step, and says so.

Where checkpoints go: flags, and the environment a training runtime sets
    ``--checkpoint-uri``   ``s3://bucket/prefix`` or a local directory (a shared file system
                           when the job spans nodes). Default: ``$CHECKPOINT_URI``; else
                           ``s3://$CHECKPOINT_BUCKET/$CHECKPOINT_PREFIX`` when ``CHECKPOINT_BUCKET``
                           is set (a runtime sets the bucket, and the prefix from the namespace and
                           the TrainJob's name); neither: no checkpoints.
    ``--region``           the bucket's region, for S3. Default: ``$AWS_REGION``, then
                           ``$AWS_DEFAULT_REGION``.
    ``--s3-endpoint``      an S3-compatible endpoint instead of the region's. Default:
                           ``$AWS_ENDPOINT_URL_S3``, then ``$AWS_ENDPOINT_URL`` (the AWS SDKs'
                           endpoint variables, "Service-specific endpoints" in the AWS SDKs and
                           Tools Reference Guide).
    ``--s3-force-path-style``  path-style requests (``http://host/bucket/key``); on by default
                           with an endpoint, which emulators and most S3-compatible servers need.
    Credentials come from the usual chain of the AWS Common Runtime (environment, profile,
    container credentials, instance profile).

Output
    Rank 0 prints one JSON line per log step and one per finished checkpoint::

        {"event": "step", "step": 10, "loss": 4.1, "tokens_per_s": 5200.0, "step_time_s": 0.012,
         "checkpoint_blocking_s": 0.0}
        {"event": "checkpoint", "step": 10, "seconds": 0.21, "blocking_s": 0.004, "uri": "s3://..."}

    and ends with ``{"event": "done", "resumed_from_step": N, "final_loss": L, ...}``.
    Any failure, a failed checkpoint upload included, exits non-zero.

Run locally on CPU (a few seconds)::

    OMP_NUM_THREADS=1 torchrun --standalone --nproc-per-node 2 train_fsdp.py --steps 50 \\
        --checkpoint-uri /tmp/fsdp-checkpoints

A model that needs sharding, on GPUs (about 1.3 billion parameters)::

    torchrun ... train_fsdp.py --dim 2048 --layers 24 --heads 16 --vocab 32000 --seq-len 2048 \\
        --batch-size 4 --checkpoint-uri s3://my-bucket/team-a/my-job
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
import traceback
from concurrent.futures import Future

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.nn.functional as F
from torch import nn
from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict
from torch.distributed.device_mesh import init_device_mesh
from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

import checkpoint_protocol  # beside this script, in the same ConfigMap

FOLLOW = 0.9  # how often a token is followed by its successor in the table


def _env(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def default_checkpoint_uri() -> str | None:
    if _env("CHECKPOINT_URI"):
        return _env("CHECKPOINT_URI")
    bucket = _env("CHECKPOINT_BUCKET")
    return f"s3://{bucket}/{(os.environ.get('CHECKPOINT_PREFIX') or '').strip('/')}".rstrip("/") if bucket else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=200, help="optimizer steps (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=8, help="sequences per rank and step (default: %(default)s)")
    p.add_argument("--seq-len", type=int, default=64, help="tokens per sequence (default: %(default)s)")
    p.add_argument("--vocab", type=int, default=256, help="vocabulary size (default: %(default)s)")
    p.add_argument("--dim", type=int, default=128, help="model width (default: %(default)s)")
    p.add_argument("--layers", type=int, default=4, help="transformer blocks (default: %(default)s)")
    p.add_argument("--heads", type=int, default=4, help="attention heads; must divide --dim (default: %(default)s)")
    p.add_argument("--dropout", type=float, default=0.1, help="dropout probability (default: %(default)s)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak AdamW learning rate (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed for the data, the model's init and dropout (default: %(default)s)")
    p.add_argument("--log-every", type=int, default=10, help="rank 0 logs every N steps (default: %(default)s)")
    p.add_argument(
        "--backend",
        choices=["nccl", "gloo"],
        default=None,
        help="process-group backend (default: nccl if CUDA is available, else gloo)",
    )
    p.add_argument(
        "--checkpoint-uri",
        default=default_checkpoint_uri(),
        help="s3://bucket/prefix or a directory (default: $CHECKPOINT_URI, else "
        "s3://$CHECKPOINT_BUCKET/$CHECKPOINT_PREFIX; unset: no checkpoints)",
    )
    p.add_argument("--checkpoint-every", type=int, default=50, help="steps between checkpoints (default: %(default)s)")
    p.add_argument(
        "--region",
        default=_env("AWS_REGION", "AWS_DEFAULT_REGION"),
        help="the bucket's AWS region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)",
    )
    p.add_argument(
        "--s3-endpoint",
        default=_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
        help="S3-compatible endpoint URL (default: $AWS_ENDPOINT_URL_S3, then $AWS_ENDPOINT_URL; unset: AWS)",
    )
    p.add_argument(
        "--s3-force-path-style",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="path-style S3 requests (default: on with --s3-endpoint, off without)",
    )
    args = p.parse_args(argv)
    for name in ("steps", "batch_size", "seq_len", "vocab", "dim", "layers", "heads", "log_every", "checkpoint_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.dim % args.heads:
        p.error(f"--heads {args.heads} must divide --dim {args.dim}")
    if not 0 <= args.dropout < 1:
        p.error(f"--dropout must be in [0, 1), got {args.dropout}")
    if args.checkpoint_uri:
        problem = checkpoint_uri_problem(args.checkpoint_uri, args.region)
        if problem:
            p.error(problem)
    if args.s3_force_path_style is None:
        args.s3_force_path_style = bool(args.s3_endpoint)
    return args


def checkpoint_uri_problem(uri: str, region: str | None) -> str | None:
    """Why ``uri`` cannot hold checkpoints, or None."""
    if uri.startswith("s3://"):
        bucket = uri[len("s3://") :].split("/", 1)[0]
        if not bucket:
            return f"--checkpoint-uri {uri!r} names no bucket: use s3://bucket/prefix"
        if not region:
            return "--checkpoint-uri is on S3 but no region is set: pass --region or set AWS_REGION"
        return None
    if "://" in uri:
        return f"--checkpoint-uri {uri!r}: only s3://bucket/prefix or a local directory are supported"
    return None


# ---- model and data -------------------------------------------------------------------


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention, then a 4x GELU MLP."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.attn_norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.attn_norm(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
        x = x + self.dropout(self.proj(attended))
        return x + self.dropout(self.mlp(self.mlp_norm(x)))


class Decoder(nn.Module):
    def __init__(self, *, vocab: int, dim: int, layers: int, heads: int, seq_len: int, dropout: float):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Embedding(seq_len, dim)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.dropout(self.embed(tokens) + self.position(positions))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def build_model(args: argparse.Namespace, device: torch.device, mesh) -> nn.Module:
    """The decoder, initialised identically on every rank from the seed, then sharded."""
    torch.manual_seed(args.seed)
    model = Decoder(
        vocab=args.vocab, dim=args.dim, layers=args.layers, heads=args.heads, seq_len=args.seq_len, dropout=args.dropout
    ).to(device)
    # bf16 compute with fp32 gradient reduction is the usual FSDP2 recipe on GPUs; CPUs stay fp32.
    policy = (
        MixedPrecisionPolicy(param_dtype=torch.bfloat16, reduce_dtype=torch.float32)
        if device.type == "cuda"
        else MixedPrecisionPolicy()
    )
    for block in model.blocks:
        fully_shard(block, mesh=mesh, mp_policy=policy)
    fully_shard(model, mesh=mesh, mp_policy=policy)
    return model


def _mix(*values: int) -> int:
    """A 63-bit seed from several integers (splitmix64's constant), the same on every host."""
    seed = 0
    for value in values:
        seed = (seed * 0x9E3779B97F4A7C15 + value + 1) % (1 << 63)
    return seed


def successor_table(seed: int, vocab: int) -> torch.Tensor:
    return torch.randperm(vocab, generator=torch.Generator().manual_seed(_mix(seed, 0)))


def synthetic_batch(table: torch.Tensor, *, seed: int, position: int, rank: int, batch: int, seq_len: int) -> torch.Tensor:
    """Rank ``rank``'s sequences (seq_len + 1 tokens each) at data position ``position``."""
    g = torch.Generator().manual_seed(_mix(seed, position, rank, 1))
    vocab = table.numel()
    tokens = torch.empty(batch, seq_len + 1, dtype=torch.long)
    tokens[:, 0] = torch.randint(vocab, (batch,), generator=g)
    follow = torch.rand(batch, seq_len, generator=g) < FOLLOW
    noise = torch.randint(vocab, (batch, seq_len), generator=g)
    for t in range(seq_len):
        tokens[:, t + 1] = torch.where(follow[:, t], table[tokens[:, t]], noise[:, t])
    return tokens


def learning_rate(step: int, total: int, peak: float) -> float:
    """Linear warm-up over the first 10% of the steps, then cosine decay to 10% of the peak;
    a function of the step alone, so a resumed run needs no scheduler state."""
    warmup = max(1, total // 10)
    if step <= warmup:
        return peak * step / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


# ---- checkpoint storage ---------------------------------------------------------------


class CheckpointStore:
    """Where the checkpoint folders live: an S3 prefix (through s3torchconnector) or a directory."""

    def __init__(self, uri: str, *, region: str | None = None, endpoint: str | None = None, force_path_style: bool = False):
        self.uri = uri.rstrip("/")
        self.region = region
        self.on_s3 = uri.startswith("s3://")
        self.client = None
        if self.on_s3:
            # S3StorageWriter and S3StorageReader take no endpoint (s3torchconnector 1.5.0), so their
            # file system is replaced by one on this client, which S3FileSystem's s3_client parameter
            # accepts; S3Client is importable only from s3torchconnector._s3client. One client per
            # store: it builds its CRT client once per process, not once per checkpoint.
            from s3torchconnector import S3ClientConfig
            from s3torchconnector._s3client import S3Client

            self.client = S3Client(region, endpoint=endpoint, s3client_config=S3ClientConfig(force_path_style=force_path_style))

    def folder(self, step: int) -> str:
        return f"{self.uri}/{checkpoint_protocol.step_name(step)}"

    def writer(self, step: int):
        if not self.on_s3:
            return dcp.FileSystemWriter(self.folder(step))
        from s3torchconnector.dcp import S3FileSystem, S3StorageWriter

        writer = S3StorageWriter(self.region, self.folder(step))
        writer.fs = S3FileSystem(self.region, s3_client=self.client)
        writer.path = writer.fs.init_path(self.folder(step))
        return writer

    def reader(self, step: int):
        if not self.on_s3:
            return dcp.FileSystemReader(self.folder(step))
        from s3torchconnector import S3ReaderConstructor
        from s3torchconnector.dcp import S3FileSystem, S3StorageReader

        constructor = S3ReaderConstructor.dcp_optimized()
        reader = S3StorageReader(self.region, self.folder(step), reader_constructor=constructor)
        reader.fs = S3FileSystem(self.region, s3_client=self.client, reader_constructor=constructor)
        reader.path = reader.fs.init_path(self.folder(step))
        return reader

    def newest_complete_step(self) -> int:
        """The newest checkpoint whose DCP metadata exists (0: none): one listing of the
        folders, then one lookup per folder, newest first, until a complete one."""
        if not self.on_s3:
            if not os.path.isdir(self.uri):
                return 0
            return checkpoint_protocol.newest_complete(
                os.listdir(self.uri),
                checkpoint_protocol.DCP_FOLDER,
                lambda step: os.path.isfile(os.path.join(self.uri, checkpoint_protocol.dcp_metadata_key(step))),
            )
        bucket, _, key = self.uri[len("s3://") :].partition("/")
        prefix = f"{key}/" if key else ""
        folders = [
            common[len(prefix) :]
            for page in self.client.list_objects(bucket, prefix, delimiter="/")
            for common in page.common_prefixes
        ]

        def has_metadata(step: int) -> bool:
            # A listing, not a HEAD: S3 answers HEAD of a missing key with 404 only to a caller
            # with s3:ListBucket, else 403 (Amazon S3 API Reference, HeadObject); a listing of the
            # key's prefix is a plain yes or no under a prefix-scoped s3:ListBucket grant.
            wanted = prefix + checkpoint_protocol.dcp_metadata_key(step)
            return any(info.key == wanted for page in self.client.list_objects(bucket, wanted) for info in page.object_info)

        return checkpoint_protocol.newest_complete(folders, checkpoint_protocol.DCP_FOLDER, has_metadata)

    def saved_keys(self, step: int) -> set[str]:
        """The state-dict keys the checkpoint of ``step`` holds (from its metadata)."""
        return set(self.reader(step).read_metadata().state_dict_metadata)


# ---- training -------------------------------------------------------------------------


def rng_keys(rank: int) -> tuple[str, str]:
    return f"rng_cpu_rank{rank}", f"rng_cuda_rank{rank}"


def trainer_state(step: int, data_position: int, rank: int) -> dict:
    """What besides model and optimizer a resumed run needs: tensors, so DCP loads them in place.
    The RNG state differs per rank (dropout), so each rank saves its own under its own key."""
    cpu_key, cuda_key = rng_keys(rank)
    state = {"step": torch.tensor(step), "data_position": torch.tensor(data_position), cpu_key: torch.get_rng_state()}
    if torch.cuda.is_available():
        state[cuda_key] = torch.cuda.get_rng_state()
    return state


def mean_across_ranks(value: torch.Tensor, world_size: int) -> float:
    # ReduceOp.AVG is NCCL-only; SUM then divide works on gloo as well.
    t = value.detach().clone().float().reshape(1)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.item() / world_size


class PendingCheckpoint:
    """An async_save under way: when it finished (set by its own thread) and what it cost."""

    def __init__(self, step: int, future: Future, blocking_s: float, started: float):
        self.step, self.future, self.blocking_s, self.started = step, future, blocking_s, started
        self.finished: float | None = None
        self._lock = threading.Lock()
        future.add_done_callback(self._on_done)

    def _on_done(self, _future: Future) -> None:
        with self._lock:
            self.finished = time.perf_counter()

    def wait(self) -> float:
        """Waits for the save (raising its error) and returns its duration in seconds."""
        self.future.result()
        with self._lock:
            finished = self.finished or time.perf_counter()
        return finished - self.started


def train(args: argparse.Namespace) -> dict:
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if backend == "nccl" and not torch.cuda.is_available():
        raise RuntimeError("--backend nccl needs CUDA, but torch.cuda.is_available() is False")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
        dist.init_process_group(backend=backend, device_id=device)
    else:
        device = torch.device("cpu")
        dist.init_process_group(backend=backend)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    # async_save runs DCP's collectives on a background thread; on their own gloo group they
    # can never interleave with the training thread's (torch requires a CPU backend for it).
    checkpoint_group = dist.new_group(backend="gloo")
    mesh = init_device_mesh(device.type, (world_size,))

    model = build_model(args, device, mesh)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
    table = successor_table(args.seed, args.vocab)
    params = sum(p.numel() for p in model.parameters())  # DTensor.numel() is the global size
    store = (
        CheckpointStore(
            args.checkpoint_uri, region=args.region, endpoint=args.s3_endpoint, force_path_style=args.s3_force_path_style
        )
        if args.checkpoint_uri
        else None
    )
    if rank == 0:
        print(
            f"world_size {world_size} backend {backend} device {device.type} parameters {params} "
            f"global_batch {args.batch_size * world_size}x{args.seq_len} steps {args.steps} "
            f"checkpoints {args.checkpoint_uri or 'off'}",
            flush=True,
        )

    # Dropout differs per rank; the stream starts from the seed and the rank.
    torch.manual_seed(_mix(args.seed, rank, 2))
    choice = torch.tensor([store.newest_complete_step() if store and rank == 0 else 0], dtype=torch.long, device=device)
    dist.broadcast(choice, src=0)
    resumed_from_step, data_position, rng_restored = int(choice.item()), 0, None
    if resumed_from_step:
        model_state, optim_state = get_state_dict(model, optimizer)
        trainer = trainer_state(0, 0, rank)
        saved = store.saved_keys(resumed_from_step)
        rng_restored = all(f"trainer.{key}" in saved for key in trainer if key.startswith("rng_"))
        if not rng_restored:  # another world size: this rank's stream was never saved
            trainer = {key: value for key, value in trainer.items() if not key.startswith("rng_")}
        state = {"model": model_state, "optim": optim_state, "trainer": trainer}
        dcp.load(state, storage_reader=store.reader(resumed_from_step), process_group=checkpoint_group)
        set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"])
        if int(trainer["step"]) != resumed_from_step:
            raise RuntimeError(f"{store.folder(resumed_from_step)} holds step {int(trainer['step'])}, not {resumed_from_step}")
        data_position = int(trainer["data_position"])
        cpu_key, cuda_key = rng_keys(rank)
        if rng_restored:
            torch.set_rng_state(trainer[cpu_key])
            if torch.cuda.is_available() and cuda_key in trainer:
                torch.cuda.set_rng_state(trainer[cuda_key])
        else:
            torch.manual_seed(_mix(args.seed, rank, 2, resumed_from_step))
            print(f"[rank {rank}] the checkpoint has no RNG state for this rank (another world size): reseeded", flush=True)
        if rank == 0:
            print(f"resumed from step {resumed_from_step} ({store.folder(resumed_from_step)})", flush=True)

    pending: PendingCheckpoint | None = None
    saved_steps: list[int] = []

    def finish(checkpoint: PendingCheckpoint) -> None:
        seconds = checkpoint.wait()
        saved_steps.append(checkpoint.step)
        if rank == 0:
            print(
                json.dumps(
                    {
                        "event": "checkpoint",
                        "step": checkpoint.step,
                        "seconds": round(seconds, 4),
                        "blocking_s": round(checkpoint.blocking_s, 4),
                        "uri": store.folder(checkpoint.step),
                    }
                ),
                flush=True,
            )

    first_loss = final_loss = float("nan")
    tokens_per_step = args.batch_size * args.seq_len * world_size
    started = interval_start = time.perf_counter()
    interval_steps = 0
    model.train()
    for step in checkpoint_protocol.steps_to_run(resumed_from_step, args.steps):
        step_start = time.perf_counter()
        tokens = synthetic_batch(
            table, seed=args.seed, position=data_position, rank=rank, batch=args.batch_size, seq_len=args.seq_len
        ).to(device, non_blocking=True)
        data_position += 1
        logits = model(tokens[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, args.vocab).float(), tokens[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr)
        optimizer.step()
        step_time = time.perf_counter() - step_start
        interval_steps += 1

        # A finished save is reported at once; its errors stop the job here, not at the end.
        if pending is not None and pending.future.done():
            finish(pending)
            pending = None
        blocking = 0.0
        if store and (step % args.checkpoint_every == 0 or step == args.steps):
            begin = time.perf_counter()
            if pending is not None:  # the previous checkpoint must be complete before the next starts
                finish(pending)
            model_state, optim_state = get_state_dict(model, optimizer)
            future = dcp.async_save(
                {"model": model_state, "optim": optim_state, "trainer": trainer_state(step, data_position, rank)},
                storage_writer=store.writer(step),
                process_group=checkpoint_group,
            )
            blocking = time.perf_counter() - begin
            pending = PendingCheckpoint(step, future, blocking, begin)

        # Every rank must take part in the same all_reduce calls, so the decision depends only on the step.
        if step == resumed_from_step + 1 or step == args.steps or step % args.log_every == 0:
            mean_loss = mean_across_ranks(loss, world_size)
            if not math.isfinite(mean_loss):
                raise FloatingPointError(f"loss became {mean_loss} at step {step}")
            first_loss = mean_loss if step == 1 else first_loss
            final_loss = mean_loss if step == args.steps else final_loss
            now = time.perf_counter()
            if rank == 0:
                print(
                    json.dumps(
                        {
                            "event": "step",
                            "step": step,
                            "loss": round(mean_loss, 6),
                            "tokens_per_s": round(tokens_per_step * interval_steps / (now - interval_start), 1),
                            "step_time_s": round(step_time, 5),
                            "checkpoint_blocking_s": round(blocking, 5),
                        }
                    ),
                    flush=True,
                )
            interval_start, interval_steps = now, 0

    if pending is not None:
        finish(pending)
    elapsed = time.perf_counter() - started
    steps_run = len(checkpoint_protocol.steps_to_run(resumed_from_step, args.steps))
    return {
        "event": "done",
        "resumed_from_step": resumed_from_step,
        "first_loss": first_loss,
        "final_loss": final_loss,
        "steps": args.steps,
        "steps_run": steps_run,
        "world_size": world_size,
        "backend": backend,
        "device": device.type,
        "parameters": params,
        "global_batch_tokens": tokens_per_step,
        "rng_restored": rng_restored,
        "checkpoint_uri": args.checkpoint_uri,
        "checkpoints_saved": saved_steps,
        "seconds": round(elapsed, 3),
        "tokens_per_s": round(tokens_per_step * steps_run / elapsed, 1) if steps_run else None,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = train(args)
        if dist.get_rank() == 0:
            print(
                json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}), flush=True
            )
        return 0
    except Exception:
        print(f"[rank {os.environ.get('RANK', '?')}] training failed:", file=sys.stderr, flush=True)
        traceback.print_exc()
        return 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    status = main()
    # As in train.py: leave without the interpreter's shutdown, which can abort while gloo's
    # worker threads drop their last tensors (pytorch/pytorch#190489, #130345). Every save has
    # been waited for and all output is flushed before this point.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
