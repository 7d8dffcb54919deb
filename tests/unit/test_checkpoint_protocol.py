"""The checkpoint protocol of the example training scripts, without PyTorch.

``examples/code/checkpoint_protocol.py`` holds the parts of train.py's and train_fsdp.py's
checkpointing that decide what a restart loads and where it continues: the order of file
and marker, the size and SHA-256 check, the newest complete checkpoint, the resume step and
the data position. The slow end-to-end kill-and-resume runs are in tests/examples/.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os

import pytest

from tests.conftest import ROOT

CODE = ROOT / "examples" / "code"
_spec = importlib.util.spec_from_file_location("checkpoint_protocol", CODE / "checkpoint_protocol.py")
protocol = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(protocol)

PAYLOAD = b"model and optimizer state of step 20, as torch.save wrote it"


class Killed(Exception):
    """What the process dying between two writes looks like to the caller."""


def killed_after(writes: int):
    """A writer that completes ``writes`` writes and then dies, as SIGKILL would."""
    done = []

    def write(path: str, data: bytes) -> None:
        if len(done) == writes:
            raise Killed(path)
        protocol.write_new(path, data)
        done.append(path)

    return write


# ---- order: the file first, its marker after it --------------------------------------


def test_a_checkpoint_is_written_as_its_file_and_then_its_marker(tmp_path):
    order = []

    def write(path: str, data: bytes) -> None:
        order.append(os.path.basename(path))
        protocol.write_new(path, data)

    name = protocol.save(str(tmp_path), 20, PAYLOAD, write=write, token="0badf00d")
    assert name == "step-00000020-0badf00d.pt"
    assert order == ["step-00000020-0badf00d.pt", "step-00000020.done"]
    assert json.loads((tmp_path / "step-00000020.done").read_text()) == {
        "step": 20,
        "file": "step-00000020-0badf00d.pt",
        "bytes": len(PAYLOAD),
        "sha256": hashlib.sha256(PAYLOAD).hexdigest(),
    }


def test_a_writer_killed_after_the_file_leaves_no_marker_and_the_older_checkpoint_is_loaded(tmp_path):
    protocol.save(str(tmp_path), 10, b"state of step 10")
    with pytest.raises(Killed):
        protocol.save(str(tmp_path), 20, PAYLOAD, write=killed_after(1))
    (left,) = tmp_path.glob("step-00000020*")
    assert left.suffix == ".pt" and left.read_bytes() == PAYLOAD, "the file, complete, and no marker for it"
    assert protocol.newest_checkpoint(str(tmp_path)) == 10
    assert protocol.load(str(tmp_path), 10) == b"state of step 10"


def test_a_checkpoint_file_is_never_overwritten(tmp_path):
    path = tmp_path / "step-00000010-0badf00d.pt"
    protocol.write_new(str(path), b"first attempt")
    with pytest.raises(FileExistsError):
        protocol.write_new(str(path), b"second attempt")
    assert path.read_bytes() == b"first attempt"


# ---- the size and SHA-256 check -------------------------------------------------------


def test_a_marked_checkpoint_loads_as_written(tmp_path):
    protocol.save(str(tmp_path), 20, PAYLOAD)
    assert protocol.load(str(tmp_path), 20) == PAYLOAD


def test_a_corrupted_file_of_the_same_length_stops_the_job(tmp_path):
    name = protocol.save(str(tmp_path), 20, PAYLOAD)
    corrupted = bytearray(PAYLOAD)
    corrupted[7] ^= 0x01  # one bit: the size still matches, only the SHA-256 can tell
    (tmp_path / name).write_bytes(bytes(corrupted))
    with pytest.raises(protocol.CheckpointMismatch, match="does not match its marker"):
        protocol.load(str(tmp_path), 20)


def test_a_truncated_file_stops_the_job(tmp_path):
    name = protocol.save(str(tmp_path), 20, PAYLOAD)
    (tmp_path / name).write_bytes(PAYLOAD[:-1])
    with pytest.raises(protocol.CheckpointMismatch, match=rf"{len(PAYLOAD) - 1} bytes, expected {len(PAYLOAD)}"):
        protocol.load(str(tmp_path), 20)


def test_a_marker_for_a_missing_file_stops_the_job_and_names_both(tmp_path):
    name = protocol.save(str(tmp_path), 20, PAYLOAD)
    (tmp_path / name).unlink()
    with pytest.raises(protocol.CheckpointMismatch) as error:
        protocol.load(str(tmp_path), 20)
    assert name in str(error.value) and "step-00000020.done" in str(error.value) and "does not exist" in str(error.value)


# ---- which checkpoint a restart loads ------------------------------------------------


def test_the_newest_marked_step_is_loaded_and_files_without_markers_are_not(tmp_path):
    for name in [
        "step-00000010.done",
        "step-00000030.done",
        "step-00000020.done",
        "step-00000040-0badf00d.pt",  # a writer killed mid-file: no marker
        "step-50.done",
        "step-00000060.done.tmp",
        "notes.txt",
    ]:
        (tmp_path / name).write_text("")
    assert protocol.newest_checkpoint(str(tmp_path)) == 30


@pytest.mark.parametrize("directory", [None, "", "does-not-exist"])
def test_no_checkpoint_directory_means_a_fresh_start(directory, tmp_path):
    assert protocol.newest_checkpoint(directory and str(tmp_path / directory)) == 0
    assert protocol.newest_checkpoint(str(tmp_path)) == 0


def test_a_dcp_checkpoint_counts_only_once_its_metadata_exists():
    """DCP's FileSystemWriter.finish writes ".metadata.tmp" and then renames it to ".metadata"
    (torch/distributed/checkpoint/filesystem.py, v2.13.0), after every rank wrote its shards."""
    objects = {
        "step-00000010/": {"__0_0.distcp", "__1_0.distcp", ".metadata"},
        "step-00000020/": {"__0_0.distcp", "__1_0.distcp", ".metadata"},
        "step-00000030/": {"__0_0.distcp", "__1_0.distcp", ".metadata.tmp"},  # killed before the rename
        "step-00000040/": {"__0_0.distcp"},  # killed while the shards were written
    }
    asked = []

    def is_complete(step: int) -> bool:
        asked.append(step)
        folder, name = protocol.dcp_metadata_key(step).split("/")
        return name in objects[folder + "/"]

    assert protocol.newest_complete([*objects, "step-00000050.json", "other/"], protocol.DCP_FOLDER, is_complete) == 20
    assert asked == [40, 30, 20], "newest first, and no further than the first complete one"


def test_the_dcp_completeness_object_is_the_metadata_dcp_writes_last():
    assert protocol.dcp_metadata_key(30) == "step-00000030/.metadata"
    assert protocol.newest_complete(["step-00000030", "step-00000020/"], protocol.DCP_FOLDER) == 30  # local folder or S3 prefix


# ---- where a resumed run continues ---------------------------------------------------


def test_a_run_resumed_from_step_30_continues_with_step_31():
    assert list(protocol.steps_to_run(30, 33)) == [31, 32, 33]
    assert list(protocol.steps_to_run(0, 3)) == [1, 2, 3]
    assert list(protocol.steps_to_run(60, 60)) == []


def test_checkpoints_are_taken_every_n_steps_but_not_after_the_last():
    assert [s for s in range(1, 61) if protocol.is_checkpoint_step(s, 10, 60)] == [10, 20, 30, 40, 50]


def _run(tmp_path, total: int, every: int, per_epoch: int, stop_after: int | None = None) -> dict:
    """train.py's loop in miniature: each step consumes the next batch and records it; every
    ``every`` steps the state is checkpointed; a kill after ``stop_after`` loses what followed."""
    directory = str(tmp_path)
    resumed = protocol.newest_checkpoint(directory)
    state = json.loads(protocol.load(directory, resumed)) if resumed else {"steps": [], "batches": []}
    epoch, index = protocol.data_position(resumed, per_epoch)
    for step in protocol.steps_to_run(resumed, total):
        state["steps"].append(step)
        state["batches"].append([epoch, index])
        epoch, index = (epoch + 1, 0) if index + 1 == per_epoch else (epoch, index + 1)
        if protocol.is_checkpoint_step(step, every, total):
            protocol.save(directory, step, json.dumps(state).encode())
        if step == stop_after:
            break
    return {"resumed": resumed, **state}


def test_a_killed_and_resumed_run_does_every_step_once_on_the_same_batches(tmp_path):
    uninterrupted = _run(tmp_path / "a", total=60, every=10, per_epoch=25)
    assert uninterrupted["steps"] == list(range(1, 61))
    assert uninterrupted["batches"][:2] == [[0, 0], [0, 1]] and uninterrupted["batches"][25] == [1, 0]
    _run(tmp_path / "b", total=60, every=10, per_epoch=25, stop_after=37)  # killed at step 37: 31-37 are lost
    resumed = _run(tmp_path / "b", total=60, every=10, per_epoch=25)
    assert resumed["resumed"] == 30
    assert resumed["steps"] == uninterrupted["steps"]
    assert resumed["batches"] == uninterrupted["batches"]


def test_train_py_takes_these_decisions_from_the_protocol_module():
    """train.py needs torch, so the fast suite cannot run it; it must not decide these itself."""
    tree = ast.parse((CODE / "train.py").read_text())
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "checkpoint_protocol"
    }
    assert {"save", "load", "newest_checkpoint", "steps_to_run", "data_position", "is_checkpoint_step"} <= calls


def test_train_fsdp_py_finds_its_checkpoint_through_the_protocol_module():
    tree = ast.parse((CODE / "train_fsdp.py").read_text())
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "checkpoint_protocol"
    }
    assert {"newest_complete", "DCP_FOLDER", "dcp_metadata_key", "steps_to_run", "step_name"} <= used
