"""A fault-injecting HTTP proxy in front of the S3 emulator, for killing a checkpoint mid-write
at an exact point.

On CPU a training step takes milliseconds and an upload to the emulator about as long, so a
SIGKILL sent "after checkpoint 30" or "while checkpoint 30 is written" would land anywhere
from one checkpoint to the next. The proxy makes the point exact: it forwards every request
to the emulator unchanged, except those whose path matches ``hold``, which it never forwards
and never answers. The client's upload then waits, the job stalls at its next checkpoint
(which must wait for the previous one), and the test kills it there. The client (the
s3torchconnector in the job) and the server (moto) are the real ones; only the timing is made.
"""

from __future__ import annotations

import http.client
import http.server
import re
import threading
from urllib.parse import unquote

# Hop-by-hop headers (RFC 9110 section 7.6.1) and the ones this proxy sets itself.
_NOT_FORWARDED = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    "content-length",
    "server",
    "date",
}


class HoldingProxy:
    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.hold: re.Pattern | None = None
        self.held: list[str] = []
        self.held_event = threading.Event()
        self._release = threading.Event()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="s3-proxy", daemon=True)

    def holding(self, pattern: str) -> "HoldingProxy":
        """Hold every request whose (unquoted) path matches ``pattern`` from now on."""
        self.hold = re.compile(pattern)
        return self

    def __enter__(self) -> "HoldingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _handler(self):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the CRT client expects

            def log_message(self, *args) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        body += self.rfile.read(size)
                        self.rfile.readline()
                        if size == 0:
                            return body
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _forward(self) -> None:
                body = self._body()
                if proxy.hold is not None and proxy.hold.search(unquote(self.path)):
                    proxy.held.append(f"{self.command} {self.path}")
                    proxy.held_event.set()
                    proxy._release.wait(timeout=300)
                    self.close_connection = True
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers={**headers, "Content-Length": str(len(body))})
                    response = upstream.getresponse()
                    data = response.read()
                    self.send_response_only(response.status, response.reason)
                    for key, value in response.getheaders():
                        if key.lower() not in _NOT_FORWARDED:
                            self.send_header(key, value)
                    # A HEAD answer carries the object's length and no body.
                    length = response.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
                    self.send_header("Content-Length", length or "0")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        return Handler
