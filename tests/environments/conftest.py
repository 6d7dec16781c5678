"""A fake conda-store REST API on 127.0.0.1, and managers and schedulers built from plain config."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from traitlets.config import Config

from environment_helpers import TOKEN


class FakeCondaStore:
    """conda-store's GET /conda-store/api/v1/environment/, paged, behind a Bearer token."""

    def __init__(self):
        self.environments: list[dict] = []
        self.token = TOKEN
        self.requests: list[dict] = []
        store = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                store.requests.append({"path": url.path, "query": query, "auth": self.headers.get("Authorization")})
                if url.path != "/conda-store/api/v1/environment/":
                    return self._send(404, {"status": "error", "message": "not found"})
                if self.headers.get("Authorization") != f"Bearer {store.token}":
                    return self._send(403, {"status": "error", "message": "not authorized"})
                page, size = int(query.get("page", 1)), int(query.get("size", 10))
                data = store.environments[(page - 1) * size : page * size]
                self._send(200, {"status": "ok", "data": data, "page": page, "size": size,
                                 "count": len(store.environments), "message": None})

            def _send(self, code: int, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/conda-store"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, namespace: str, name: str, built: bool = True, description: str = "") -> None:
        self.environments.append({
            "id": len(self.environments) + 1, "namespace": {"id": 1, "name": namespace}, "name": name,
            "current_build_id": len(self.environments) + 1 if built else None, "description": description,
        })

    def listing_requests(self) -> int:
        return sum(1 for r in self.requests if r["path"].endswith("/environment/"))


@pytest.fixture
def conda_store():
    store = FakeCondaStore()
    store.thread.start()
    yield store
    store.server.shutdown()
    store.server.server_close()


@pytest.fixture
def unreachable_url():
    """A URL on 127.0.0.1 where nothing listens (the port was just freed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/conda-store"


def manager_config(**traits) -> Config:
    config = Config()
    for name, value in traits.items():
        setattr(config.ArgoEnvironmentManager, name, value)
    return config


@pytest.fixture
def make_manager():
    from argo_scheduler.environments import ArgoEnvironmentManager

    def make(**traits) -> ArgoEnvironmentManager:
        return ArgoEnvironmentManager(config=manager_config(**traits))

    return make


@pytest.fixture
def make_scheduler(make_scheduler):
    """An ArgoScheduler on the local engine, with these manager traits; parameters.ipynb and no_kernelspec.ipynb in its root."""

    def make(**traits):
        return make_scheduler(manager_config(**traits), engine="local", notebooks=("parameters.ipynb", "no_kernelspec.ipynb"))

    return make
