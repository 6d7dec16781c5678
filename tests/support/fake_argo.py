"""A fake Argo Server: the part of its REST API that ArgoEngine uses, in memory.

Argo cannot run here, so this stands in for it: it stores Workflows and
CronWorkflows (setting uid, resourceVersion, creationTimestamp, a phase),
answers like Argo's grpc-gateway ({"code": <gRPC code>, "message": ...}),
checks the bearer token, records every request, and can be told to fail:
an HTTP status, a delay (for timeouts), a dropped connection, before or
after doing the work (a create whose answer is lost).

Its answers must satisfy Argo's swagger too: behind Prism, responses are
validated as well as requests. The transport, the token check and the
faults are http_fake.HttpFake's, shared with fake_kube_api.py.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import ssl
import uuid
from datetime import datetime, timezone
from typing import Any

from support.http_fake import FakeError, HttpFake, Recorded

DONE = {"Succeeded", "Failed", "Error"}
# HTTP status -> the gRPC code Argo's gateway puts in the error body.
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 410: 9, 429: 8, 500: 13, 502: 14, 503: 14, 504: 4}


class ArgoError(FakeError):
    """An answer as Argo's grpc-gateway words it: {"code": <gRPC code>, "message": ...}."""

    def __init__(self, status: int, message: str, code: int | None = None):
        super().__init__(status, {"code": code if code is not None else GRPC_CODES.get(status, 2), "message": message}, message)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_submission_error(cron: dict, error: str, count: bool = True) -> None:
    """Argo's cron controller on a run it could not create (workflow/cron/operator.go, reportCronWorkflowError):
    the SubmissionError condition, replacing one already there, and since v3.6 status.failed + 1."""
    status = cron.setdefault("status", {})
    condition = {"type": "SubmissionError", "status": "True", "message": f"Failed to submit Workflow: {error}"}
    status["conditions"] = [c for c in status.get("conditions") or [] if c["type"] != "SubmissionError"]
    status["conditions"].append(condition)
    if count:
        status["failed"] = (status.get("failed") or 0) + 1


def _requirements(selector: str) -> list[str]:
    # Commas separate requirements, except inside the parentheses of `in (a,b)`.
    parts, depth, current = [], 0, ""
    for ch in selector:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_selector(selector: str):
    """A predicate on labels: Kubernetes label selectors as apimachinery's labels.Parse reads them
    (equality, existence and set-based requirements, all of which must hold)."""
    checks = []
    for requirement in _requirements(selector):
        if m := re.fullmatch(r"([^!=\s(),]+)\s+(in|notin)\s*\(([^()]*)\)", requirement):
            values = frozenset(v.strip() for v in m[3].split(","))
            if not all(re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", v) for v in values):
                raise ArgoError(400, f"unable to parse requirement: {requirement!r}")
            key, wanted = m[1], m[2] == "in"
            checks.append(lambda labels, key=key, values=values, wanted=wanted:
                          wanted == (key in labels and labels[key] in values))
        elif m := re.fullmatch(r"([^!=\s]+)\s*!=\s*(\S*)", requirement):
            checks.append(lambda labels, key=m[1], value=m[2]: labels.get(key) != value)
        elif m := re.fullmatch(r"([^!=\s]+)\s*==?\s*(\S*)", requirement):
            checks.append(lambda labels, key=m[1], value=m[2]: labels.get(key) == value)
        elif m := re.fullmatch(r"!\s*(\S+)", requirement):
            checks.append(lambda labels, key=m[1]: key not in labels)
        elif re.fullmatch(r"[^!=\s(),]+", requirement):
            checks.append(lambda labels, key=requirement: key in labels)
        else:
            raise ArgoError(400, f"unable to parse requirement: {requirement!r}")
    return lambda labels: all(check(labels) for check in checks)


def matches_selector(labels: dict[str, str], selector: str) -> bool:
    return parse_selector(selector)(labels)


def _pick(value: Any, paths: list[list[str]]) -> Any:
    """Keep only `paths` of `value`, lists element-wise: Argo's `fields` parameter (include form)."""
    if any(not p for p in paths):
        return value
    if isinstance(value, list):
        return [_pick(v, paths) for v in value]
    if isinstance(value, dict):
        kept = {}
        for key, sub_value in value.items():
            sub = [p[1:] for p in paths if p[0] == key]
            if sub:
                kept[key] = _pick(sub_value, sub)
        return kept
    return value


class ArgoObjectsFake(HttpFake):
    """A fake that stores Argo's Workflows and CronWorkflows (this one, fake_kube_api.py's), and lets a test play Argo's controller."""

    def __init__(self, **transport: Any):
        super().__init__(**transport)
        self.workflows: dict[tuple[str, str], dict] = {}
        self.crons: dict[tuple[str, str], dict] = {}
        self._versions = itertools.count(1000)

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self.workflows.clear()
            self.crons.clear()

    def set_status(self, namespace: str, name: str, **status: Any) -> None:
        """What Argo's controller would write: phase, message, startedAt, finishedAt, ..."""
        with self._lock:
            workflow = self.workflows[(namespace, name)]
            workflow.setdefault("status", {}).update(status)
            workflow["metadata"]["resourceVersion"] = str(next(self._versions))

    def set_cron_status(self, namespace: str, name: str, **status: Any) -> None:
        with self._lock:
            cron = self.crons[(namespace, name)]
            cron.setdefault("status", {}).update(status)
            cron["metadata"]["resourceVersion"] = str(next(self._versions))


class FakeArgo(ArgoObjectsFake):
    """In-memory Argo Server on 127.0.0.1; `url` is where to point ArgoEngine.host."""

    thread_name = "fake-argo"

    def __init__(self, token: str | None = "fake-token", base_path: str = "/", tls: ssl.SSLContext | None = None):
        super().__init__(token=token, base_path=base_path, tls=tls)

    # ---- what tests set up and look at -------------------------------------

    def put_workflow(self, namespace: str, manifest: dict, phase: str | None = "Pending") -> dict:
        """Store a workflow as if someone else had created it."""
        with self._lock:
            return self._store(self.workflows, namespace, manifest, phase)

    def refuse_cron_run(self, namespace: str, name: str, error: str, count: bool = True) -> None:
        """Play Argo's cron controller failing to create a run of `name` (record_submission_error)."""
        with self._lock:
            cron = self.crons[(namespace, name)]
            record_submission_error(cron, error, count)
            cron["metadata"]["resourceVersion"] = str(next(self._versions))

    # ---- the API ---------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        routes = [
            (r"/api/v1/workflows/([^/]+)", {"GET": self._list_workflows, "POST": self._create_workflow}),
            (r"/api/v1/workflows/([^/]+)/([^/]+)", {"GET": self._get_workflow, "DELETE": self._delete_workflow}),
            (r"/api/v1/workflows/([^/]+)/([^/]+)/stop", {"PUT": self._stop_workflow}),
            (r"/api/v1/cron-workflows/([^/]+)", {"GET": self._list_crons, "POST": self._create_cron}),
            (
                r"/api/v1/cron-workflows/([^/]+)/([^/]+)",
                {"GET": self._get_cron, "PUT": self._update_cron, "DELETE": self._delete_cron},
            ),
            (r"/api/v1/cron-workflows/([^/]+)/([^/]+)/(suspend|resume)", {"PUT": self._suspend_cron}),
        ]
        for pattern, methods in routes:
            if match := re.fullmatch(pattern, path):
                if method not in methods:
                    raise ArgoError(405, f"method {method} not allowed", code=12)
                with self._lock:
                    return methods[method](*match.groups(), query=query, body=body)
        raise ArgoError(404, f"no route for {method} {path}", code=12)

    def _store(self, table: dict, namespace: str, obj: dict, phase: str | None) -> dict:
        obj = json.loads(json.dumps(obj))
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("name"):
            if not metadata.get("generateName"):
                raise ArgoError(400, "name or generateName is required")
            metadata["name"] = metadata["generateName"] + uuid.uuid4().hex[:5]
        if metadata.get("namespace", namespace) != namespace:
            raise ArgoError(
                400, "the namespace of the provided object does not match the namespace sent on the request"
            )
        key = (namespace, metadata["name"])
        if key in table:
            resource = "workflows" if table is self.workflows else "cronworkflows"
            raise ArgoError(409, f'{resource}.argoproj.io "{metadata["name"]}" already exists')
        metadata.update(
            namespace=namespace,
            uid=str(uuid.uuid4()),
            resourceVersion=str(next(self._versions)),
            creationTimestamp=_now(),
        )
        if phase is not None:
            obj["status"] = {"phase": phase}
        table[key] = obj
        return obj

    def _find(self, table: dict, namespace: str, name: str) -> dict:
        try:
            return table[(namespace, name)]
        except KeyError:
            resource = "workflows" if table is self.workflows else "cronworkflows"
            raise ArgoError(404, f'{resource}.argoproj.io "{name}" not found') from None

    def _list_workflows(self, namespace: str, query: dict[str, str], body: Any) -> dict:
        selected = parse_selector(query.get("listOptions.labelSelector", ""))
        items = sorted(
            (w for (ns, _), w in self.workflows.items()
             if ns == namespace and selected(w["metadata"].get("labels") or {})),
            key=lambda w: w["metadata"]["name"],
        )
        offset = 0
        if token := query.get("listOptions.continue"):
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        limit = int(query.get("listOptions.limit") or 0)
        page = items[offset: offset + limit] if limit else items[offset:]
        metadata: dict[str, str] = {"resourceVersion": str(next(self._versions))}
        if limit and offset + limit < len(items):
            metadata["continue"] = base64.urlsafe_b64encode(f"offset:{offset + limit}".encode()).decode()
        answer: dict[str, Any] = {"metadata": metadata, "items": json.loads(json.dumps(page))}
        if fields := query.get("fields"):
            if fields.startswith("-"):
                raise ArgoError(400, "the fake does not implement excluding fields")
            answer = _pick(answer, [f.strip().split(".") for f in fields.split(",")])
            # Argo filters through its Go structs and marshals them again, so
            # the non-omitempty ones (items, each item's metadata and spec) stay.
            answer.setdefault("metadata", {})
            answer["items"] = [{"metadata": {}, "spec": {}, **item} for item in answer.get("items") or []]
        return answer

    def _create_workflow(self, namespace: str, query: dict[str, str], body: Any) -> dict:
        return self._store(self.workflows, namespace, body["workflow"], "Pending")

    def _get_workflow(self, namespace: str, name: str, query: dict[str, str], body: Any) -> dict:
        workflow = self._find(self.workflows, namespace, name)
        if fields := query.get("fields"):
            if fields.startswith("-"):
                raise ArgoError(400, "the fake does not implement excluding fields")
            # As in a listing: Argo marshals its structs again, so metadata and spec stay.
            return {"metadata": {}, "spec": {}, **_pick(workflow, [f.strip().split(".") for f in fields.split(",")])}
        return workflow

    def _delete_workflow(self, namespace: str, name: str, query: dict[str, str], body: Any) -> dict:
        self._find(self.workflows, namespace, name)
        del self.workflows[(namespace, name)]
        return {}

    def _stop_workflow(self, namespace: str, name: str, query: dict[str, str], body: Any) -> dict:
        workflow = self._find(self.workflows, namespace, name)
        if (workflow.get("status") or {}).get("phase") in DONE:
            # Argo's AlreadyShutdownError, which its server turns into a 500.
            raise ArgoError(
                500, f'cannot shutdown a completed workflow: workflow: "{name}", namespace: "{namespace}"', code=2
            )
        # Argo's stop patches spec.shutdown; its controller then stops the
        # pods and runs the exit handler.
        workflow["spec"]["shutdown"] = "Stop"
        workflow["metadata"]["resourceVersion"] = str(next(self._versions))
        return workflow

    def _list_crons(self, namespace: str, query: dict[str, str], body: Any) -> dict:
        selector = query.get("listOptions.labelSelector", "")
        items = sorted(
            (c for (ns, _), c in self.crons.items()
             if ns == namespace and matches_selector(c["metadata"].get("labels") or {}, selector)),
            key=lambda c: c["metadata"]["name"],
        )
        return {"metadata": {"resourceVersion": str(next(self._versions))}, "items": json.loads(json.dumps(items))}

    def _create_cron(self, namespace: str, query: dict[str, str], body: Any) -> dict:
        return self._store(self.crons, namespace, body["cronWorkflow"], None)

    def _get_cron(self, namespace: str, name: str, query: dict[str, str], body: Any) -> dict:
        return self._find(self.crons, namespace, name)

    def _update_cron(self, namespace: str, name: str, query: dict[str, str], body: Any) -> dict:
        current = self._find(self.crons, namespace, name)
        new = json.loads(json.dumps(body["cronWorkflow"]))
        version = new.get("metadata", {}).get("resourceVersion")
        if not version:
            raise ArgoError(400, "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update")
        if version != current["metadata"]["resourceVersion"]:
            raise ArgoError(
                409,
                f'Operation cannot be fulfilled on cronworkflows.argoproj.io "{name}": the object has been '
                "modified; please apply your changes to the latest version and try again",
                code=10,
            )
        new["metadata"].update(
            name=name,
            namespace=namespace,
            uid=current["metadata"]["uid"],
            creationTimestamp=current["metadata"]["creationTimestamp"],
            resourceVersion=str(next(self._versions)),
        )
        self.crons[(namespace, name)] = new
        return new

    def _suspend_cron(self, namespace: str, name: str, action: str, query: dict[str, str], body: Any) -> dict:
        cron = self._find(self.crons, namespace, name)
        cron["spec"]["suspend"] = action == "suspend"
        cron["metadata"]["resourceVersion"] = str(next(self._versions))
        return cron

    def _delete_cron(self, namespace: str, name: str, query: dict[str, str], body: Any) -> dict:
        self._find(self.crons, namespace, name)
        del self.crons[(namespace, name)]
        return {}

    # ---- transport (http_fake.HttpFake) ------------------------------------------

    def answer(self, request: Recorded) -> tuple[int, Any]:
        return 200, self.handle(request.method, request.path, request.query, request.body)

    def error(self, status: int, message: str) -> ArgoError:
        return ArgoError(status, message)

    def unauthorized(self) -> ArgoError:
        return ArgoError(401, "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/")
