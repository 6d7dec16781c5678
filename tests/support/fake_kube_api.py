"""A fake Kubernetes API server on 127.0.0.1, answering as the real one does, for every test folder.

Serves the core/v1 namespaced kinds argo_scheduler touches — pods, secrets,
persistentvolumeclaims, resourcequotas — and Argo's cronworkflows (which
the Nebari workflow controller reads) with GET (one), LIST (honouring an
equality `labelSelector`, as JupyterLab pods are found), and the
write verbs of the Secret store: create (POST; 409 AlreadyExists when
taken), replace (PUT; 404 when missing) and delete (DELETE; 404 when
missing). Secrets' stringData becomes base64 data as the API server stores
it. Errors are `Status` objects (401, 403, 404, 409). With a token, every
request needs `Authorization: Bearer <token>`; without one (`kubectl proxy`)
none does. `forbid()` makes requests answer 403 as missing RBAC does.
Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

KINDS = {"pods": "Pod", "secrets": "Secret", "persistentvolumeclaims": "PersistentVolumeClaim",
         "resourcequotas": "ResourceQuota", "cronworkflows": "CronWorkflow"}
# Argo's kinds live in their API group; the rest in core/v1.
GROUPS = {"cronworkflows": "/apis/argoproj.io/v1alpha1"}
_PATH = re.compile(
    r"^(?P<group>/api/v1|/apis/argoproj\.io/v1alpha1)/namespaces/(?P<ns>[^/]+)/(?P<resource>[a-z]+)(?:/(?P<name>[^/]+))?$"
)
_VERBS = {("GET", False): "list", ("GET", True): "get", ("POST", False): "create",
          ("PUT", True): "update", ("DELETE", True): "delete"}


def _equalities(selector: str) -> dict[str, str]:
    """`k=v,k2=v2` as a dict; other requirement forms are not served."""
    requirements = [r.strip() for r in selector.split(",") if r.strip()]
    pairs = [r.replace("==", "=").split("=", 1) for r in requirements]
    if any(len(p) != 2 for p in pairs):
        raise ValueError(f"the fake Kubernetes API serves equality label selectors only, not {selector!r}")
    return dict(pairs)


def status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class FakeKubeApi:
    def __init__(self, token: str | None = None):
        self.token = token
        self.objects: dict[str, dict[tuple[str, str], dict]] = {resource: {} for resource in KINDS}
        self.requests: list[dict[str, Any]] = []
        # (namespace or None, resource or None, verb or None): None matches any.
        self.forbidden: list[tuple[str | None, str | None, str | None]] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    # ---- life -------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeKubeApi":
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api._handle(self, "GET")

            def do_POST(self):
                api._handle(self, "POST")

            def do_PUT(self):
                api._handle(self, "PUT")

            def do_DELETE(self):
                api._handle(self, "DELETE")

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

    def __enter__(self) -> "FakeKubeApi":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- contents -----------------------------------------------------------

    def add(self, resource: str, obj: dict) -> dict:
        api_version = GROUPS.get(resource, "/api/v1").removeprefix("/apis/").removeprefix("/api/")
        obj = {"apiVersion": api_version, "kind": KINDS[resource], **obj}
        obj["metadata"] = {"resourceVersion": "1", **obj["metadata"]}
        self.objects[resource][(obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
        return obj

    def add_pod(self, pod: dict) -> None:
        self.add("pods", pod)

    def add_secret(self, namespace: str, name: str, data: dict[str, str] | None = None) -> None:
        self.add("secrets", self._stored(namespace, {"metadata": {"name": name}, "stringData": data or {}}))

    def add_pvc(self, namespace: str, name: str) -> None:
        self.add("persistentvolumeclaims", {
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": "Bound"},
        })

    def add_quota(self, namespace: str, name: str, hard: dict[str, str], used: dict[str, str] | None = None) -> None:
        self.add("resourcequotas", {
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"hard": hard},
            "status": {"hard": hard, "used": used or {}},
        })

    @property
    def secrets(self) -> dict[tuple[str, str], dict]:
        return self.objects["secrets"]

    def values(self, namespace: str, name: str) -> dict[str, str]:
        data = self.secrets[(namespace, name)].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def forbid(self, namespace: str | None = None, resource: str | None = None, verb: str | None = None) -> None:
        self.forbidden.append((namespace, resource, verb))

    def calls(self, verb: str | None = None, resource: str | None = None) -> list[dict]:
        return [r for r in self.requests
                if (verb is None or r["verb"] == verb) and (resource is None or r["resource"] == resource)]

    def pod_reads(self) -> int:
        return len(self.calls("get", "pods"))

    # ---- answers ------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path, _, query = request.path.partition("?")
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0))
        match = _PATH.match(path)
        verb = _VERBS.get((method, bool(match and match["name"])), method.lower())
        self.requests.append({"method": method, "path": path, "verb": verb,
                              "resource": match["resource"] if match else None,
                              "authorization": request.headers.get("Authorization")})
        with self._lock:
            code, answer = self._answer(method, verb, match, body, request.headers.get("Authorization"), query)
        payload = json.dumps(answer).encode()
        request.send_response(code)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _answer(self, method, verb, match, body, authorization, query="") -> tuple[int, dict]:
        if self.token is not None and authorization != f"Bearer {self.token}":
            return 401, status(401, "Unauthorized", "Unauthorized")
        if (
            match is None
            or match["resource"] not in KINDS
            or GROUPS.get(match["resource"], "/api/v1") != match["group"]
            or (method, bool(match["name"])) not in _VERBS
        ):
            return 404, status(404, "NotFound", "the server could not find the requested resource")
        ns, resource, name = match["ns"], match["resource"], match["name"]
        if any((n in (None, ns)) and (r in (None, resource)) and (v in (None, verb)) for n, r, v in self.forbidden):
            target = f'{resource} "{name}"' if name else resource
            return 403, status(403, "Forbidden", (
                f'{target} is forbidden: User "system:serviceaccount:{ns}:default" cannot {verb} '
                f'resource "{resource}" in API group "" in the namespace "{ns}"'))
        store = self.objects[resource]
        if verb == "list":
            wanted = _equalities(parse_qs(query).get("labelSelector", [""])[0])
            items = [
                obj for (n, _), obj in sorted(store.items())
                if n == ns and wanted.items() <= (obj["metadata"].get("labels") or {}).items()
            ]
            return 200, {"kind": f"{KINDS[resource]}List", "apiVersion": "v1",
                         "metadata": {"resourceVersion": "1"}, "items": items}
        if verb == "create":
            obj = self._stored(ns, json.loads(body))
            key = (ns, obj["metadata"]["name"])
            if key in store:
                return 409, status(409, "AlreadyExists", f'{resource} "{key[1]}" already exists')
            store[key] = obj
            return 201, obj
        if (ns, name) not in store:
            return 404, status(404, "NotFound", f'{resource} "{name}" not found')
        if verb == "get":
            return 200, store[(ns, name)]
        if verb == "update":
            store[(ns, name)] = self._stored(ns, json.loads(body))
            return 200, store[(ns, name)]
        del store[(ns, name)]
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}

    @staticmethod
    def _stored(namespace: str, obj: dict) -> dict:
        data = dict(obj.get("data") or {})
        for key, value in (obj.pop("stringData", None) or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        if obj.get("kind", "Secret") == "Secret":
            obj["data"] = data
        obj.setdefault("metadata", {})["namespace"] = namespace
        return obj
