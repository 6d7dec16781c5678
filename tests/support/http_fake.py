"""What every HTTP fake of the tests shares: a server on 127.0.0.1, a bearer token, a request log, injected faults.

A fake subclasses HttpFake and says only what its service answers
(`answer`) and in which words it refuses (`error`, `unauthorized`); the
transport — reading the request, recording it, a fault before or after the
work, the token check, the JSON reply — is here, once.

A Fault is a failure for the next `times` requests that match: an HTTP
status (with the service's own error body), a delay (a client timeout), a
dropped connection, before the work or after it (the work done, the answer
lost).
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Fault:
    """An injected failure for the next `times` requests that match `method` and `path`."""

    status: int | None = None  # answer with this HTTP status and the service's error body
    delay: float = 0.0  # seconds to wait before answering (a client timeout)
    close: bool = False  # drop the connection without an answer
    after: bool = False  # do the work first, then fail: the answer is lost, the effect is not
    method: str | None = None
    path: str | None = None  # a substring of the API path, e.g. "/stop"
    skip: int = 0  # let this many matching requests through first
    times: int = 1
    message: str = "injected failure"

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


@dataclass
class Recorded:
    method: str
    path: str  # the API path, base path removed
    query: dict[str, str]
    authorization: str | None
    body: Any
    status: int | None = None  # None when the connection was dropped
    content_type: str | None = None


class FakeError(Exception):
    """An answer other than success: its HTTP status and the body the service would send."""

    def __init__(self, status: int, body: Any, message: str):
        super().__init__(message)
        self.status = status
        self.body = body


class HttpFake:
    """A fake service on 127.0.0.1 under `base_path`; `url` is where to point a client."""

    thread_name = "fake-http"

    def __init__(self, token: str | None = "fake-token", base_path: str = "/", tls: ssl.SSLContext | None = None):
        self.token = token
        self._initial_token = token
        self.base_path = "/" + base_path.strip("/") + "/" if base_path.strip("/") else "/"
        self.log: list[Recorded] = []
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server = FakeServer(("127.0.0.1", 0), FakeHandler)
        self._server.fake = self
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}{self.base_path}"
        # A short poll interval keeps shutdown() quick between tests.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        )

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # cut injected delays short
        self._server.shutdown()
        self._server.server_close()

    # ---- what tests set up and look at -------------------------------------

    def reset(self) -> None:
        """Back to the state of a new fake: its first token, nothing stored, logged or injected."""
        with self._lock:
            self.token = self._initial_token
            self.log.clear()
            self.faults.clear()

    def fail(self, **fault: Any) -> Fault:
        injected = Fault(**fault)
        with self._lock:
            self.faults.append(injected)
        return injected

    def requests(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r for r in self.log
                if (method is None or r.method == method) and (path is None or path in r.path)
            ]

    # ---- what a fake says ------------------------------------------------------

    def answer(self, request: Recorded) -> tuple[int, Any]:
        """The status and JSON body for `request`, or FakeError."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> FakeError:
        """The service's refusal with `status` (an injected fault's)."""
        raise NotImplementedError

    def unauthorized(self) -> FakeError:
        """The service's answer to a missing or wrong bearer token."""
        return self.error(401, "Unauthorized")

    # ---- transport -----------------------------------------------------------------

    def _fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    return fault
        return None

    def _inject(self, fault: Fault, handler: FakeHandler, record: Recorded) -> bool:
        """Apply `fault`; False when the connection was dropped (nothing more to send)."""
        if fault.delay:
            self._stopping.wait(fault.delay)
        if fault.close:
            record.status = None
            handler.close_connection = True
            return False
        if fault.status:
            raise self.error(fault.status, fault.message)
        return True

    def serve(self, handler: FakeHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        if not split.path.startswith(self.base_path):
            # Outside the base path: what a reverse proxy in front of the service says.
            handler.reply(404, b"404 page not found\n", "text/plain")
            return
        path = "/" + split.path[len(self.base_path):]
        record = Recorded(
            method=handler.command,
            path=path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            authorization=handler.headers.get("Authorization"),
            body=body,
            content_type=handler.headers.get("Content-Type"),
        )
        with self._lock:
            self.log.append(record)
        fault = self._fault(handler.command, path)
        before = fault if fault and not fault.after else None
        after = fault if fault and fault.after else None
        try:
            if before and not self._inject(before, handler, record):
                return
            if self.token is not None and record.authorization != f"Bearer {self.token}":
                raise self.unauthorized()
            status, answer = self.answer(record)
            if after and not self._inject(after, handler, record):
                return
        except FakeError as e:
            status, answer = e.status, e.body
        record.status = status
        handler.reply(status, json.dumps(answer).encode(), "application/json")


class FakeServer(ThreadingHTTPServer):
    """The HTTP side of a fake: every request goes to `fake.serve`."""

    daemon_threads = True
    block_on_close = False
    fake: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out has gone: writing to it fails, as it would for a real server.
        pass


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests and urllib3 pool connections
    # Headers and body go out in two writes; with Nagle's algorithm the body
    # waits for the client's delayed ACK (40 ms on Linux), which real servers
    # (Go's net/http sets TCP_NODELAY) do not make anyone wait for.
    disable_nagle_algorithm = True
    server: FakeServer

    def reply(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _any(self) -> None:
        self.server.fake.serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass
