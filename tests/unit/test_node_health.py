"""The node health gate (node_health/check_node.py) on recorded tool output, and what it does
to the node, the Kubernetes Event and the Auto Scaling group.

The recorded outputs and their sources are in tests/data/node_health/README.md. The
Kubernetes API is a stand-in (no API server can run here): an HTTPS server on 127.0.0.1
with a certificate made for the test, which applies JSON patches with the real `jsonpatch`
library and answers as the API server does where the program depends on it (422 for a
patch whose test fails, the Event namespace rule). The AWS side is a recording server for
the Pod Identity agent and the Auto Scaling endpoint, whose signatures are checked with
botocore's own SigV4 signer, and moto, which proves the request is a SetInstanceHealth call
the Auto Scaling API accepts.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path

import jsonpatch
import pytest

from cluster_config import catalog
from node_health import check_node as cn
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "node_health"
PROGRAM = ROOT / "node_health" / "check_node.py"
TAINT = "gpu-eks/health=pending:NoSchedule"  # issue 19's startup taint; its key is also the label
REGION = "us-east-1"
NOW = datetime.datetime(2026, 8, 24, 9, 30, 5, tzinfo=datetime.timezone.utc)

P5 = catalog.lookup("p5.48xlarge")
TRN2 = catalog.lookup("trn2.48xlarge")
P5_EXPECT = cn.Expectations(
    accelerator_kind="nvidia",
    accelerators=P5.accelerators,
    accelerator_model="NVIDIA H100 80GB HBM3",  # nvidia-smi's name on p5.48xlarge (README: nvidia-smi)
    efa_interfaces=P5.max_efa_interfaces,
    dcgm_level=2,
    nccl_min_busbw_gbps=360.0,  # 0.75 x ~480 GB/s, the 8x H100 single-node peak (nccl-tests#212)
)
TRN2_EXPECT = cn.Expectations(
    accelerator_kind="neuron", accelerators=TRN2.accelerators, accelerator_memory_gib=int(TRN2.accelerator_memory_gib)
)

# step -> (stdout fixture, exit status, stderr fixture) of a healthy p5.48xlarge
P5_HEALTHY = {
    "nvidia_smi": ("nvidia_smi/p5_healthy.stdout", "0", None),
    "dcgm": ("dcgm/r2_pass_8gpu.stdout", "0", None),
    "fi_info": ("fi_info/p5_32_efa.stdout", "0", None),
    "nccl": ("nccl/p5_healthy.stdout", "0", None),
}

# name -> (steps replaced in the healthy p5 outputs, {each check that must fail: its figure})
P5_FAILURES = {
    "missing GPU": ({"nvidia_smi": ("nvidia_smi/p5_missing_gpu.stdout", "0", None)}, {"gpu_count": 7}),
    "wrong model": ({"nvidia_smi": ("nvidia_smi/p4d_a100_40gb.stdout", "0", None)}, {"gpu_model": ["NVIDIA A100-SXM4-40GB"]}),
    # dcgmi exits with DCGM_ST_NVVS_ISOLATE_ERROR (-51) for an isolate-class failure (dcgmi/Diag.cpp)
    "DCGM memory failure": (
        {"dcgm": ("dcgm/r2_fail_dbe_gpu3.stdout", "205", None)},
        {"dcgm_diag": {"software": "Pass", "memory": "Fail", "pcie": "Pass"}},
    ),
    "missing EFA device": ({"fi_info": ("fi_info/p5_31_efa.stdout", "0", None)}, {"efa_count": 31}),
    "wrong provider": ({"fi_info": ("fi_info/p5_rxd_only.stdout", "0", None)}, {"efa_provider": ["efa", "efa;ofi_rxd"]}),
    "no EFA at all": ({"fi_info": (None, "1", "fi_info/no_efa.stderr")}, {"efa_count": 0, "efa_provider": []}),
    "NCCL below floor": ({"nccl": ("nccl/p5_below_floor.stdout", "0", None)}, {"nccl_busbw": 206.4}),
    # all_reduce_perf exits testNumResults (7) when a check found wrong elements (src/common.cu)
    "NCCL wrong results": ({"nccl": ("nccl/p5_wrong_results.stdout", "7", None)}, {"nccl_correctness": 2048}),
    # nvidia-smi exits 9 when the NVIDIA driver is not loaded (nvidia-smi(1), RETURN VALUE)
    "nvidia-smi crashed": (
        {"nvidia_smi": ("nvidia_smi/driver_not_loaded.stdout", "9", None)},
        {"gpu_count": None, "gpu_model": None},
    ),
    "all_reduce_perf timed out": (
        {"nccl": ("nccl/p5_timed_out.stdout", "timeout", None)},
        {"nccl_busbw": None, "nccl_correctness": None},
    ),
    "dcgmi without host engine": ({"dcgm": ("dcgm/no_host_engine.stdout", "226", None)}, {"dcgm_diag": None}),
    "DCGM output cut short": ({"dcgm": ("dcgm/r2_truncated.stdout", "0", None)}, {"dcgm_diag": None}),
    "nvidia-smi table instead of CSV": (
        {"nvidia_smi": ("nvidia_smi/p5_table_not_csv.stdout", "0", None)},
        {"gpu_count": None, "gpu_model": None},
    ),
    "tool not installed": (
        {"fi_info": (None, "error: fi_info: No such file or directory", None)},
        {"efa_count": None, "efa_provider": None},
    ),
}


def write_results(directory: Path, steps: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for step, (stdout, status, stderr) in steps.items():
        (directory / f"{step}.stdout").write_text((DATA / stdout).read_text() if stdout else "")
        (directory / f"{step}.stderr").write_text((DATA / stderr).read_text() if stderr else "")
        (directory / f"{step}.exit").write_text(status + "\n")
    return directory


def verdict_for(tmp_path: Path, steps: dict, expect: cn.Expectations = P5_EXPECT) -> dict:
    return cn.decide(cn.read_results(write_results(tmp_path / "results", steps)), expect)


def by_name(verdict: dict) -> dict:
    return {c["name"]: c for c in verdict["checks"]}


# ---------------------------------------------------------------------------
# decide
# ---------------------------------------------------------------------------


def test_a_healthy_p5_passes_every_check_with_its_figures(tmp_path):
    verdict = verdict_for(tmp_path, P5_HEALTHY)
    checks = by_name(verdict)
    assert verdict["passed"] and verdict["failed_checks"] == []
    assert set(checks) == {"gpu_count", "gpu_model", "dcgm_diag", "nccl_busbw", "nccl_correctness", "efa_count", "efa_provider"}
    assert checks["gpu_count"]["figure"] == 8 and checks["efa_count"]["figure"] == 32
    assert checks["gpu_model"]["figure"] == ["NVIDIA H100 80GB HBM3"]
    assert checks["dcgm_diag"]["figure"] == {"software": "Pass", "memory": "Pass", "pcie": "Pass"}
    assert checks["nccl_busbw"]["figure"] == 479.72  # the 4 GiB row
    assert "469.895" in checks["nccl_busbw"]["detail"]  # the table's "# Avg bus bandwidth"
    assert checks["efa_provider"]["figure"] == ["efa"]


@pytest.mark.parametrize("case", P5_FAILURES, ids=str)
def test_each_kind_of_failure_fails_exactly_its_checks_and_names_the_figure(tmp_path, case):
    replaced, failing = P5_FAILURES[case]
    verdict = verdict_for(tmp_path, {**P5_HEALTHY, **replaced})
    assert not verdict["passed"]
    assert set(verdict["failed_checks"]) == set(failing)
    assert {name: by_name(verdict)[name]["figure"] for name in failing} == failing
    assert all(c["passed"] for c in verdict["checks"] if c["name"] not in failing)


def test_the_failures_say_what_went_wrong(tmp_path):
    def detail(case, check):
        replaced = P5_FAILURES[case][0]
        return by_name(verdict_for(tmp_path / case.replace(" ", "_"), {**P5_HEALTHY, **replaced}))[check]["detail"]

    assert "GPU 3: Detected 2 volatile double-bit ECC error(s) in GPU 3." in detail("DCGM memory failure", "dcgm_diag")
    assert "exited 9" in detail("nvidia-smi crashed", "gpu_count")
    assert "couldn't communicate with the NVIDIA driver" in detail("nvidia-smi crashed", "gpu_count")
    assert "timed out" in detail("all_reduce_perf timed out", "nccl_busbw")
    assert "unparseable" in detail("DCGM output cut short", "dcgm_diag")
    assert "unparseable" in detail("dcgmi without host engine", "dcgm_diag")
    assert "could not start" in detail("tool not installed", "efa_count")
    assert "exited 7" in detail("NCCL wrong results", "nccl_correctness")
    assert "none (fi_getinfo: -61)" in detail("no EFA at all", "efa_count")


@pytest.mark.parametrize("step", P5_HEALTHY)
def test_a_check_whose_output_is_missing_fails_rather_than_passes(tmp_path, step):
    steps = {s: v for s, v in P5_HEALTHY.items() if s != step}
    verdict = verdict_for(tmp_path, steps)
    assert not verdict["passed"]
    failed = [c for c in verdict["checks"] if not c["passed"]]
    assert failed and all(f"{step} was not collected" in c["detail"] for c in failed)


def test_a_step_still_running_when_the_results_were_read_counts_as_missing(tmp_path):
    results = write_results(tmp_path / "results", P5_HEALTHY)
    (results / "nccl.exit").unlink()  # the exit file is written last
    verdict = cn.decide(cn.read_results(results), P5_EXPECT)
    assert set(verdict["failed_checks"]) == {"nccl_busbw", "nccl_correctness"}


def test_a_higher_dcgm_level_is_not_met_by_a_level_2_run(tmp_path):
    verdict = verdict_for(tmp_path, P5_HEALTHY, cn.Expectations(**{**asdict(P5_EXPECT), "dcgm_level": 3}))
    assert verdict["failed_checks"] == ["dcgm_diag"]
    assert "diagnostic: missing" in by_name(verdict)["dcgm_diag"]["detail"]


def test_a_required_dcgm_test_that_skipped_proved_nothing(tmp_path):
    results = write_results(tmp_path / "results", P5_HEALTHY)
    document = json.loads((results / "dcgm.stdout").read_text())
    [memory] = [t for c in document["DCGM Diagnostic"]["test_categories"] for t in c["tests"] if t["name"] == "memory"]
    memory["test_summary"]["status"] = "Skip"
    for result in memory["results"]:
        result["status"] = "Skip"
    (results / "dcgm.stdout").write_text(json.dumps(document))
    check = by_name(cn.decide(cn.read_results(results), P5_EXPECT))["dcgm_diag"]
    assert not check["passed"] and check["figure"]["memory"] == "Skip" and "memory: Skip" in check["detail"]


def test_dcgmi_failing_with_every_test_passed_still_fails(tmp_path):
    verdict = verdict_for(tmp_path, {**P5_HEALTHY, "dcgm": ("dcgm/r2_pass_8gpu.stdout", "226", None)})
    assert verdict["failed_checks"] == ["dcgm_diag"]
    assert "exited 226" in by_name(verdict)["dcgm_diag"]["detail"]


def test_the_floor_is_inclusive_and_a_hair_above_the_peak_fails(tmp_path):
    at = cn.Expectations(**{**asdict(P5_EXPECT), "nccl_min_busbw_gbps": 479.72})
    above = cn.Expectations(**{**asdict(P5_EXPECT), "nccl_min_busbw_gbps": 479.73})
    assert verdict_for(tmp_path / "at", P5_HEALTHY, at)["passed"]
    assert verdict_for(tmp_path / "above", P5_HEALTHY, above)["failed_checks"] == ["nccl_busbw"]


def test_a_trn2_node_is_judged_by_neuron_ls(tmp_path):
    healthy = verdict_for(tmp_path / "ok", {"neuron_ls": ("neuron_ls/trn2_48xlarge.stdout", "0", None)}, TRN2_EXPECT)
    assert healthy["passed"]
    assert by_name(healthy)["neuron_count"]["figure"] == 16 and by_name(healthy)["neuron_memory"]["figure"] == [96]
    short = verdict_for(tmp_path / "short", {"neuron_ls": ("neuron_ls/trn2_48xlarge_15_devices.stdout", "0", None)}, TRN2_EXPECT)
    assert short["failed_checks"] == ["neuron_count"] and by_name(short)["neuron_count"]["figure"] == 15


def test_neuron_expectations_with_efa_need_the_efa_output(tmp_path):
    expect = cn.Expectations(**{**asdict(TRN2_EXPECT), "efa_interfaces": TRN2.max_efa_interfaces})
    verdict = verdict_for(tmp_path, {"neuron_ls": ("neuron_ls/trn2_48xlarge.stdout", "0", None)}, expect)
    assert set(verdict["failed_checks"]) == {"efa_count", "efa_provider"}


@pytest.mark.parametrize(
    "values, field",
    [
        ({"accelerators": 8}, "accelerator_kind"),
        ({"accelerator_kind": "amd", "accelerators": 8}, "accelerator_kind"),
        ({"accelerator_kind": "nvidia", "accelerator_model": "NVIDIA H100 80GB HBM3"}, "accelerators"),
        ({"accelerator_kind": "nvidia", "accelerators": 0, "accelerator_model": "x"}, "accelerators"),
        ({"accelerator_kind": "nvidia", "accelerators": 8}, "accelerator_model"),
        ({"accelerator_kind": "nvidia", "accelerators": 8, "accelerator_model": "x", "dcgm_level": 5}, "dcgm_level"),
        (
            {"accelerator_kind": "nvidia", "accelerators": 8, "accelerator_model": "x", "nccl_min_busbw_gbps": -1},
            "nccl_min_busbw_gbps",
        ),
        ({"accelerator_kind": "neuron", "accelerators": 16}, "accelerator_memory_gib"),
        ({"accelerator_kind": "neuron", "accelerators": 16, "accelerator_memory_gib": 96, "dcgm_level": 2}, "dcgm_level"),
        ({"accelerator_kind": "nvidia", "accelerators": 8, "accelerator_model": "x", "gpus": 8}, "gpus"),
    ],
)
def test_bad_expectations_are_refused_naming_the_field(values, field):
    with pytest.raises(cn.UsageError, match=field):
        cn.expectations_from(values, "expect.json")


def test_the_command_line_reports_bad_input_in_one_line_and_exits_2(tmp_path, capsys):
    code = cn.main(
        [
            "decide",
            "--results",
            str(tmp_path),
            "--accelerator-kind",
            "nvidia",
            "--accelerators",
            "eight",
            "--accelerator-model",
            "NVIDIA H100 80GB HBM3",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err == "check_node: --accelerators: a whole number is required, got 'eight'\n"
    bad_file = tmp_path / "expect.json"
    bad_file.write_text('{"accelerator_kind": "nvidia", "accelerators": 8, "accelerator_model": "x", "dcgm_level": 7}')
    assert cn.main(["decide", "--results", str(tmp_path), "--expectations", str(bad_file)]) == 2
    assert "expect.json: field 'dcgm_level': 0 (off) or a dcgmi diag level 1 to 4, got 7" in capsys.readouterr().err


def test_decide_on_the_command_line_writes_the_verdict_and_exits_1_on_fail(tmp_path, capsys):
    results = write_results(tmp_path / "results", {**P5_HEALTHY, **P5_FAILURES["missing GPU"][0]})
    expect = tmp_path / "expect.json"
    expect.write_text(json.dumps({k: v for k, v in asdict(P5_EXPECT).items() if v is not None}))
    assert cn.main(["decide", "--results", str(results), "--expectations", str(expect)]) == 1
    assert json.loads((results / "verdict.json").read_text())["failed_checks"] == ["gpu_count"]
    assert cn.main(["decide", "--results", str(write_results(tmp_path / "ok", P5_HEALTHY)), "--expectations", str(expect)]) == 0
    capsys.readouterr()


# ---------------------------------------------------------------------------
# collect, and the DCGM init container's command
# ---------------------------------------------------------------------------


def fake_tool(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def fake_p5_tools(directory: Path, calls: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, fixture in (("nvidia-smi", "nvidia_smi/p5_healthy.stdout"), ("fi_info", "fi_info/p5_32_efa.stdout")):
        fake_tool(directory, name, f'echo "{name} $*" >> {calls}\ncat {DATA / fixture}\n')
    fake_tool(
        directory,
        "all_reduce_perf",
        f'echo "all_reduce_perf $* root=$OMPI_ALLOW_RUN_AS_ROOT" >> {calls}\ncat {DATA / "nccl/p5_healthy.stdout"}\n',
    )


def test_collect_runs_the_tools_with_the_queries_decide_reads(tmp_path):
    tools, calls = tmp_path / "bin", tmp_path / "calls"
    fake_p5_tools(tools, calls)
    results = tmp_path / "results"
    ran = cn.collect(
        results,
        P5_EXPECT,
        cn.Tools(
            nvidia_smi=str(tools / "nvidia-smi"), fi_info=str(tools / "fi_info"), all_reduce_perf=str(tools / "all_reduce_perf")
        ),
        skip=("dcgm",),
        log=lambda _: None,
    )
    assert ran == ["nvidia_smi", "fi_info", "nccl"]
    assert calls.read_text().splitlines() == [
        "nvidia-smi --query-gpu=index,name,uuid,pci.bus_id,memory.total --format=csv,noheader,nounits",
        "fi_info -p efa",
        "all_reduce_perf -b 1G -e 4G -f 2 -g 8 -c 1 root=1",
    ]
    write_results(results, {"dcgm": P5_HEALTHY["dcgm"]})
    assert cn.decide(cn.read_results(results), P5_EXPECT)["passed"]


def test_fi_info_is_run_from_where_the_efa_installer_puts_it_not_from_path():
    """The Neuron training image does not put /opt/amazon/efa/bin on PATH (check_node.Tools):
    by name, fi_info would not start there and every Trainium EFA node would fail its gate."""
    assert cn.step_command("fi_info", TRN2_EXPECT, cn.Tools()) == ["/opt/amazon/efa/bin/fi_info", "-p", "efa"]


def test_collect_records_a_hung_tool_as_timed_out_and_a_missing_one_as_not_started(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake_tool(tools, "all_reduce_perf", "sleep 30\n")
    results = tmp_path / "results"
    started = time.monotonic()
    cn.collect(
        results,
        P5_EXPECT,
        cn.Tools(nvidia_smi=str(tools / "absent"), fi_info=str(tools / "absent"), all_reduce_perf=str(tools / "all_reduce_perf")),
        skip=("dcgm",),
        timeouts={**cn.STEP_TIMEOUTS_SECONDS, "nccl": 1},
        log=lambda _: None,
    )
    assert time.monotonic() - started < 20
    assert (results / "nccl.exit").read_text() == "timeout\n"
    assert (results / "nvidia_smi.exit").read_text().startswith("error: ")
    read = cn.read_results(results)
    assert read["nccl"].timed_out and read["nvidia_smi"].error


@pytest.mark.parametrize(
    "dcgmi, status",
    [
        (f"cat {DATA / 'dcgm/r2_pass_8gpu.stdout'}\n", "0"),
        (f"cat {DATA / 'dcgm/r2_fail_dbe_gpu3.stdout'}\nexit 205\n", "205"),
        ("sleep 30\n", "timeout"),
    ],
)
def test_the_dcgm_init_command_leaves_the_files_decide_reads_and_always_exits_0(tmp_path, dcgmi, status):
    tools, results = tmp_path / "bin", tmp_path / "results dir"
    tools.mkdir()
    results.mkdir()
    fake_tool(tools, "dcgmi", dcgmi)
    argv = cn.dcgm_init_command(2, str(results), timeout_seconds=1)
    done = subprocess.run(argv, env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}, timeout=60)
    assert done.returncode == 0
    assert (results / "dcgm.exit").read_text() == status + "\n"
    check = by_name(cn.decide(cn.read_results(results), P5_EXPECT))["dcgm_diag"]
    assert check["passed"] == (status == "0")


# ---------------------------------------------------------------------------
# act: the Kubernetes API and AWS, on 127.0.0.1
# ---------------------------------------------------------------------------


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "ca.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class Server:
    """A threaded HTTP(S) server on 127.0.0.1, port 0, that records every request."""

    def __init__(self, handle, tls: tuple[Path, Path] | None = None):
        self.requests: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": self.rfile.read(length),
                }
                owner.requests.append(request)
                status, body, kind = handle(request)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = _serve

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*map(str, tls))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def json_answer(status: int, value) -> tuple[int, bytes, str]:
    return status, json.dumps(value).encode(), "application/json"


class FakeKube:
    """The API calls the program makes: GET and JSON-patch a node, create an Event."""

    def __init__(self, directory: Path, node: dict):
        self.token_file = directory / "token"
        self.token_file.write_text("sa-token-123\n")
        self.ca_file, key_file = self_signed(directory)
        self.node = node
        self.events: list[dict] = []
        self.before_patch = None  # a change another client makes between our GET and PATCH
        self.server = Server(self.handle, tls=(self.ca_file, key_file))

    def handle(self, request):
        if request["headers"].get("Authorization") != "Bearer sa-token-123":
            return json_answer(401, {"kind": "Status", "message": "Unauthorized"})
        node_path = f"/api/v1/nodes/{self.node['metadata']['name']}"
        if request["method"] == "GET" and request["path"] == node_path:
            return json_answer(200, self.node)
        if request["method"] == "PATCH" and request["path"] == node_path:
            if request["headers"].get("Content-Type") != "application/json-patch+json":
                return json_answer(415, {"message": "unsupported media type"})
            if self.before_patch:
                self.before_patch(self.node)
                self.before_patch = None
            try:
                self.node = jsonpatch.apply_patch(self.node, json.loads(request["body"]))
            except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
                return json_answer(422, {"kind": "Status", "message": str(error)})
            return json_answer(200, self.node)
        if request["method"] == "POST" and (m := re.fullmatch(r"/api/v1/namespaces/([^/]+)/events", request["path"])):
            event = json.loads(request["body"])
            # legacyValidateEvent: an Event about a cluster-scoped object lives in "default"
            if not event["involvedObject"].get("namespace") and m.group(1) not in ("", "default"):
                return json_answer(422, {"message": "involvedObject.namespace: does not match event.namespace"})
            self.events.append({**event, "namespace": m.group(1)})
            return json_answer(201, event)
        return json_answer(404, {"message": f"no route {request['method']} {request['path']}"})

    def client(self) -> cn.KubeClient:
        return cn.KubeClient(base_url=self.server.url, token_file=self.token_file, ca_file=self.ca_file)

    def taints(self) -> list[dict]:
        return self.node["spec"].get("taints", [])


SESSION = {
    "AccessKeyId": "ASIAPODIDENTITY0001",
    "SecretAccessKey": "pod/identity+secret/key",
    "Token": "IQoJb3JpZ2luX2VjEPodIdentityToken==",
    "Expiration": "2026-08-24T15:30:05Z",
}


class FakeAws:
    """The EKS Pod Identity agent (GET /v1/credentials) and the Auto Scaling Query endpoint."""

    def __init__(self, directory: Path):
        self.token_file = directory / "eks-pod-identity-token"
        self.token_file.write_text("pod-identity-jwt\n")
        self.server = Server(self.handle)
        self.environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.server.url + "/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(self.token_file),
        }

    def handle(self, request):
        if request["method"] == "GET" and request["path"] == "/v1/credentials":
            if request["headers"].get("Authorization") != "pod-identity-jwt":
                return json_answer(403, {"message": "bad token"})
            return json_answer(200, SESSION)
        if request["method"] == "POST" and request["path"] == "/":
            body = (
                b'<SetInstanceHealthResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
                b"<ResponseMetadata><RequestId>7c6e177f</RequestId></ResponseMetadata></SetInstanceHealthResponse>"
            )
            return 200, body, "text/xml"
        return json_answer(404, {})

    def target(self) -> cn.AwsTarget:
        return cn.AwsTarget(region=REGION, endpoint=self.server.url + "/", environ=self.environ)

    def health_calls(self) -> list[dict]:
        return [r for r in self.server.requests if r["method"] == "POST"]


INSTANCE = "i-0a1b2c3d4e5f60718"


def new_node(taints=None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": "ip-10-1-130-17.ec2.internal",
            "uid": "5b2c7f0e-8d41-4a39-9f0c-3e1d2a6b7c88",
            "resourceVersion": "4242",
            "labels": {
                "node.kubernetes.io/instance-type": "p5.48xlarge",
                "kubernetes.io/hostname": "ip-10-1-130-17.ec2.internal",
            },
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {
            "providerID": f"aws:///us-east-1a/{INSTANCE}",
            "taints": taints
            if taints is not None
            else [
                {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
                {"key": "gpu-eks/health", "value": "pending", "effect": "NoSchedule"},
                {"key": "vpc.amazonaws.com/efa", "value": "true", "effect": "NoSchedule"},
            ],
        },
    }


@pytest.fixture
def cluster(tmp_path):
    kube, aws = FakeKube(tmp_path, new_node()), FakeAws(tmp_path)
    yield kube, aws
    kube.server.close()
    aws.server.close()


def act(verdict, kube: FakeKube, aws: FakeAws) -> None:
    cn.act(
        verdict,
        node_name=kube.node["metadata"]["name"],
        taint=cn.Taint.parse(TAINT),
        kube=kube.client(),
        aws=aws.target(),
        now=lambda: NOW,
        log=lambda _: None,
    )


def startup_taints(kube: FakeKube) -> list[dict]:
    return [t for t in kube.taints() if t["key"] == "gpu-eks/health"]


def test_a_passing_node_loses_exactly_the_startup_taint_and_is_labelled_and_annotated(tmp_path, cluster):
    kube, aws = cluster
    before = [t for t in kube.taints() if t["key"] != "gpu-eks/health"]
    verdict = verdict_for(tmp_path, P5_HEALTHY)
    act(verdict, kube, aws)
    assert kube.taints() == before  # the GPU and EFA taints stay, in order
    assert kube.node["metadata"]["labels"]["gpu-eks/health"] == "passed"
    annotations = kube.node["metadata"]["annotations"]
    assert annotations["gpu-eks/health-checked-at"] == "2026-08-24T09:30:05Z"
    assert json.loads(annotations["gpu-eks/health-figures"]) == {c["name"]: c["figure"] for c in verdict["checks"]}
    assert annotations["node.alpha.kubernetes.io/ttl"] == "0"
    assert kube.events == [] and aws.server.requests == []


def test_the_pass_patch_removes_the_taint_and_labels_in_one_request(tmp_path, cluster):
    kube, aws = cluster
    act(verdict_for(tmp_path, P5_HEALTHY), kube, aws)
    patches = [json.loads(r["body"]) for r in kube.server.requests if r["method"] == "PATCH"]
    assert len(patches) == 1
    ops = {(op["op"], op["path"]) for op in patches[0]}
    assert {("test", "/spec/taints/1"), ("remove", "/spec/taints/1"), ("add", "/metadata/labels/gpu-eks~1health")} <= ops


def test_a_taint_list_changed_during_the_patch_is_read_again_and_the_right_taint_removed(tmp_path, cluster):
    kube, aws = cluster
    kube.before_patch = lambda node: node["spec"]["taints"].insert(
        0, {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}
    )
    act(verdict_for(tmp_path, P5_HEALTHY), kube, aws)
    assert [t["key"] for t in kube.taints()] == ["node.kubernetes.io/not-ready", "nvidia.com/gpu", "vpc.amazonaws.com/efa"]
    assert len([r for r in kube.server.requests if r["method"] == "PATCH"]) == 2


@pytest.mark.parametrize("case", P5_FAILURES, ids=str)
def test_a_failing_node_is_never_untainted_whatever_the_check(tmp_path, cluster, case):
    kube, aws = cluster
    verdict = verdict_for(tmp_path, {**P5_HEALTHY, **P5_FAILURES[case][0]})
    act(verdict, kube, aws)
    assert startup_taints(kube) == [{"key": "gpu-eks/health", "value": "pending", "effect": "NoSchedule"}]
    assert kube.node["metadata"]["labels"]["gpu-eks/health"] == "failed"
    assert kube.node["metadata"]["annotations"]["gpu-eks/health-failed-checks"] == ",".join(verdict["failed_checks"])
    assert len(aws.health_calls()) == 1


def test_a_verdict_that_says_passed_over_a_failed_check_is_treated_as_failed(tmp_path, cluster):
    kube, aws = cluster
    verdict = verdict_for(tmp_path, {**P5_HEALTHY, **P5_FAILURES["missing GPU"][0]})
    act({**verdict, "passed": True, "failed_checks": []}, kube, aws)
    assert startup_taints(kube) and kube.node["metadata"]["labels"]["gpu-eks/health"] == "failed"
    assert kube.node["metadata"]["annotations"]["gpu-eks/health-failed-checks"] == "gpu_count"


@pytest.mark.parametrize("taints", [[], None], ids=["taint removed by someone", "no taints at all"])
def test_a_failing_node_gets_the_startup_taint_back_if_it_lost_it(tmp_path, cluster, taints):
    kube, aws = cluster
    kube.node = new_node(taints=[])
    if taints is None:
        del kube.node["spec"]["taints"]
    act(verdict_for(tmp_path, {**P5_HEALTHY, **P5_FAILURES["missing GPU"][0]}), kube, aws)
    assert startup_taints(kube) == [{"key": "gpu-eks/health", "value": "pending", "effect": "NoSchedule"}]


def test_a_failing_node_gets_a_warning_event_naming_the_check_and_its_figure(tmp_path, cluster):
    kube, aws = cluster
    act(verdict_for(tmp_path, {**P5_HEALTHY, **P5_FAILURES["NCCL below floor"][0]}), kube, aws)
    [event] = kube.events
    assert event["namespace"] == "default" and event["type"] == "Warning" and event["reason"] == "NodeHealthCheckFailed"
    assert event["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "Node",
        "name": "ip-10-1-130-17.ec2.internal",
        "uid": "5b2c7f0e-8d41-4a39-9f0c-3e1d2a6b7c88",
    }
    assert event["message"].startswith("nccl_busbw failed: figure 206.4, expected \">= 360.0 GB/s\"")
    assert len(event["message"]) <= 1024


def test_the_instance_from_the_provider_id_is_set_unhealthy_with_a_sigv4_signed_call(tmp_path, cluster):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    kube, aws = cluster
    act(verdict_for(tmp_path, {**P5_HEALTHY, **P5_FAILURES["DCGM memory failure"][0]}), kube, aws)
    [credentials] = [r for r in aws.server.requests if r["method"] == "GET"]
    assert credentials["headers"]["Authorization"] == "pod-identity-jwt"
    [call] = aws.health_calls()
    assert urllib.parse.parse_qs(call["body"].decode()) == {
        "Action": ["SetInstanceHealth"],
        "Version": ["2011-01-01"],
        "InstanceId": [INSTANCE],
        "HealthStatus": ["Unhealthy"],
        "ShouldRespectGracePeriod": ["false"],
    }
    assert call["headers"]["X-Amz-Security-Token"] == SESSION["Token"]
    m = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=(\w+)/(\d{8})/([\w-]+)/(\w+)/aws4_request, "
        r"SignedHeaders=([\w;-]+), Signature=([0-9a-f]{64})",
        call["headers"]["Authorization"],
    )
    assert m, call["headers"]["Authorization"]
    key_id, date, region, service, signed, signature = m.groups()
    assert (key_id, date, region, service) == (SESSION["AccessKeyId"], "20260824", REGION, "autoscaling")
    assert set(signed.split(";")) >= {"host", "x-amz-date", "content-type", "x-amz-security-token"}
    # botocore signs the same request (the signed headers as received) independently.
    headers = {name: call["headers"][next(h for h in call["headers"] if h.lower() == name)] for name in signed.split(";")}
    request = AWSRequest(method="POST", url=f"http://{headers['host']}/", data=call["body"], headers=headers)
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(Credentials(SESSION["AccessKeyId"], SESSION["SecretAccessKey"], SESSION["Token"]), "autoscaling", REGION)
    assert signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request) == signature


@pytest.mark.integration
def test_moto_accepts_the_call_and_marks_the_instance_unhealthy(tmp_path, monkeypatch):
    """moto's EC2 backend takes several seconds to start, so this runs with `make test` only."""
    import boto3
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # the image is never looked at
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        session = dict(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing", endpoint_url=endpoint)
        ec2, autoscaling = boto3.client("ec2", **session), boto3.client("autoscaling", **session)
        ec2.create_launch_template(
            LaunchTemplateName="gpu", LaunchTemplateData={"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.micro"}
        )
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="gpu",
            MinSize=1,
            MaxSize=1,
            DesiredCapacity=1,
            LaunchTemplate={"LaunchTemplateName": "gpu"},
            AvailabilityZones=[f"{REGION}a"],
        )
        [instance] = autoscaling.describe_auto_scaling_instances()["AutoScalingInstances"]
        aws = FakeAws(tmp_path)
        try:
            node = new_node()
            node["spec"]["providerID"] = f"aws:///{REGION}a/{instance['InstanceId']}"
            cn.report_unhealthy(node, cn.AwsTarget(region=REGION, endpoint=endpoint + "/", environ=aws.environ), NOW)
        finally:
            aws.server.close()
        [after] = autoscaling.describe_auto_scaling_instances(InstanceIds=[instance["InstanceId"]])["AutoScalingInstances"]
        assert after["HealthStatus"].lower() == "unhealthy"
    finally:
        moto.stop()


def test_the_credentials_uri_must_be_the_pod_identity_agent_or_loopback(tmp_path):
    token = tmp_path / "token"
    token.write_text("jwt")
    with pytest.raises(cn.ActError, match="refusing to send the pod's token"):
        cn.pod_identity_credentials(
            {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://203.0.113.9/v1/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token),
            }
        )
    with pytest.raises(cn.ActError, match="Pod Identity association"):
        cn.pod_identity_credentials({})


def test_a_provider_id_that_is_not_an_ec2_instance_is_refused():
    node = new_node()
    node["spec"]["providerID"] = "kind://docker/kind/kind-worker"
    with pytest.raises(cn.ActError, match="is not aws:///<zone>/<instance id>"):
        cn.instance_id(node)


@pytest.mark.parametrize(
    "text", ["gpu-eks/health=pending", "gpu-eks/health:NoSchedule", "=x:NoSchedule", "gpu-eks/health=pending:Sometimes"]
)
def test_a_malformed_taint_is_refused(text):
    with pytest.raises(cn.UsageError, match="KEY=VALUE:EFFECT"):
        cn.Taint.parse(text)


# ---------------------------------------------------------------------------
# run: the DaemonSet container's whole life
# ---------------------------------------------------------------------------


def node_flags(kube: FakeKube) -> list[str]:
    """The node, the taint, the region and the stand-in API server, as every acting command takes them."""
    return [
        "--node",
        kube.node["metadata"]["name"],
        "--taint",
        TAINT,
        "--region",
        REGION,
        "--kube-api",
        kube.server.url,
        "--kube-token-file",
        str(kube.token_file),
        "--kube-ca-file",
        str(kube.ca_file),
    ]


def start_run(
    tmp_path: Path,
    kube: FakeKube,
    aws: FakeAws,
    results: Path,
    command: str = "run",
    extra: tuple[str, ...] = (),
    slow_all_reduce: bool = False,
) -> tuple[subprocess.Popen, Path]:
    tools, calls = tmp_path / "bin", tmp_path / "calls"
    fake_p5_tools(tools, calls)
    if slow_all_reduce:
        fake_tool(tools, "all_reduce_perf", f'echo "all_reduce_perf $$" >> {calls}\nexec sleep 60\n')
    expect = {k: v for k, v in asdict(P5_EXPECT).items() if v is not None}
    argv = [
        sys.executable,
        str(PROGRAM),
        command,
        *extra,
        "--results",
        str(results),
        "--skip",
        "dcgm",
        *node_flags(kube),
        "--autoscaling-endpoint",
        aws.server.url + "/",
    ]
    for name, value in expect.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    argv += ["--fi-info", str(tools / "fi_info")]  # by full path, as the program's default is
    env = {**os.environ, **aws.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), calls


def settle(proc: subprocess.Popen, done) -> None:
    deadline = time.monotonic() + 60
    while not done() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # long enough to see an exit that follows the last call


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out + err


def test_run_acts_then_waits_instead_of_exiting_and_ends_on_sigterm(tmp_path, cluster):
    kube, aws = cluster
    results = write_results(tmp_path / "results", {"dcgm": P5_HEALTHY["dcgm"]})  # the DCGM init container's files
    proc, calls = start_run(tmp_path, kube, aws, results)
    try:
        settle(proc, lambda: kube.node["metadata"]["labels"].get("gpu-eks/health"))
        assert proc.poll() is None, proc.stderr.read()
    finally:
        code, output = stop(proc)
    assert code == 0, output
    assert kube.node["metadata"]["labels"]["gpu-eks/health"] == "passed" and startup_taints(kube) == []
    assert json.loads((results / "verdict.json").read_text())["passed"]
    assert len(calls.read_text().splitlines()) == 3


def test_run_on_a_failing_node_reports_it_and_keeps_waiting(tmp_path, cluster):
    kube, aws = cluster
    results = write_results(tmp_path / "results", {"dcgm": P5_FAILURES["DCGM memory failure"][0]["dcgm"]})
    proc, _ = start_run(tmp_path, kube, aws, results)
    try:
        settle(proc, lambda: aws.health_calls())
        assert proc.poll() is None, proc.stderr.read()
    finally:
        stop(proc)
    assert kube.node["metadata"]["labels"]["gpu-eks/health"] == "failed" and len(startup_taints(kube)) == 1
    assert len(kube.events) == 1 and len(aws.health_calls()) == 1


def test_a_restarted_container_on_a_failed_node_runs_no_check_again(tmp_path, cluster):
    kube, aws = cluster
    kube.node["metadata"]["labels"]["gpu-eks/health"] = "failed"
    proc, calls = start_run(tmp_path, kube, aws, tmp_path / "results")
    try:
        settle(proc, lambda: aws.health_calls())
        assert proc.poll() is None, proc.stderr.read()
    finally:
        stop(proc)
    assert not calls.exists()  # no tool ran
    assert [r["method"] for r in kube.server.requests] == ["GET"]  # no patch, no event
    assert len(aws.health_calls()) == 1  # the instance is reported again, in case the first report failed
    assert startup_taints(kube) and kube.node["metadata"]["labels"]["gpu-eks/health"] == "failed"


# ---------------------------------------------------------------------------
# recheck: the periodic recheck Job's pod on a node that passed
# ---------------------------------------------------------------------------

FRESH_FOR = 1920  # what the default a10g group's recheck passes (test_node_health_check.py)
LAST_CHECK = "2026-08-20T03:00:00Z"


def passed_node(checked_at: str | None = LAST_CHECK) -> dict:
    node = new_node(taints=[t for t in new_node()["spec"]["taints"] if t["key"] != "gpu-eks/health"])
    node["metadata"]["labels"]["gpu-eks/health"] = "passed"
    if checked_at:
        node["metadata"]["annotations"]["gpu-eks/health-checked-at"] = checked_at
    return node


def recheck(tmp_path: Path, kube: FakeKube, aws: FakeAws, results: Path) -> tuple[subprocess.CompletedProcess, Path]:
    proc, calls = start_run(tmp_path, kube, aws, results, "recheck", ("--fresh-for", str(FRESH_FOR)))
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), calls


def tool_calls(calls: Path) -> list[str]:
    return [line.split()[0] for line in calls.read_text().splitlines()] if calls.exists() else []


def test_a_recheck_of_a_healthy_node_records_the_check_and_exits(tmp_path, cluster):
    kube, aws = cluster
    kube.node = passed_node()
    taints = kube.taints()
    results = write_results(tmp_path / "results", {"dcgm": P5_HEALTHY["dcgm"]})
    done, calls = recheck(tmp_path, kube, aws, results)
    assert done.returncode == 0, done.stderr
    assert tool_calls(calls) == ["nvidia-smi", "fi_info", "all_reduce_perf"]
    assert kube.taints() == taints and kube.node["metadata"]["labels"]["gpu-eks/health"] == "passed"
    annotations = kube.node["metadata"]["annotations"]
    checked = datetime.datetime.strptime(annotations["gpu-eks/health-checked-at"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(checked.replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() < 120
    assert kube.events == [] and aws.health_calls() == []


def test_a_recheck_that_fails_taints_the_node_again_reports_it_and_exits_0(tmp_path, cluster):
    """Exit 0 on a failed node too: the verdict is on the node, and a failed pod would only be
    replaced by one that checks the node again."""
    kube, aws = cluster
    kube.node = passed_node()
    results = write_results(tmp_path / "results", {"dcgm": P5_FAILURES["DCGM memory failure"][0]["dcgm"]})
    done, _ = recheck(tmp_path, kube, aws, results)
    assert done.returncode == 0, done.stderr
    assert kube.node["metadata"]["labels"]["gpu-eks/health"] == "failed"
    assert startup_taints(kube) == [{"key": "gpu-eks/health", "value": "pending", "effect": "NoSchedule"}]
    assert kube.node["metadata"]["annotations"]["gpu-eks/health-failed-checks"] == "dcgm_diag"
    assert len(kube.events) == 1 and len(aws.health_calls()) == 1


@pytest.mark.parametrize(
    "node, why",
    [
        (passed_node(checked_at=None), None),  # no record of a check: checked
        (passed_node(checked_at="yesterday"), None),  # unreadable: checked
        (passed_node(checked_at=LAST_CHECK), None),
        (passed_node(checked_at="2026-08-24T09:00:05Z"), "checked 1800 s ago"),  # NOW - 30 min, within FRESH_FOR
        (passed_node(checked_at="2026-08-24T08:58:06Z"), "checked 1919 s ago"),
        (passed_node(checked_at="2026-08-24T08:58:05Z"), None),  # exactly FRESH_FOR ago: from an earlier run
        (new_node(), "not passed"),  # pending: the DaemonSet's
        ({**new_node(), "metadata": {**new_node()["metadata"], "labels": {"gpu-eks/health": "failed"}}}, "failed, not passed"),
    ],
)
def test_the_recheck_takes_only_passed_nodes_not_checked_in_this_run(node, why):
    reason = cn.recheck_skip_reason(node, cn.Taint.parse(TAINT), FRESH_FOR, NOW)
    assert (reason is None) if why is None else (why in (reason or ""))


def test_a_recheck_leaves_a_node_checked_in_this_run_alone(tmp_path, cluster):
    kube, aws = cluster
    just_now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
    kube.node = passed_node(checked_at=just_now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    done, calls = recheck(tmp_path, kube, aws, tmp_path / "results")
    assert done.returncode == 0, done.stderr
    assert tool_calls(calls) == [] and [r["method"] for r in kube.server.requests] == ["GET"]
    assert "within --fresh-for 1920 s: not rechecking it" in done.stdout


def test_recheck_start_skips_the_dcgm_diagnostic_and_the_recheck_on_a_fresh_node(tmp_path, cluster):
    kube, aws = cluster
    results, tools = tmp_path / "results", tmp_path / "bin"
    tools.mkdir()
    fake_tool(tools, "dcgmi", f"echo dcgmi >> {tmp_path / 'dcgm-calls'}\necho '{{}}'\n")
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    argv = cn.dcgm_init_command(2, str(results), timeout_seconds=30, for_recheck=True)
    start = [
        sys.executable,
        str(PROGRAM),
        "recheck-start",
        "--results",
        str(results),
        "--fresh-for",
        str(FRESH_FOR),
        *node_flags(kube),
    ]
    # A node not checked for days: no skip file, and the diagnostic runs.
    kube.node = passed_node()
    assert subprocess.run(start, capture_output=True, timeout=60).returncode == 0
    assert not (results / "skip").exists()
    assert subprocess.run(argv, env=env, timeout=60).returncode == 0
    assert (tmp_path / "dcgm-calls").read_text() == "dcgmi\n"
    # A node checked a minute ago: the skip file, no diagnostic, and the recheck leaves it.
    (tmp_path / "dcgm-calls").unlink()
    for step in ("stdout", "stderr", "exit"):
        (results / f"dcgm.{step}").unlink()
    just_now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=60)
    kube.node = passed_node(checked_at=just_now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert subprocess.run(start, capture_output=True, timeout=60).returncode == 0
    assert "within --fresh-for" in (results / "skip").read_text()
    assert subprocess.run(argv, env=env, timeout=60).returncode == 0
    assert not (tmp_path / "dcgm-calls").exists() and not (results / "dcgm.exit").exists()
    kube.server.requests.clear()
    done, calls = recheck(tmp_path, kube, aws, results)
    assert done.returncode == 0 and tool_calls(calls) == [] and kube.server.requests == []


def test_a_recheck_preempted_mid_check_stops_at_once_and_leaves_the_node_as_it_was(tmp_path, cluster):
    kube, aws = cluster
    kube.node = passed_node()
    before = json.loads(json.dumps(kube.node))
    results = write_results(tmp_path / "results", {"dcgm": P5_HEALTHY["dcgm"]})
    proc, calls = start_run(tmp_path, kube, aws, results, "recheck", ("--fresh-for", str(FRESH_FOR)), slow_all_reduce=True)
    try:
        settle(proc, lambda: "all_reduce_perf" in tool_calls(calls))
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        # In a pod the container's end takes the tool with it; here it is killed by hand.
        for line in calls.read_text().splitlines() if calls.exists() else []:
            if line.startswith("all_reduce_perf "):
                os.kill(int(line.split()[1]), signal.SIGKILL)
    assert proc.returncode == 143 and time.monotonic() - started < 5
    assert kube.node == before and [r["method"] for r in kube.server.requests] == ["GET"]
    assert aws.health_calls() == [] and not (results / "verdict.json").exists()


def test_a_recheck_preempted_once_it_has_a_verdict_still_reports_the_node(tmp_path, cluster):
    """Labelled failed, the node matches the gate's DaemonSet again, whose pod preempts this one:
    the SIGTERM comes between the label and the report, and must not cut the report off."""
    kube, aws = cluster
    kube.node = passed_node()
    results = write_results(tmp_path / "results", {"dcgm": P5_FAILURES["DCGM memory failure"][0]["dcgm"]})
    started: list[subprocess.Popen] = []
    kube.before_patch = lambda _node: started[0].send_signal(signal.SIGTERM)  # set before the program can patch
    proc, _ = start_run(tmp_path, kube, aws, results, "recheck", ("--fresh-for", str(FRESH_FOR)))
    started.append(proc)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert kube.node["metadata"]["labels"]["gpu-eks/health"] == "failed" and len(startup_taints(kube)) == 1
    assert len(kube.events) == 1 and len(aws.health_calls()) == 1


def running(pid: int) -> bool:
    """The process exists and has not exited (a zombie, state Z in /proc/PID/stat, has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def timeout_is_waiting(child: int) -> bool:
    """The child's parent (GNU timeout) is asleep, which it is only while it waits for the child."""
    stat = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
    parent = Path(f"/proc/{stat[1]}/stat").read_text().rsplit(")", 1)[1].split()
    return parent[0] == "S" and Path(f"/proc/{stat[1]}/comm").read_text().strip() == "timeout"


def test_the_recheck_dcgm_step_stops_the_diagnostic_at_once_on_sigterm(tmp_path):
    tools, results = tmp_path / "bin", tmp_path / "results"
    tools.mkdir()
    results.mkdir()
    fake_tool(tools, "dcgmi", f"echo $$ > {tmp_path / 'dcgmi.pid'}\nexec sleep 60\n")
    argv = cn.dcgm_init_command(2, str(results), timeout_seconds=120, for_recheck=True)
    proc = subprocess.Popen(argv, env={**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"})
    pid_file = tmp_path / "dcgmi.pid"
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    dcgmi = int(pid_file.read_text())
    # GNU timeout kills its command on TERM only once its fork() has returned in the parent; a
    # TERM before that (microseconds after the start; the child can run first) makes it exit
    # alone (coreutils timeout.c cleanup: no monitored pid yet, _exit). So the TERM is sent once
    # timeout waits for its command, as it does for the whole diagnostic.
    waiting = time.monotonic() + 30
    while not timeout_is_waiting(dcgmi) and time.monotonic() < waiting:
        time.sleep(0.02)
    try:
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0 and time.monotonic() - started < 5
        # The diagnostic went with it (within moments: an exited process can wait a little for
        # its reaper, and a zombie has exited); without the trap it would run its full minute.
        gone = time.monotonic() + 5
        while running(dcgmi) and time.monotonic() < gone:
            time.sleep(0.05)
        assert not running(dcgmi)
        assert not (results / "dcgm.exit").exists()  # and left no result to judge
    finally:
        for pid in (proc.pid, dcgmi):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_failed_kubernetes_call_exits_non_zero_with_the_answer(tmp_path, cluster, capsys):
    kube, aws = cluster
    results = write_results(tmp_path / "results", P5_HEALTHY)
    (results / "verdict.json").write_text(json.dumps(verdict_for(tmp_path, P5_HEALTHY)))
    kube.token_file.write_text("wrong-token")
    code = cn.main(
        [
            "act",
            "--results",
            str(results),
            *node_flags(kube),
        ]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        "check_node: act failed: GET /api/v1/nodes/ip-10-1-130-17.ec2.internal: HTTP 401: Unauthorized\n"
    )
    assert startup_taints(kube)


def test_the_program_is_standard_library_only():
    """It runs in the training image as it is, so it may import nothing that image lacks."""
    import ast

    tree = ast.parse(PROGRAM.read_text())
    modules = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert modules - {"__future__"} <= set(sys.stdlib_module_names)
