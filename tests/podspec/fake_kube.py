"""A fake Kubernetes API server on 127.0.0.1: just enough to read pods.

Serves `GET /api/v1/namespaces/{namespace}/pods/{name}` from the pods it was
given, answers like the real API server (a `Status` object for 401, 403 and
404), requires `Authorization: Bearer <token>`, and records every request.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_POD_PATH = re.compile(r"^/api/v1/namespaces/(?P<namespace>[^/]+)/pods/(?P<name>[^/?]+)$")


def _status(code: int, reason: str, message: str) -> dict:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class FakeKubeApi:
    def __init__(self, token: str):
        self.token = token
        self.pods: dict[tuple[str, str], dict] = {}
        # Namespaces where the token's identity may not read pods.
        self.forbidden_namespaces: set[str] = set()
        self.requests: list[dict] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_pod(self, pod: dict) -> None:
        self.pods[(pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod

    def pod_reads(self) -> int:
        return sum(1 for r in self.requests if r["method"] == "GET" and "/pods/" in r["path"])

    def start(self) -> "FakeKubeApi":
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api.requests.append(
                    {"method": "GET", "path": self.path, "authorization": self.headers.get("Authorization")}
                )
                code, body = api.answer(self.path, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown() quick between tests.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict]:
        if authorization != f"Bearer {self.token}":
            return 401, _status(401, "Unauthorized", "Unauthorized")
        match = _POD_PATH.match(path.split("?")[0])
        if not match:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        namespace, name = match["namespace"], match["name"]
        if namespace in self.forbidden_namespaces:
            return 403, _status(
                403,
                "Forbidden",
                f'pods "{name}" is forbidden: User "system:serviceaccount:{namespace}:default" cannot get '
                f'resource "pods" in API group "" in the namespace "{namespace}"',
            )
        pod = self.pods.get((namespace, name))
        if pod is None:
            return 404, _status(404, "NotFound", f'pods "{name}" not found')
        return 200, pod
