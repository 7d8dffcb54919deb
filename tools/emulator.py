"""moto in server mode on loopback, for the life of a `with` block."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any, Callable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoServer:
    """Starts moto_server bound to 127.0.0.1 on a free port and always stops it,
    also on an exception, Ctrl-C or SIGTERM."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None
        self._previous_sigterm: Callable[[int, FrameType | None], Any] | int | None = None

    def __enter__(self) -> "MotoServer":
        # moto's own server, with one answer made AWS's (emulator_server.py; why: emulator_gaps.py).
        command = [sys.executable, str(Path(__file__).with_name("emulator_server.py"))]
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "w")
        self._process = subprocess.Popen(
            [*command, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self.stop()
                raise RuntimeError(f"moto_server exited at start; see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on {self.url} within 60 s; see {self.log_path}")

    def _on_sigterm(self, signum, frame):
        raise SystemExit(143)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None

    def __exit__(self, *exc) -> None:
        self.stop()
