"""The checkpoint protocol of the example training scripts, in plain Python (no torch).

Both ``train.py`` and ``train_fsdp.py`` import this module from their own directory (the
ConfigMap mounts it beside them), and the fast unit tests exercise it without PyTorch.

A checkpoint of step N holds the state *after* step N's optimizer update, so a run that
resumes from it starts with step N + 1 and with the data at position N.

``train.py`` (one file per checkpoint, for a Mountpoint for Amazon S3 mount)
    Mountpoint writes a file sequentially and makes it visible when it is closed; it cannot
    rename or overwrite by default. So a checkpoint is a new file ``step-00000030-<token>.pt``
    written in one go, and only after it is closed a marker ``step-00000030.done`` is written
    that names the file with its size and SHA-256. A checkpoint without its marker (its writer
    died) is never loaded; a marker whose file is missing or differs stops the job.

``train_fsdp.py`` (torch.distributed.checkpoint, straight to S3 or a directory)
    Each checkpoint is a folder ``step-00000030/``: every rank writes its shards, then the
    coordinator writes DCP's ``.metadata`` (as ``.metadata.tmp``, then a copy to ``.metadata``),
    only after every rank reported its shards written. So a folder counts as complete only
    when ``.metadata`` exists; a folder without it was killed mid-write and is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Callable, Iterable

# train.py: the completion marker of a step.
MARKER = re.compile(r"^step-(\d{8})\.done$")
# train_fsdp.py: a checkpoint folder, as a directory entry or an S3 common prefix ("step-00000030/").
DCP_FOLDER = re.compile(r"^step-(\d{8})/?$")
# The name DCP's FileSystemWriter gives the metadata it writes last (torch/distributed/checkpoint/
# filesystem.py: _metadata_fn = ".metadata"; finish() writes ".metadata.tmp", then renames it).
DCP_METADATA = ".metadata"


class CheckpointMismatch(RuntimeError):
    """A marked checkpoint whose file is missing or differs from what its marker recorded."""


def step_name(step: int) -> str:
    return f"step-{step:08d}"


def marker_name(step: int) -> str:
    return f"{step_name(step)}.done"


def payload_name(step: int, token: str) -> str:
    return f"{step_name(step)}-{token}.pt"


def dcp_metadata_key(step: int) -> str:
    """The object (or file) under the checkpoint root whose presence makes step ``step`` complete."""
    return f"{step_name(step)}/{DCP_METADATA}"


def steps_in(names: Iterable[str], pattern: re.Pattern) -> list[int]:
    """The steps named by ``names`` that match ``pattern``, newest first, each once."""
    return sorted({int(m.group(1)) for name in names if (m := pattern.match(name))}, reverse=True)


def newest_complete(names: Iterable[str], pattern: re.Pattern, is_complete: Callable[[int], bool] | None = None) -> int:
    """The newest step among ``names`` (matched by ``pattern``) that ``is_complete`` accepts; 0 when none.

    ``is_complete`` is asked newest first and only until one answers yes, so a caller that
    looks each step up in S3 pays one request per incomplete checkpoint, not one per checkpoint."""
    for step in steps_in(names, pattern):
        if is_complete is None or is_complete(step):
            return step
    return 0


def steps_to_run(resumed_from: int, total: int) -> range:
    """The steps a run still has to do after resuming from the checkpoint of step ``resumed_from``
    (0: a fresh start)."""
    return range(resumed_from + 1, total + 1)


def data_position(consumed: int, batches_per_epoch: int) -> tuple[int, int]:
    """(epoch, batch index within it) of the next batch after ``consumed`` batches."""
    return divmod(consumed, batches_per_epoch)


def is_checkpoint_step(step: int, every: int, total: int) -> bool:
    """train.py saves every ``every`` steps but not after the last one (that run is over)."""
    return step % every == 0 and step < total


def marker_record(step: int, file: str, data: bytes) -> bytes:
    return json.dumps({"step": step, "file": file, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}).encode()


def verify(record: dict, data: bytes, path: str, marker: str) -> None:
    """Raises CheckpointMismatch unless ``data`` has the size and SHA-256 its marker recorded."""
    if len(data) != record["bytes"] or hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise CheckpointMismatch(
            f"checkpoint {path} does not match its marker {marker} ({len(data)} bytes, expected {record['bytes']} "
            f"with SHA-256 {record['sha256']}); remove both to resume from an older one"
        )


def write_new(path: str, data: bytes) -> None:
    # "x": a new file, never an overwrite. fsync before close: on Mountpoint the object
    # is uploaded and made visible then, and an upload error surfaces here, not later.
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def save(
    directory: str, step: int, data: bytes, *, write: Callable[[str, bytes], None] = write_new, token: str | None = None
) -> str:
    """Writes the checkpoint file, then its marker; returns the file's name.

    The file's name is new every time (a random token), because an attempt that died
    mid-write may have left a file of that step behind, which must not be overwritten."""
    os.makedirs(directory, exist_ok=True)
    name = payload_name(step, token or os.urandom(4).hex())
    write(os.path.join(directory, name), data)
    write(os.path.join(directory, marker_name(step)), marker_record(step, name, data))
    return name


def newest_checkpoint(directory: str | None) -> int:
    """The step of the newest checkpoint in ``directory`` that has its marker; 0 when there is none."""
    if not directory or not os.path.isdir(directory):
        return 0
    return newest_complete(os.listdir(directory), MARKER)


def load(directory: str, step: int) -> bytes:
    """The bytes of step ``step``'s checkpoint, checked against its marker."""
    marker = os.path.join(directory, marker_name(step))
    with open(marker) as handle:
        record = json.load(handle)
    path = os.path.join(directory, record["file"])
    if not os.path.isfile(path):
        raise CheckpointMismatch(
            f"marker {marker} names {path}, which does not exist; remove the marker to resume from an older checkpoint"
        )
    with open(path, "rb") as handle:
        data = handle.read()
    verify(record, data, path, marker)
    return data
