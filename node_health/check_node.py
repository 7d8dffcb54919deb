#!/usr/bin/env python3
"""Health gate for a new GPU or Trainium node: run the checks, judge them, act on the node.

Runs inside the node's health-check pod (a DaemonSet on nodes that carry the startup taint),
with the Python 3 standard library only, so it runs in the training image as it is:

    check_node.py collect --results DIR  <expectations>      # run the tools, save raw output
    check_node.py decide  --results DIR  <expectations>      # judge the saved output: DIR/verdict.json
    check_node.py act     --results DIR  --node N --taint K=V:E --region R
    check_node.py run     --results DIR  --node N --taint K=V:E --region R <expectations>
    check_node.py recheck-start --results DIR --node N --taint K=V:E --region R --fresh-for S
    check_node.py recheck --results DIR  --node N --taint K=V:E --region R --fresh-for S <expectations>

<expectations> are flags (--accelerator-kind, --accelerators, --accelerator-model, ...) or
--expectations FILE (a JSON object with the same names, underscores for dashes; flags win).

`run` does collect, decide and act, then waits until the pod is deleted. It never exits by
itself after acting: a DaemonSet pod restarts every container that exits, and a restart
must not run the checks again on a node that failed. A node already labelled failed is
not checked again; its instance is reported unhealthy again (the call is idempotent) and
the program waits. On pass the DaemonSet's node affinity no longer matches the node, so
the DaemonSet controller deletes the pod and SIGTERM ends the wait.

`recheck` is the periodic recheck of a node that passed (a CronJob's pod that holds every
accelerator of the node, so it runs only where no training pod holds one): it checks a node
labelled passed whose last check is older than --fresh-for seconds, acts on the verdict as
`run` does (a failing node is labelled failed and tainted again, and its instance reported),
and exits 0 whatever the verdict, which is on the node. Any other node it leaves alone.
`recheck-start` makes that decision ahead of the DCGM init container: it writes the reason
to DIR/skip, which the init container and `recheck` then honour. A recheck stopped by
SIGTERM (a training pod preempting it) exits at once and says nothing about the node.

The results directory holds, per step, STEP.stdout, STEP.stderr and STEP.exit (the exit
code, `timeout`, or `error: ...` when the tool could not start); STEP.exit is written last,
so a step without it was not collected. Steps: nvidia_smi, dcgm, fi_info, nccl, neuron_ls.
The DCGM diagnostic runs in an init container from NVIDIA's DCGM image, which has no
Python; dcgm_init_command() is the shell command that writes the same three files there.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import re
import shlex
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Mapping

STEPS = ("nvidia_smi", "dcgm", "fi_info", "nccl", "neuron_ls")
KINDS = ("nvidia", "neuron")
VERDICT_FILE = "verdict.json"
SKIP_FILE = "skip"  # recheck-start's reason for leaving the node alone
CHECKED_AT = "-checked-at"  # after the taint's key: the annotation with the time of the node's last verdict
CHECKED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# The query the gpu checks read; `nounits` leaves memory.total a bare MiB figure.
NVIDIA_SMI_QUERY = "--query-gpu=index,name,uuid,pci.bus_id,memory.total"

# The tests each `dcgmi diag -r` level runs, by the names its JSON output gives them
# (NVIDIA/DCGM nvvs/src/NvidiaValidationSuite.cpp FillTestVectors: medium (2) adds memory and
# pcie, long (3) diagnostic, targeted_stress, targeted_power and memory_bandwidth, xlong (4)
# memtest and pulse_test; names from nvvs/include/PluginStrings.h). Level 3 also runs eud,
# nvbandwidth and nccl_tests where they apply; they count when present, but are not required.
DCGM_LEVEL_TESTS = {
    1: ("software",),
    2: ("software", "memory", "pcie"),
    3: ("software", "memory", "pcie", "diagnostic", "targeted_stress", "targeted_power", "memory_bandwidth"),
    4: (
        "software",
        "memory",
        "pcie",
        "diagnostic",
        "targeted_stress",
        "targeted_power",
        "memory_bandwidth",
        "memtest",
        "pulse_test",
    ),
}
DCGM_TIMEOUT_SECONDS = 1800  # level 2 takes 2.5 to 10.5 minutes on 8 GPUs (awsome-distributed-training 1-dcgm-diag-l2.sh)

# A core/v1 Event about a cluster-scoped object without eventTime must live in "default"
# (kubernetes pkg/apis/core/validation/events.go, legacyValidateEvent).
EVENT_NAMESPACE = "default"
EVENT_REASON = "NodeHealthCheckFailed"
EVENT_MESSAGE_LIMIT = 1024  # NoteLengthLimit in the same file

# The EC2 Auto Scaling Query API (API reference, "SetInstanceHealth"; version 2011-01-01).
AUTOSCALING_API_VERSION = "2011-01-01"
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
# Hosts the AWS SDKs accept for AWS_CONTAINER_CREDENTIALS_FULL_URI besides loopback: the ECS
# agent and the EKS Pod Identity agent (botocore utils.ContainerMetadataFetcher._ALLOWED_HOSTS);
# the pod's token must not be sent anywhere else.
CREDENTIAL_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost")
PROVIDER_ID = re.compile(r"^aws:///[^/]+/(i-[0-9a-f]+)$")  # spec.providerID: aws:///<az>/<instance id>
HTTP_TIMEOUT_SECONDS = 30
RETRY_DELAYS_SECONDS = (1, 4, 16)


class UsageError(Exception):
    """Bad input: the message names the field, what is wrong and what is allowed."""


class ActError(Exception):
    """A Kubernetes or AWS call failed; the message names the call and the answer."""


# ---------------------------------------------------------------------------
# Expectations: what a healthy node of this group has.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Expectations:
    accelerator_kind: str  # nvidia or neuron
    accelerators: int  # GPUs, or Neuron devices
    accelerator_model: str | None = None  # nvidia-smi's name for the GPU model, e.g. "NVIDIA H100 80GB HBM3"
    accelerator_memory_gib: int | None = None  # per Neuron device, as neuron-ls's memory_size reports it
    efa_interfaces: int = 0  # 0: no EFA checks
    efa_provider: str = "efa"
    dcgm_level: int = 0  # 0: no DCGM diagnostic
    nccl_min_busbw_gbps: float | None = None  # None: no all_reduce_perf check

    def steps(self) -> tuple[str, ...]:
        """The collect steps these expectations judge, in the order collect runs them."""
        wanted = {
            "nvidia_smi": self.accelerator_kind == "nvidia",
            "dcgm": self.accelerator_kind == "nvidia" and self.dcgm_level > 0,
            "fi_info": self.efa_interfaces > 0,
            "nccl": self.accelerator_kind == "nvidia" and self.nccl_min_busbw_gbps is not None,
            "neuron_ls": self.accelerator_kind == "neuron",
        }
        return tuple(step for step in STEPS if wanted[step])


def expectations_from(values: Mapping[str, Any], source: str) -> Expectations:
    """Validated Expectations; every problem raises UsageError naming `source` and the field."""
    known = {f.name for f in fields(Expectations)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"{source}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}")

    def need(name: str, ok: Callable[[Any], bool], allowed: str) -> None:
        if name in values and values[name] is not None and not ok(values[name]):
            raise UsageError(f"{source}: field '{name}': {allowed}, got {values[name]!r}")

    def integer(low: int) -> Callable[[Any], bool]:
        return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= low

    if values.get("accelerator_kind") not in KINDS:
        raise UsageError(f"{source}: field 'accelerator_kind': one of {', '.join(KINDS)}, got {values.get('accelerator_kind')!r}")
    if values.get("accelerators") is None:
        raise UsageError(f"{source}: field 'accelerators' is required: the node's GPU or Neuron device count")
    need("accelerators", integer(1), "a whole number of at least 1")
    need("accelerator_model", lambda v: isinstance(v, str) and v.strip() != "", "a non-empty string")
    need("accelerator_memory_gib", integer(1), "a whole number of GiB of at least 1")
    need("efa_interfaces", integer(0), "a whole number of at least 0")
    need(
        "efa_provider",
        lambda v: isinstance(v, str) and re.fullmatch(r"[a-z0-9_;-]+", v) is not None,
        "a libfabric provider name such as efa",
    )
    need(
        "dcgm_level",
        lambda v: isinstance(v, int) and not isinstance(v, bool) and (v == 0 or v in DCGM_LEVEL_TESTS),
        "0 (off) or a dcgmi diag level 1 to 4",
    )
    need(
        "nccl_min_busbw_gbps",
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
        "a bus bandwidth in GB/s above 0",
    )
    expect = Expectations(**{k: v for k, v in values.items() if v is not None})
    if expect.accelerator_kind == "nvidia":
        if not expect.accelerator_model:
            raise UsageError(f"{source}: field 'accelerator_model' is required for nvidia: nvidia-smi's GPU name")
        if expect.accelerator_memory_gib is not None:
            raise UsageError(f"{source}: field 'accelerator_memory_gib' is for neuron only")
    else:
        if expect.accelerator_memory_gib is None:
            raise UsageError(f"{source}: field 'accelerator_memory_gib' is required for neuron: the memory of one Neuron device")
        for name in ("accelerator_model", "nccl_min_busbw_gbps"):
            if getattr(expect, name) is not None:
                raise UsageError(f"{source}: field '{name}' is for nvidia only")
        if expect.dcgm_level:
            raise UsageError(f"{source}: field 'dcgm_level' is for nvidia only; use 0")
    return expect


# ---------------------------------------------------------------------------
# Collect: run the tools and keep what they said.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class StepResult:
    stdout: str
    stderr: str
    exit_code: int | None  # None when it timed out or could not start
    timed_out: bool = False
    error: str | None = None  # why the tool could not start


def write_step(results: Path, step: str, result: StepResult) -> None:
    (results / f"{step}.stdout").write_text(result.stdout)
    (results / f"{step}.stderr").write_text(result.stderr)
    status = "timeout" if result.timed_out else f"error: {result.error}" if result.error else str(result.exit_code)
    (results / f"{step}.exit").write_text(status + "\n")  # last: its presence means the step finished


def read_results(results: Path) -> dict[str, StepResult]:
    """Every step with an .exit file; a missing stdout or stderr file reads as empty."""
    found = {}
    for step in STEPS:
        exit_file = results / f"{step}.exit"
        if not exit_file.is_file():
            continue
        status = exit_file.read_text().strip()

        def text(suffix: str) -> str:
            path = results / f"{step}.{suffix}"
            return path.read_text(errors="replace") if path.is_file() else ""

        timed_out = status == "timeout"
        error = status.removeprefix("error:").strip() if status.startswith("error:") else None
        code = None
        if not timed_out and error is None:
            try:
                code = int(status)
            except ValueError:
                error = f"unreadable exit status {status!r} in {exit_file.name}"
        found[step] = StepResult(stdout=text("stdout"), stderr=text("stderr"), exit_code=code, timed_out=timed_out, error=error)
    return found


@dataclass(frozen=True, kw_only=True)
class Tools:
    nvidia_smi: str = "nvidia-smi"
    dcgmi: str = "dcgmi"
    # Where the EFA installer puts libfabric's tools ("Libfabric is installed in the /opt/amazon/efa
    # directory", EC2 user guide, "Get started with EFA"); by full path, because only some images
    # put that directory on PATH: the Neuron PyTorch training DLC runs the full installer but
    # adds only /opt/aws/neuron/bin (aws-neuron/deep-learning-containers 2.30.0,
    # pytorch/training/2.9.0/Dockerfile.neuronx), and the installer's own PATH line is in
    # /etc/profile.d, which a container's command never reads.
    fi_info: str = "/opt/amazon/efa/bin/fi_info"
    all_reduce_perf: str = "all_reduce_perf"  # /usr/local/bin in the AWS PyTorch DLC
    neuron_ls: str = "neuron-ls"
    nccl_launcher: tuple[str, ...] = ()  # e.g. ("mpirun", "--allow-run-as-root", "-np", "1")
    nccl_sizes: tuple[str, str] = ("1G", "4G")  # peak busbw needs large messages (nccl-tests#212)


STEP_TIMEOUTS_SECONDS = {"nvidia_smi": 120, "dcgm": DCGM_TIMEOUT_SECONDS, "fi_info": 60, "nccl": 900, "neuron_ls": 120}


def step_command(step: str, expect: Expectations, tools: Tools) -> list[str]:
    if step == "nvidia_smi":
        return [tools.nvidia_smi, NVIDIA_SMI_QUERY, "--format=csv,noheader,nounits"]
    if step == "dcgm":
        return [tools.dcgmi, "diag", "-r", str(expect.dcgm_level), "-j"]
    if step == "fi_info":
        return [tools.fi_info, "-p", expect.efa_provider]
    if step == "nccl":
        low, high = tools.nccl_sizes
        # One process drives every GPU (-g), with data checking on (-c 1) so a corrupt sum shows
        # in the #wrong column (nccl-tests README, "Arguments").
        return [
            *tools.nccl_launcher,
            tools.all_reduce_perf,
            "-b",
            low,
            "-e",
            high,
            "-f",
            "2",
            "-g",
            str(expect.accelerators),
            "-c",
            "1",
        ]
    if step == "neuron_ls":
        # neuron-ls --json-output, -j (Neuron LS User Guide); Neuron 2.34 replaces it with
        # --output-format json, so a newer image needs --neuron-ls pointing at a wrapper.
        return [tools.neuron_ls, "--json-output"]
    raise ValueError(step)


def run_tool(argv: list[str], timeout: float, env: Mapping[str, str] | None = None) -> StepResult:
    """Run argv in its own process group, so a timeout also ends what it started (mpirun's ranks)."""
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
            env=dict(env) if env else None,
        )
    except OSError as error:
        return StepResult(stdout="", stderr="", exit_code=None, error=f"{argv[0]}: {error.strerror or error}")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return StepResult(stdout=out, stderr=err, exit_code=None, timed_out=True)
    return StepResult(stdout=out, stderr=err, exit_code=proc.returncode)


def collect(
    results: Path,
    expect: Expectations,
    tools: Tools,
    *,
    skip: tuple[str, ...] = (),
    timeouts: Mapping[str, float] = STEP_TIMEOUTS_SECONDS,
    log: Callable[[str], None] = print,
) -> list[str]:
    """Run every step the expectations need except `skip`; returns the steps run."""
    results.mkdir(parents=True, exist_ok=True)
    ran = []
    for step in expect.steps():
        if step in skip:
            continue
        env = None
        if step == "nccl":
            # all_reduce_perf in the DLC is built with MPI=1; started without mpirun it initialises
            # MPI as a singleton, and Open MPI refuses root unless told (Open MPI FAQ, running as root).
            env = {**os.environ, "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
        argv = step_command(step, expect, tools)
        started = time.monotonic()
        result = run_tool(argv, timeouts[step], env)
        write_step(results, step, result)
        status = "timed out" if result.timed_out else result.error or f"exit {result.exit_code}"
        log(f"check_node: {step}: {shlex.join(argv)}: {status} after {time.monotonic() - started:.1f}s")
        ran.append(step)
    return ran


def dcgm_init_command(
    level: int, results_dir: str, timeout_seconds: int = DCGM_TIMEOUT_SECONDS, *, for_recheck: bool = False
) -> list[str]:
    """The init container's command (NVIDIA DCGM image, which has sh and coreutils but no Python).

    dcgmi starts an embedded host engine when none answers on localhost:5555 (NVIDIA/DCGM
    dcgmi/Diag.cpp StartDiag::DoExecuteConnectionFailure), so the container needs no
    nv-hostengine. It always exits 0: a failing init container is restarted, which would run
    the diagnostic again and again; the verdict is decide's job.

    `for_recheck`: do nothing when `recheck-start` left a skip file, so a node checked moments
    ago is not held for minutes; and on SIGTERM (a training pod preempting the recheck) stop
    the diagnostic at once, leaving no dcgm.exit. As PID 1 the shell would otherwise ignore the
    signal, and dcgmi would only be killed at the end of the grace period. GNU timeout passes
    the TERM on to dcgmi.
    """
    if level not in DCGM_LEVEL_TESTS:
        raise UsageError(f"dcgm level: one of {', '.join(map(str, DCGM_LEVEL_TESTS))}, got {level!r}")
    d = shlex.quote(results_dir.rstrip("/") or "/")
    diag = f"timeout -k 30 {int(timeout_seconds)} dcgmi diag -r {level} -j >{d}/dcgm.stdout 2>{d}/dcgm.stderr"
    if for_recheck:
        run = (
            f"if [ -e {d}/{SKIP_FILE} ]; then exit 0; fi; "
            f"{diag} & pid=$!; "
            "trap 'kill -TERM $pid; wait $pid; exit 0' TERM; "
            "wait $pid; "
        )
    else:
        run = f"{diag}; "
    script = (
        run + "rc=$?; "
        # GNU timeout exits 124 when it stopped the command, 137 when it had to kill it.
        f'if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo timeout; else echo "$rc"; fi >{d}/dcgm.exit; '
        "exit 0"
    )
    return ["/bin/sh", "-c", script]


# ---------------------------------------------------------------------------
# Decide: pure judgement of the saved output against the expectations.
# ---------------------------------------------------------------------------


class Unparseable(Exception):
    pass


@dataclass(frozen=True, kw_only=True)
class Gpu:
    index: int
    name: str
    uuid: str
    bus_id: str
    memory_mib: int | None


def parse_nvidia_smi(text: str) -> list[Gpu]:
    gpus = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 5 or not parts[0].isdigit() or not parts[2].startswith("GPU-"):
            raise Unparseable(f"line {number} is not 'index, name, uuid, pci.bus_id, memory.total': {line.strip()[:120]!r}")
        memory = int(parts[4]) if parts[4].isdigit() else None
        gpus.append(Gpu(index=int(parts[0]), name=parts[1], uuid=parts[2], bus_id=parts[3], memory_mib=memory))
    return gpus


@dataclass(frozen=True, kw_only=True)
class DcgmTest:
    name: str
    status: str  # test_summary.status: Pass, Skip, Fail (Warn is shown as Fail), Not Run
    failures: tuple[str, ...]  # "GPU 3: <warning>" for each result that did not pass


def parse_dcgm(text: str) -> tuple[dict[str, DcgmTest], str | None]:
    """Tests by name and the runtime error, from `dcgmi diag -j` (DCGM 4: "DCGM Diagnostic")."""
    start = text.find("{")
    if start < 0:
        raise Unparseable("no JSON object in the output")
    try:
        document, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError as error:
        raise Unparseable(f"not JSON: {error.msg} at line {error.lineno}") from None
    root = document.get("DCGM Diagnostic") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise Unparseable('no "DCGM Diagnostic" object (the DCGM 4 JSON layout)')
    tests = {}
    for category in root.get("test_categories") or []:
        for test in category.get("tests") or []:
            failures = []
            for result in test.get("results") or []:
                if result.get("status") != "Pass" and result.get("status") != "Skip":
                    where = f"{result.get('entity_group', 'entity')} {result.get('entity_id', '?')}"
                    warnings = "; ".join(w.get("warning", "") for w in result.get("warnings") or []) or result.get("status", "")
                    failures.append(f"{where}: {warnings}")
            status = (test.get("test_summary") or {}).get("status", "")
            tests[test.get("name", "")] = DcgmTest(name=test.get("name", ""), status=status, failures=tuple(failures))
    return tests, root.get("runtime_error")


@dataclass(frozen=True, kw_only=True)
class FabricEntry:
    provider: str
    fabric: str
    domain: str
    ep_type: str


def parse_fi_info(text: str) -> list[FabricEntry]:
    """fi_info's blocks: `provider: x` then indented `fabric:`, `domain:`, `version:`, `type:`, `protocol:`."""
    entries: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.strip().partition(":")
        if not sep:
            raise Unparseable(f"line {number} is not 'key: value': {line.strip()[:120]!r}")
        if key == "provider":
            entries.append({"provider": value.strip()})
        elif not entries:
            raise Unparseable(f"line {number} comes before any 'provider:' line: {line.strip()[:120]!r}")
        else:
            entries[-1][key] = value.strip()
    parsed = []
    for entry in entries:
        if "domain" not in entry or "type" not in entry:
            raise Unparseable(f"provider {entry['provider']!r} has no domain or type")
        parsed.append(
            FabricEntry(provider=entry["provider"], fabric=entry.get("fabric", ""), domain=entry["domain"], ep_type=entry["type"])
        )
    return parsed


def _natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _listing(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit]) or "none"
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def efa_devices(entries: list[FabricEntry]) -> list[str]:
    """One device per domain base name: each EFA device shows as <dev>-rdm (fabrics efa and
    efa-direct) and <dev>-dgrm (fabric efa)."""
    return sorted({re.sub(r"-(rdm|dgrm)$", "", e.domain) for e in entries}, key=_natural)


@dataclass(frozen=True, kw_only=True)
class NcclRow:
    size: int
    busbw_out: float
    wrong_out: int
    busbw_in: float
    wrong_in: int


def parse_all_reduce(text: str) -> tuple[list[NcclRow], float | None, int | None]:
    """Rows of all_reduce_perf's table, its `# Avg bus bandwidth` and `# Out of bounds values`.

    A row is `size count type redop root time algbw busbw #wrong time algbw busbw #wrong`
    (NVIDIA/nccl-tests src/util.cu writeBenchmarkLinePreamble/-Body); other lines (NCCL INFO
    logs, the header) are skipped.
    """
    rows, avg, oob = [], None, None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if m := re.match(r"#\s*Avg bus bandwidth\s*:\s*([0-9.eE+-]+)", stripped):
                avg = float(m.group(1))
            elif m := re.match(r"#\s*Out of bounds values\s*:\s*(\d+)", stripped):
                oob = int(m.group(1))
            continue
        tokens = stripped.split()
        if len(tokens) < 13 or not tokens[0].isdigit() or not tokens[1].isdigit():
            continue
        try:
            rows.append(
                NcclRow(
                    size=int(tokens[0]),
                    busbw_out=float(tokens[7]),
                    wrong_out=int(float(tokens[8])),
                    busbw_in=float(tokens[11]),
                    wrong_in=int(float(tokens[12])),
                )
            )
        except ValueError:
            raise Unparseable(f"table row has a field that is not a number: {stripped[:120]!r}") from None
    return rows, avg, oob


def parse_neuron_ls(text: str) -> list[dict[str, Any]]:
    try:
        devices = json.loads(text)
    except json.JSONDecodeError as error:
        raise Unparseable(f"not JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(devices, list) or not all(isinstance(d, dict) and "neuron_device" in d for d in devices):
        raise Unparseable("not a list of devices with 'neuron_device' (the neuron-ls --json-output layout)")
    return devices


def _check(name: str, passed: bool, figure: Any, expected: Any, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": bool(passed), "figure": figure, "expected": expected, "detail": detail}


def _tool_problem(results: Mapping[str, StepResult], step: str, *, nonzero_is_problem: bool = True) -> str | None:
    """Why `step`'s output cannot be trusted at all, or None."""
    result = results.get(step)
    if result is None:
        return f"{step} was not collected: no {step}.exit in the results"
    if result.timed_out:
        return f"{step} timed out"
    if result.error:
        return f"{step} could not start: {result.error}"
    if nonzero_is_problem and result.exit_code != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        return f"{step} exited {result.exit_code}" + (f": {said[-1][:200]}" if said else "")
    return None


def _gpu_checks(results: Mapping[str, StepResult], expect: Expectations) -> list[dict[str, Any]]:
    problem = _tool_problem(results, "nvidia_smi")
    gpus: list[Gpu] = []
    if problem is None:
        try:
            gpus = parse_nvidia_smi(results["nvidia_smi"].stdout)
        except Unparseable as error:
            problem = f"nvidia-smi output unparseable: {error}"
    if problem:
        return [
            _check("gpu_count", False, None, expect.accelerators, problem),
            _check("gpu_model", False, None, expect.accelerator_model, problem),
        ]
    names = sorted({g.name for g in gpus})
    wrong = [f"{g.index} {g.bus_id} {g.name}" for g in gpus if g.name != expect.accelerator_model]
    return [
        _check(
            "gpu_count",
            len(gpus) == expect.accelerators,
            len(gpus),
            expect.accelerators,
            f"{len(gpus)} GPUs: {_listing([g.bus_id for g in gpus])}",
        ),
        _check(
            "gpu_model",
            bool(gpus) and not wrong,
            names,
            expect.accelerator_model,
            f"not {expect.accelerator_model}: {_listing(wrong, 3)}"
            if wrong
            else f"all {expect.accelerator_model}"
            if gpus
            else "no GPU listed",
        ),
    ]


def _dcgm_check(results: Mapping[str, StepResult], expect: Expectations) -> dict[str, Any]:
    level = expect.dcgm_level
    required = DCGM_LEVEL_TESTS[level]
    expected = {"level": level, "tests": list(required), "status": "Pass"}
    # A failing diagnostic exits non-zero (dcgmi/Diag.cpp GetFailureResult) but still prints
    # the JSON that names the failure, so the output is read whatever the exit code.
    problem = _tool_problem(results, "dcgm", nonzero_is_problem=False)
    if problem:
        return _check("dcgm_diag", False, None, expected, problem)
    result = results["dcgm"]
    try:
        tests, runtime_error = parse_dcgm(result.stdout)
    except Unparseable as error:
        tail = (result.stderr.strip().splitlines() or [""])[-1][:200]
        return _check(
            "dcgm_diag",
            False,
            None,
            expected,
            f"dcgmi output unparseable (exit {result.exit_code}): {error}" + (f"; stderr: {tail}" if tail else ""),
        )
    figure = {name: test.status for name, test in tests.items()}
    if runtime_error:
        return _check("dcgm_diag", False, figure, expected, f"dcgmi runtime error: {runtime_error}")
    missing = [name for name in required if name not in tests]
    bad = [t for t in tests.values() if t.status != "Pass" and (t.name in required or t.status not in ("Skip", "Not Run"))]
    problems = [f"{name}: missing" for name in missing]
    problems += [f"{t.name}: {t.status}" + (f" ({'; '.join(t.failures)})" if t.failures else "") for t in bad]
    if not problems and result.exit_code != 0:
        problems.append(f"dcgmi exited {result.exit_code} although every test passed")
    return _check(
        "dcgm_diag",
        not problems,
        figure,
        expected,
        "; ".join(problems) if problems else f"level {level}: {', '.join(required)} passed",
    )


def _nccl_checks(results: Mapping[str, StepResult], expect: Expectations) -> list[dict[str, Any]]:
    floor = expect.nccl_min_busbw_gbps
    assert floor is not None, "decide() runs the NCCL checks only with a floor"
    # all_reduce_perf exits non-zero when elements came back wrong (nccl-tests src/common.cu: run()
    # returns testNumResults), after printing the table that shows them, so it is read anyway.
    problem = _tool_problem(results, "nccl", nonzero_is_problem=False)
    rows: list[NcclRow] = []
    avg = oob = None
    if problem is None:
        try:
            rows, avg, oob = parse_all_reduce(results["nccl"].stdout)
        except Unparseable as error:
            problem = f"all_reduce_perf output unparseable: {error}"
        if problem is None and not rows:
            said = (results["nccl"].stderr.strip() or results["nccl"].stdout.strip()).splitlines()
            problem = f"all_reduce_perf printed no result rows (exit {results['nccl'].exit_code})" + (
                f": {said[-1][:200]}" if said else ""
            )
    if problem:
        return [
            _check("nccl_busbw", False, None, f">= {floor} GB/s", problem),
            _check("nccl_correctness", False, None, "0 wrong elements", problem),
        ]
    peak_row = max(rows, key=lambda r: max(r.busbw_out, r.busbw_in))
    peak = max(peak_row.busbw_out, peak_row.busbw_in)
    wrong = sum(r.wrong_out + r.wrong_in for r in rows)
    # Published per-type figures are peaks at large sizes, so the largest busbw in the table is
    # what meets the floor; the average depends on the size range and is shown for reference.
    busbw = _check(
        "nccl_busbw", peak >= floor, peak, f">= {floor} GB/s", f"peak {peak} GB/s at {peak_row.size} B; # Avg bus bandwidth {avg}"
    )
    code = results["nccl"].exit_code
    correct = _check(
        "nccl_correctness",
        wrong == 0 and oob == 0 and code == 0,
        wrong,
        "0 wrong elements",
        f"#wrong total {wrong}; # Out of bounds values {oob if oob is not None else 'not printed'}"
        + (f"; all_reduce_perf exited {code}" if code else ""),
    )
    return [busbw, correct]


def _efa_checks(results: Mapping[str, StepResult], expect: Expectations) -> list[dict[str, Any]]:
    result = results.get("fi_info")
    # `fi_info -p efa` exits 1 with "fi_getinfo: -61" when it finds no EFA device: that is a
    # count of 0, not a broken tool.
    none_found = result is not None and result.exit_code not in (None, 0) and "fi_getinfo: -61" in result.stderr + result.stdout
    problem = None if none_found else _tool_problem(results, "fi_info")
    entries: list[FabricEntry] = []
    if problem is None and not none_found:
        assert result is not None  # _tool_problem found it collected
        try:
            entries = parse_fi_info(result.stdout)
        except Unparseable as error:
            problem = f"fi_info output unparseable: {error}"
    if problem:
        return [
            _check("efa_count", False, None, expect.efa_interfaces, problem),
            _check("efa_provider", False, None, expect.efa_provider, problem),
        ]
    devices = efa_devices(entries)
    providers = sorted({e.provider for e in entries})
    # NCCL's OFI plugin needs a reliable-datagram endpoint from the provider itself on every
    # device; "efa;ofi_rxd" is libfabric's RxD utility layered over the datagram endpoint.
    native_rdm = set(efa_devices([e for e in entries if e.provider == expect.efa_provider and e.ep_type == "FI_EP_RDM"]))
    without = [d for d in devices if d not in native_rdm]
    return [
        _check(
            "efa_count",
            len(devices) == expect.efa_interfaces,
            len(devices),
            expect.efa_interfaces,
            f"{len(devices)} EFA devices: {_listing(devices) if devices else 'none (fi_getinfo: -61)'}",
        ),
        _check(
            "efa_provider",
            providers == [expect.efa_provider] and not without,
            providers,
            expect.efa_provider,
            f"providers listed: {', '.join(providers) or 'none'}"
            + (f"; no {expect.efa_provider} FI_EP_RDM on {_listing(without, 4)}" if without else ""),
        ),
    ]


def _neuron_checks(results: Mapping[str, StepResult], expect: Expectations) -> list[dict[str, Any]]:
    problem = _tool_problem(results, "neuron_ls")
    devices: list[dict[str, Any]] = []
    if problem is None:
        try:
            devices = parse_neuron_ls(results["neuron_ls"].stdout)
        except Unparseable as error:
            problem = f"neuron-ls output unparseable: {error}"
    if problem:
        return [
            _check("neuron_count", False, None, expect.accelerators, problem),
            _check("neuron_memory", False, None, expect.accelerator_memory_gib, problem),
        ]
    # memory_size is bytes (Neuron LS User Guide: 103079215104 on trn2, 96 GiB).
    sizes = [round(d.get("memory_size", 0) / 2**30) for d in devices]
    off = [f"device {d['neuron_device']}: {s} GiB" for d, s in zip(devices, sizes) if s != expect.accelerator_memory_gib]
    return [
        _check(
            "neuron_count",
            len(devices) == expect.accelerators,
            len(devices),
            expect.accelerators,
            f"{len(devices)} Neuron devices",
        ),
        _check(
            "neuron_memory",
            bool(devices) and not off,
            sorted(set(sizes)),
            expect.accelerator_memory_gib,
            "; ".join(off) if off else f"every device {expect.accelerator_memory_gib} GiB" if devices else "no device",
        ),
    ]


def decide(results: Mapping[str, StepResult], expect: Expectations) -> dict[str, Any]:
    """The verdict: every check the expectations call for, each passed or not with its figure.

    The checks come from the expectations, never from which outputs exist, so a check whose
    output is missing fails. The node passes only if every check passed.
    """
    checks: list[dict[str, Any]] = []
    if expect.accelerator_kind == "nvidia":
        checks += _gpu_checks(results, expect)
        if expect.dcgm_level:
            checks.append(_dcgm_check(results, expect))
        if expect.nccl_min_busbw_gbps is not None:
            checks += _nccl_checks(results, expect)
    else:
        checks += _neuron_checks(results, expect)
    if expect.efa_interfaces:
        checks += _efa_checks(results, expect)
    failed = [c["name"] for c in checks if not c["passed"]]
    return {"passed": bool(checks) and not failed, "failed_checks": failed, "checks": checks, "expectations": asdict(expect)}


# ---------------------------------------------------------------------------
# Act: Kubernetes (in-cluster API, service-account token) and EC2 Auto Scaling (Pod Identity).
# ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Taint:
    key: str
    value: str
    effect: str

    @classmethod
    def parse(cls, text: str) -> Taint:
        m = re.fullmatch(r"([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*):(NoSchedule|PreferNoSchedule|NoExecute)", text or "")
        if not m:
            raise UsageError(f"--taint: KEY=VALUE:EFFECT with EFFECT NoSchedule, PreferNoSchedule or NoExecute, got {text!r}")
        return cls(key=m.group(1), value=m.group(2), effect=m.group(3))

    def matches(self, taint: Mapping[str, Any]) -> bool:
        return (taint.get("key"), taint.get("value", ""), taint.get("effect")) == (self.key, self.value, self.effect)

    def as_object(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


def _pointer(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")  # RFC 6901


def _request(
    url: str, *, method: str, headers: Mapping[str, str], body: bytes | None, context: ssl.SSLContext | None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _with_retries(call: Callable[[], tuple[int, bytes]], what: str) -> tuple[int, bytes]:
    """Retry on connection errors, throttling and 5xx; 4xx answers are final."""
    for delay in (*RETRY_DELAYS_SECONDS, None):
        try:
            status, body = call()
        except (urllib.error.URLError, OSError) as error:
            if delay is None:
                raise ActError(f"{what}: {getattr(error, 'reason', error)}") from None
        else:
            if status < 500 and status != 429:
                return status, body
            if delay is None:
                return status, body
        time.sleep(delay)
    raise AssertionError("unreachable")


@dataclass(frozen=True, kw_only=True)
class KubeClient:
    base_url: str
    token_file: Path
    ca_file: Path

    @classmethod
    def in_cluster(cls, *, api: str | None, token_file: Path | None, ca_file: Path | None) -> KubeClient:
        if api is None:
            host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
            if not host or not port:
                raise UsageError("Kubernetes API: KUBERNETES_SERVICE_HOST/PORT unset (not in a pod?); pass --kube-api URL")
            api = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
        return cls(
            base_url=api.rstrip("/"),
            token_file=token_file or SERVICE_ACCOUNT_DIR / "token",
            ca_file=ca_file or SERVICE_ACCOUNT_DIR / "ca.crt",
        )

    def call(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        # The projected token is rotated by the kubelet, so it is read for every request.
        headers = {"Authorization": f"Bearer {self.token_file.read_text().strip()}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        context = ssl.create_default_context(cafile=str(self.ca_file))
        what = f"{method} {path}"
        status, raw = _with_retries(
            lambda: _request(self.base_url + path, method=method, headers=headers, body=data, context=context), what
        )
        try:
            answer = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            answer = {"message": raw[:300].decode(errors="replace")}
        if status >= 300:
            said = answer.get("message", answer) if isinstance(answer, dict) else answer
            raise ActError(f"{what}: HTTP {status}: {said}")
        return answer

    def get_node(self, name: str) -> dict[str, Any]:
        return self.call("GET", f"/api/v1/nodes/{urllib.parse.quote(name)}")

    def patch_node(self, name: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        return self.call("PATCH", f"/api/v1/nodes/{urllib.parse.quote(name)}", operations, "application/json-patch+json")

    def create_event(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", f"/api/v1/namespaces/{EVENT_NAMESPACE}/events", event)


@dataclass(frozen=True, kw_only=True)
class AwsCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None


def pod_identity_credentials(environ: Mapping[str, str]) -> AwsCredentials:
    """Credentials from the EKS Pod Identity agent, as the SDKs' container provider gets them:
    GET AWS_CONTAINER_CREDENTIALS_FULL_URI with the token file's content as Authorization
    (EKS User Guide, "Understand how EKS Pod Identity works"; SDK reference, "Container
    credential provider")."""
    uri = environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    token_file = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if not uri or not token_file:
        raise ActError(
            "no Pod Identity credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI and "
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE are unset; is there a Pod Identity association "
            "for this pod's service account?"
        )
    host = urllib.parse.urlsplit(uri).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and host not in CREDENTIAL_HOSTS:
        raise ActError(
            f"AWS_CONTAINER_CREDENTIALS_FULL_URI host {host!r} is neither loopback nor the Pod Identity "
            f"agent ({', '.join(CREDENTIAL_HOSTS)}); refusing to send the pod's token there"
        )
    token = Path(token_file).read_text().strip()
    status, raw = _with_retries(
        lambda: _request(uri, method="GET", headers={"Authorization": token}, body=None, context=None), f"GET {uri}"
    )
    try:
        answer = json.loads(raw)
        return AwsCredentials(
            access_key_id=answer["AccessKeyId"], secret_access_key=answer["SecretAccessKey"], session_token=answer.get("Token")
        )
    except (ValueError, KeyError, TypeError):
        raise ActError(f"GET {uri}: HTTP {status}: no AccessKeyId/SecretAccessKey in {raw[:200]!r}") from None


def sigv4_headers(
    *,
    method: str,
    url: str,
    body: bytes,
    region: str,
    service: str,
    credentials: AwsCredentials,
    amz_date: str,
    content_type: str,
) -> dict[str, str]:
    """Headers that sign the request with Signature Version 4 (IAM User Guide, "Create a signed
    AWS API request"): canonical request, string to sign, derived key, signature."""
    parts = urllib.parse.urlsplit(url)
    signed = {"content-type": content_type, "host": parts.netloc, "x-amz-date": amz_date}
    if credentials.session_token:
        signed["x-amz-security-token"] = credentials.session_token
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{' '.join(signed[name].split())}\n" for name in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [
            method,
            urllib.parse.quote(parts.path or "/", safe="/~"),
            parts.query,
            canonical_headers,
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = ("AWS4" + credentials.secret_access_key).encode()
    for part in (amz_date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": content_type,
        "X-Amz-Date": amz_date,
        "Authorization": f"AWS4-HMAC-SHA256 Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}",
    }
    if credentials.session_token:
        headers["X-Amz-Security-Token"] = credentials.session_token
    return headers


def autoscaling_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://autoscaling.{region}.{suffix}/"


def set_instance_unhealthy(
    instance_id: str, *, region: str, endpoint: str, credentials: AwsCredentials, now: datetime.datetime
) -> None:
    """autoscaling:SetInstanceHealth HealthStatus=Unhealthy, ShouldRespectGracePeriod=false: the group
    terminates and replaces the instance now, not after its health check grace period
    (EC2 Auto Scaling API Reference, "SetInstanceHealth")."""
    body = urllib.parse.urlencode(
        {
            "Action": "SetInstanceHealth",
            "Version": AUTOSCALING_API_VERSION,
            "InstanceId": instance_id,
            "HealthStatus": "Unhealthy",
            "ShouldRespectGracePeriod": "false",
        }
    ).encode()
    headers = sigv4_headers(
        method="POST",
        url=endpoint,
        body=body,
        region=region,
        service="autoscaling",
        credentials=credentials,
        amz_date=now.strftime("%Y%m%dT%H%M%SZ"),
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
    status, raw = _with_retries(
        lambda: _request(endpoint, method="POST", headers=headers, body=body, context=None), f"SetInstanceHealth {instance_id}"
    )
    if status != 200:
        code = message = None
        try:
            tree = ElementTree.fromstring(raw)
            code = next((e.text for e in tree.iter() if e.tag.endswith("Code")), None)
            message = next((e.text for e in tree.iter() if e.tag.endswith("Message")), None)
        except ElementTree.ParseError:
            pass
        raise ActError(f"SetInstanceHealth {instance_id}: HTTP {status}: {code or ''} {message or raw[:200]!r}".strip())


def _figures(verdict: Mapping[str, Any]) -> str:
    return json.dumps({c.get("name", "?"): c.get("figure") for c in verdict["checks"]}, separators=(",", ":"), sort_keys=True)


def _set_metadata(node: Mapping[str, Any], section: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    if section not in node.get("metadata", {}):
        ops.append({"op": "add", "path": f"/metadata/{section}", "value": {}})
    ops += [{"op": "add", "path": f"/metadata/{section}/{_pointer(k)}", "value": v} for k, v in values.items()]
    return ops


def pass_operations(node: Mapping[str, Any], verdict: Mapping[str, Any], taint: Taint, now: str) -> list[dict[str, Any]]:
    """One JSON patch: remove exactly the startup taint (guarded by a test of that very entry,
    so a concurrent change to the taints makes the patch fail instead of removing the wrong
    one), label passed, annotate. One patch, so the node is never untainted without the label."""
    ops: list[dict[str, Any]] = []
    for index, existing in enumerate(node.get("spec", {}).get("taints") or []):
        if taint.matches(existing):
            ops += [
                {"op": "test", "path": f"/spec/taints/{index}", "value": existing},
                {"op": "remove", "path": f"/spec/taints/{index}"},
            ]
            break
    ops += _set_metadata(node, "labels", {taint.key: "passed"})
    ops += _set_metadata(node, "annotations", {taint.key + CHECKED_AT: now, f"{taint.key}-figures": _figures(verdict)})
    return ops


def fail_operations(node: Mapping[str, Any], verdict: Mapping[str, Any], taint: Taint, now: str) -> list[dict[str, Any]]:
    """Label failed and annotate; the startup taint stays, and is put back if it is gone."""
    ops: list[dict[str, Any]] = []
    taints = node.get("spec", {}).get("taints")
    if taints is None:
        ops.append({"op": "add", "path": "/spec/taints", "value": [taint.as_object()]})
    elif not any(taint.matches(t) for t in taints):
        ops.append({"op": "add", "path": "/spec/taints/-", "value": taint.as_object()})
    ops += _set_metadata(node, "labels", {taint.key: "failed"})
    ops += _set_metadata(
        node,
        "annotations",
        {
            taint.key + CHECKED_AT: now,
            f"{taint.key}-figures": _figures(verdict),
            f"{taint.key}-failed-checks": ",".join(failed_checks(verdict)),
        },
    )
    return ops


def failed_checks(verdict: Mapping[str, Any]) -> list[str]:
    return [c.get("name", "?") for c in verdict["checks"] if c.get("passed") is not True]


def verdict_passed(verdict: Mapping[str, Any]) -> bool:
    """Passed only if it says so and every check it lists passed: a verdict file that says
    passed over a failed check is a failed node."""
    return verdict.get("passed") is True and bool(verdict["checks"]) and not failed_checks(verdict)


def failure_message(verdict: Mapping[str, Any]) -> str:
    parts = [
        f"{c.get('name')} failed: figure {json.dumps(c.get('figure'))}, expected {json.dumps(c.get('expected'))}: "
        f"{c.get('detail')}"
        for c in verdict["checks"]
        if c.get("passed") is not True
    ]
    message = "; ".join(parts) or "no check ran"
    return message if len(message) <= EVENT_MESSAGE_LIMIT else message[: EVENT_MESSAGE_LIMIT - 3] + "..."


def node_event(node: Mapping[str, Any], verdict: Mapping[str, Any], now: datetime.datetime) -> dict[str, Any]:
    """A Warning about the node. `kubectl describe node` shows it: it lists the events whose
    involvedObject is the node (kind, name, uid) in every namespace (kubectl
    pkg/describe/describe.go, NodeDescriber and searchEvents)."""
    name = node["metadata"]["name"]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "v1",
        "kind": "Event",
        # <object>.<unix nanoseconds in hex>, as client-go's recorder names events (tools/record/event.go).
        "metadata": {"name": f"{name}.{int(now.timestamp() * 1e9):x}", "namespace": EVENT_NAMESPACE},
        "involvedObject": {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node["metadata"].get("uid", "")},
        "reason": EVENT_REASON,
        "type": "Warning",
        "message": failure_message(verdict),
        "source": {"component": "gpu-eks-health-check", "host": name},
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def instance_id(node: Mapping[str, Any]) -> str:
    provider_id = node.get("spec", {}).get("providerID", "")
    m = PROVIDER_ID.match(provider_id)
    if not m:
        raise ActError(f"node {node['metadata']['name']}: spec.providerID {provider_id!r} is not aws:///<zone>/<instance id>")
    return m.group(1)


@dataclass(frozen=True, kw_only=True)
class AwsTarget:
    region: str
    endpoint: str
    environ: Mapping[str, str] = field(default_factory=dict)


def report_unhealthy(node: Mapping[str, Any], aws: AwsTarget, now: datetime.datetime) -> str:
    instance = instance_id(node)
    set_instance_unhealthy(
        instance, region=aws.region, endpoint=aws.endpoint, credentials=pod_identity_credentials(aws.environ), now=now
    )
    return instance


def act(
    verdict: Mapping[str, Any],
    *,
    node_name: str,
    taint: Taint,
    kube: KubeClient,
    aws: AwsTarget,
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.timezone.utc),
    log: Callable[[str], None] = print,
) -> None:
    """Apply the verdict to the node. A failed node is never untainted: only the pass branch
    removes the taint, and only when every check passed."""
    passed = verdict_passed(verdict)
    for attempt in range(1, 6):
        node = kube.get_node(node_name)
        stamp = now().strftime(CHECKED_AT_FORMAT)
        operations = (pass_operations if passed else fail_operations)(node, verdict, taint, stamp)
        try:
            kube.patch_node(node_name, operations)
            break
        except ActError as error:
            # The node changed between the GET and the PATCH: the API server answers a JSON patch
            # whose test fails with 422 (k8s.io/apiserver pkg/endpoints/handlers/patch.go,
            # jsonPatcher.applyJSPatch), a stale write with 409.
            if attempt == 5 or not re.search(r"HTTP (409|422)", str(error)):
                raise
            log(f"check_node: node {node_name} changed while patching, again ({error})")
    if passed:
        log(f"check_node: node {node_name} passed: startup taint {taint.key} removed, labelled {taint.key}=passed")
        return
    log(f"check_node: node {node_name} failed {', '.join(failed_checks(verdict))}: labelled {taint.key}=failed, taint kept")
    kube.create_event(node_event(node, verdict, now()))
    instance = report_unhealthy(node, aws, now())
    log(f"check_node: instance {instance} set Unhealthy in its Auto Scaling group")


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

EXPECTATION_FLAGS = {
    "accelerator_kind": str,
    "accelerators": int,
    "accelerator_model": str,
    "accelerator_memory_gib": int,
    "efa_interfaces": int,
    "efa_provider": str,
    "dcgm_level": int,
    "nccl_min_busbw_gbps": float,
}


def _add_expectations(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("expectations (flags override --expectations)")
    group.add_argument("--expectations", type=Path, metavar="FILE", help="JSON object with the fields below")
    for name, kind in EXPECTATION_FLAGS.items():
        group.add_argument("--" + name.replace("_", "-"), dest=name, type=str, metavar=kind.__name__.upper())


def _expectations(args: argparse.Namespace) -> Expectations:
    values: dict[str, Any] = {}
    flagged = [name for name in EXPECTATION_FLAGS if getattr(args, name) is not None]
    source = "flags"
    if args.expectations:
        source = f"{args.expectations} and flags" if flagged else str(args.expectations)
        try:
            values = json.loads(args.expectations.read_text())
        except OSError as error:
            raise UsageError(f"{source}: cannot read: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise UsageError(f"{source}: not JSON: {error.msg} at line {error.lineno}") from None
        if not isinstance(values, dict):
            raise UsageError(f"{source}: a JSON object is required, got {type(values).__name__}")
    for name in flagged:
        kind, raw = EXPECTATION_FLAGS[name], getattr(args, name)
        try:
            values[name] = kind(raw)
        except ValueError:
            wanted = "a whole number" if kind is int else "a number"
            raise UsageError(f"--{name.replace('_', '-')}: {wanted} is required, got {raw!r}") from None
    return expectations_from(values, source)


def _tools(args: argparse.Namespace) -> Tools:
    sizes = tuple(args.nccl_sizes.split(":")) if args.nccl_sizes else Tools.nccl_sizes
    if len(sizes) != 2 or not all(re.fullmatch(r"\d+[KMG]?", s) for s in sizes):
        raise UsageError(f"--nccl-sizes: MIN:MAX such as 1G:4G, got {args.nccl_sizes!r}")
    return Tools(
        nvidia_smi=args.nvidia_smi,
        dcgmi=args.dcgmi,
        fi_info=args.fi_info,
        all_reduce_perf=args.all_reduce_perf,
        neuron_ls=args.neuron_ls,
        nccl_launcher=tuple(shlex.split(args.nccl_launcher or "")),
        nccl_sizes=sizes,
    )


def _add_collect(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip", action="append", default=[], choices=STEPS, help="a step collected elsewhere (dcgm, by the DCGM init container)"
    )
    for name, default in asdict(Tools()).items():
        if name not in ("nccl_launcher", "nccl_sizes"):
            parser.add_argument("--" + name.replace("_", "-"), default=default, help=f"(default {default})")
    parser.add_argument("--nccl-launcher", help="words before all_reduce_perf, e.g. 'mpirun --allow-run-as-root -np 1'")
    parser.add_argument("--nccl-sizes", help="MIN:MAX message sizes for all_reduce_perf (default 1G:4G)")


def _add_act(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", default=os.environ.get("NODE_NAME"), help="node name (default $NODE_NAME)")
    parser.add_argument("--taint", required=True, help="the startup taint, KEY=VALUE:EFFECT; KEY is also the label")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        help="the cluster's region (default $AWS_REGION)",
    )
    parser.add_argument("--autoscaling-endpoint", help="default https://autoscaling.<region>.amazonaws.com/")
    parser.add_argument("--kube-api", help="default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT")
    parser.add_argument("--kube-token-file", type=Path, help=f"default {SERVICE_ACCOUNT_DIR}/token")
    parser.add_argument("--kube-ca-file", type=Path, help=f"default {SERVICE_ACCOUNT_DIR}/ca.crt")


def _seconds(text: str) -> int:
    if not re.fullmatch(r"[1-9][0-9]*", text):
        raise argparse.ArgumentTypeError(f"a whole number of seconds above 0 is required, got {text!r}")
    return int(text)


def _act_targets(args: argparse.Namespace) -> tuple[Taint, KubeClient, AwsTarget]:
    if not args.node:
        raise UsageError("--node: the node's name is required (or set $NODE_NAME from spec.nodeName)")
    if not args.region:
        raise UsageError("--region: the cluster's region is required (or set $AWS_REGION)")
    taint = Taint.parse(args.taint)
    kube = KubeClient.in_cluster(api=args.kube_api, token_file=args.kube_token_file, ca_file=args.kube_ca_file)
    aws = AwsTarget(
        region=args.region, endpoint=args.autoscaling_endpoint or autoscaling_endpoint(args.region), environ=dict(os.environ)
    )
    return taint, kube, aws


def _decide_and_save(results: Path, expect: Expectations) -> dict[str, Any]:
    verdict = decide(read_results(results), expect)
    (results / VERDICT_FILE).write_text(json.dumps(verdict, indent=2) + "\n")
    print(json.dumps(verdict, indent=2))
    return verdict


def _read_verdict(results: Path) -> dict[str, Any]:
    path = results / VERDICT_FILE
    try:
        verdict = json.loads(path.read_text())
    except OSError as error:
        raise UsageError(f"{path}: cannot read the verdict: {error.strerror}; run decide first") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}: not JSON: {error.msg} at line {error.lineno}") from None
    if not (isinstance(verdict, dict) and isinstance(verdict.get("passed"), bool) and isinstance(verdict.get("checks"), list)):
        raise UsageError(f"{path}: not a verdict (needs 'passed' true/false and 'checks')")
    return verdict


def wait_forever() -> None:
    """Sleep until SIGTERM (pod deletion), then exit 0."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


def run(args: argparse.Namespace) -> None:
    expect = _expectations(args)
    tools = _tools(args)
    taint, kube, aws = _act_targets(args)
    node = kube.get_node(args.node)
    state = node.get("metadata", {}).get("labels", {}).get(taint.key)
    if state == "failed":
        print(f"check_node: node {args.node} is already labelled {taint.key}=failed: not checking it again")
        instance = report_unhealthy(node, aws, datetime.datetime.now(datetime.timezone.utc))
        print(f"check_node: instance {instance} set Unhealthy in its Auto Scaling group")
    elif state == "passed":
        print(f"check_node: node {args.node} is already labelled {taint.key}=passed: nothing to do")
    else:
        collect(args.results, expect, tools, skip=tuple(args.skip))
        act(_decide_and_save(args.results, expect), node_name=args.node, taint=taint, kube=kube, aws=aws)
    sys.stdout.flush()
    wait_forever()


def recheck_skip_reason(node: Mapping[str, Any], taint: Taint, fresh_for: int, now: datetime.datetime) -> str | None:
    """Why the periodic recheck leaves this node alone, or None to check it.

    Only a node that passed is rechecked: a pending or failed one is the DaemonSet's. One
    checked within `fresh_for` seconds (the recheck Job's deadline) was checked in this very
    run, or has just passed the gate: the Job's other pods, which find the node free once the
    first is done, must not check it again.
    """
    metadata = node.get("metadata", {})
    name = metadata.get("name", "?")
    state = (metadata.get("labels") or {}).get(taint.key)
    if state != "passed":
        return f"node {name} is labelled {taint.key}={state or '(none)'}, not passed: the gate's DaemonSet has it"
    stamp = (metadata.get("annotations") or {}).get(taint.key + CHECKED_AT)
    try:
        checked = datetime.datetime.strptime(stamp or "", CHECKED_AT_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None  # no readable time of the last check: check it
    age = (now - checked).total_seconds()
    if age < fresh_for:
        return f"node {name} was checked {int(age)} s ago ({stamp}), within --fresh-for {fresh_for} s"
    return None


def _stop_on_sigterm() -> None:
    """A preempted recheck ends now, with no verdict: the node is as it was. (As PID 1 the
    program would otherwise ignore SIGTERM and run on until SIGKILL.)"""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(143))


def recheck_start(args: argparse.Namespace) -> None:
    taint, kube, _ = _act_targets(args)
    now = datetime.datetime.now(datetime.timezone.utc)
    reason = recheck_skip_reason(kube.get_node(args.node), taint, args.fresh_for, now)
    args.results.mkdir(parents=True, exist_ok=True)
    if reason:
        (args.results / SKIP_FILE).write_text(reason + "\n")
    print(f"check_node: {reason or f'node {args.node}: rechecking'}")


def recheck(args: argparse.Namespace) -> None:
    expect = _expectations(args)
    tools = _tools(args)
    taint, kube, aws = _act_targets(args)
    skip_file = args.results / SKIP_FILE
    reason = skip_file.read_text().strip() if skip_file.exists() else None
    if reason is None:
        now = datetime.datetime.now(datetime.timezone.utc)
        reason = recheck_skip_reason(kube.get_node(args.node), taint, args.fresh_for, now)
    if reason:
        print(f"check_node: {reason}: not rechecking it")
        return
    collect(args.results, expect, tools, skip=tuple(args.skip))
    verdict = _decide_and_save(args.results, expect)
    # From here on the verdict is reached: a SIGTERM now (the gate's DaemonSet pod preempting
    # this one once the node is labelled failed) must not cut the event and the Auto Scaling
    # report short. act takes seconds; the pod's grace period is RECHECK_GRACE_SECONDS.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    act(verdict, node_name=args.node, taint=taint, kube=kube, aws=aws)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check_node.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("collect", "run the tools, save raw output and exit codes"),
        ("decide", "judge the saved output; write verdict.json; exit 1 on fail"),
        ("act", "apply verdict.json to the node"),
        ("run", "collect, decide, act, then wait for the pod's deletion"),
        ("recheck-start", "leave a skip file when the periodic recheck should leave this node alone"),
        ("recheck", "recheck a node that passed, unless skipped or checked within --fresh-for; exit 0 on either verdict"),
    ):
        sub = commands.add_parser(name, help=helptext)
        sub.add_argument("--results", type=Path, required=True, help="the results directory (an emptyDir)")
        if name in ("collect", "decide", "run", "recheck"):
            _add_expectations(sub)
        if name in ("collect", "run", "recheck"):
            _add_collect(sub)
        if name in ("act", "run", "recheck-start", "recheck"):
            _add_act(sub)
        if name in ("recheck-start", "recheck"):
            sub.add_argument(
                "--fresh-for",
                type=_seconds,
                required=True,
                metavar="SECONDS",
                help="leave a node whose last check is younger than this alone",
            )
    args = parser.parse_args(argv)
    if args.command in ("recheck-start", "recheck"):
        _stop_on_sigterm()
    try:
        if args.command == "collect":
            collect(args.results, _expectations(args), _tools(args), skip=tuple(args.skip))
        elif args.command == "decide":
            return 0 if _decide_and_save(args.results, _expectations(args))["passed"] else 1
        elif args.command == "recheck-start":
            recheck_start(args)
        elif args.command == "recheck":
            recheck(args)
        elif args.command == "act":
            verdict = _read_verdict(args.results)
            taint, kube, aws = _act_targets(args)
            act(verdict, node_name=args.node, taint=taint, kube=kube, aws=aws)
        else:
            run(args)
    except UsageError as error:
        print(f"check_node: {error}", file=sys.stderr)
        return 2
    except ActError as error:
        print(f"check_node: {args.command} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
