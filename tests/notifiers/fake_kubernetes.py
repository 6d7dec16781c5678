"""A fake Kubernetes API on 127.0.0.1: Secrets only, as the API server answers for them.

create (POST, 409 AlreadyExists when taken), replace (PUT, 404 when
missing), delete (DELETE, 404 when missing); stringData becomes base64
data as the API server stores it; errors are Status objects. `deny` makes
every call answer 403 Forbidden, as missing RBAC does.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/secrets(?:/(?P<name>[^/?]+))?$")


class FakeKubernetes:
    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.deny = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeKubernetes":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def values(self, namespace: str, name: str) -> dict[str, str]:
        data = self.secrets[(namespace, name)].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path = request.path.split("?", 1)[0]
        self.requests.append((method, path))
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        match = _PATH.match(path)
        if match is None:
            return self._status(request, 404, "NotFound", "the server could not find the requested resource")
        if self.deny:
            return self._status(request, 403, "Forbidden", f'secrets is forbidden: User "jovyan" cannot {method.lower()} resource "secrets"')
        ns, name = match["ns"], match["name"]
        if method == "POST" and name is None:
            secret = self._stored(ns, json.loads(body))
            key = (ns, secret["metadata"]["name"])
            if key in self.secrets:
                return self._status(request, 409, "AlreadyExists", f'secrets "{key[1]}" already exists')
            self.secrets[key] = secret
            return self._reply(request, 201, secret)
        if name is None or (ns, name) not in self.secrets:
            return self._status(request, 404, "NotFound", f'secrets "{name}" not found')
        if method == "PUT":
            self.secrets[(ns, name)] = self._stored(ns, json.loads(body))
            return self._reply(request, 200, self.secrets[(ns, name)])
        del self.secrets[(ns, name)]
        return self._reply(request, 200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})

    @staticmethod
    def _stored(namespace: str, secret: dict[str, Any]) -> dict[str, Any]:
        data = dict(secret.get("data") or {})
        for key, value in (secret.pop("stringData", None) or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        secret["data"] = data
        secret.setdefault("metadata", {})["namespace"] = namespace
        return secret

    def _status(self, request: BaseHTTPRequestHandler, code: int, reason: str, message: str) -> None:
        self._reply(request, code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                    "message": message, "reason": reason, "code": code})

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, code: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        request.send_response(code)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)
