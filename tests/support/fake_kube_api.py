"""A fake Kubernetes API server on 127.0.0.1: core/v1 and Argo's CRDs, answering as the real one does.

Kubernetes cannot run here, so this stands in for the API server that the
kubernetes engine (Argo's objects, Secrets), the Argo engine's Secret store,
the submission checks (Secrets, claims, quotas), the inherit mutator (pods)
and the Nebari workflow controller (pods, CronWorkflows) talk to. On the
shared transport of http_fake.HttpFake: a bearer token required when one is
given (none: `kubectl proxy`), every request recorded, faults injected with
`fail()`. Errors are `Status` objects; `forbid()` makes requests answer 403
as missing RBAC does.

- core/v1 (pods, secrets, persistentvolumeclaims, resourcequotas): get,
  list (label selectors), create (409 AlreadyExists), replace, delete;
  Secrets' stringData becomes base64 data as the API server stores it.
- argoproj.io/v1alpha1 (workflows, cronworkflows): create, get, list with
  labelSelector and limit/continue, replace (resourceVersion required, 409
  Conflict when stale), JSON merge patch (RFC 7386; a resourceVersion in
  the patch is a precondition), delete. Every object created, replaced or
  patched is validated against Argo's CRDs (argo_crds.py).

A test plays Argo's workflow controller with `set_status()` and
`refuse_cron_run()`, and puts objects others created with `put_workflow()`,
`put_cron()` (validated) or `add()` (stored as given).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from support.argo_crds import API_VERSION, Invalid, validate
from support.fake_argo import ArgoError, ArgoObjectsFake, parse_selector, record_submission_error
from support.http_fake import FakeError, Recorded

CORE = {"pods": "Pod", "secrets": "Secret", "persistentvolumeclaims": "PersistentVolumeClaim",
        "resourcequotas": "ResourceQuota"}
CRDS = {"workflows": "Workflow", "cronworkflows": "CronWorkflow"}
KINDS = {**CORE, **CRDS}
ARGO_GROUP = "argoproj.io"
REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "Timeout",
}
_PATH = re.compile(
    r"^/(?P<group>api/v1|apis/argoproj\.io/v1alpha1)/namespaces/(?P<ns>[^/]+)/(?P<resource>[a-z]+)(?:/(?P<name>[^/]+))?$"
)


class KubeError(FakeError):
    """An answer with a Kubernetes Status body."""

    def __init__(self, code: int, message: str, reason: str | None = None, details: dict | None = None):
        self.code = code
        super().__init__(code, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason or REASONS.get(code, "Unknown"), "code": code,
            **({"details": details} if details else {}),
        }, message)


@dataclass(frozen=True)
class Call:
    """A recorded request, as the API server understood it."""

    verb: str  # get, list, create, update, patch, delete
    resource: str | None  # None outside the API's paths
    namespace: str | None
    name: str | None
    request: Recorded


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _route(request: Recorded) -> Call:
    match = _PATH.match(request.path)
    name = match["name"] if match else None
    verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update",
            "PATCH": "patch", "DELETE": "delete"}.get(request.method, request.method.lower())
    if match is None or (match["resource"] in CRDS) != (match["group"] != "api/v1") or match["resource"] not in KINDS:
        return Call(verb, None, None, None, request)
    return Call(verb, match["resource"], match["ns"], name, request)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _stored_secret(namespace: str, obj: dict) -> dict:
    """A Secret as the API server keeps it: stringData folded into base64 data."""
    obj = copy.deepcopy(obj)
    data = dict(obj.get("data") or {})
    for key, value in (obj.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    obj["data"] = data
    obj.setdefault("metadata", {})["namespace"] = namespace
    return obj


class FakeKubeApi(ArgoObjectsFake):
    """In-memory Kubernetes API on 127.0.0.1; `url` is the host to point a client at (as kubeconfig writes it)."""

    thread_name = "fake-kube-api"

    def __init__(self, token: str | None = None):
        super().__init__(token=token)
        self.url = self.url.rstrip("/")
        # Every resource's objects by (namespace, name); Argo's are ArgoObjectsFake's tables.
        self.objects: dict[str, dict[tuple[str, str], dict]] = {
            **{resource: {} for resource in CORE}, "workflows": self.workflows, "cronworkflows": self.crons,
        }
        # (verb, resource, namespace) the token's identity may not do, None matching any: missing RBAC.
        self.forbidden: list[tuple[str | None, str | None, str | None]] = []

    # ---- what tests set up and look at -------------------------------------

    def reset(self) -> None:
        with self._lock:
            super().reset()
            for resource in CORE:
                self.objects[resource].clear()
            self.forbidden.clear()

    def forbid(self, verb: str | None = None, resource: str | None = None, namespace: str | None = None) -> None:
        self.forbidden.append((verb, resource, namespace))

    @property
    def secrets(self) -> dict[tuple[str, str], dict]:
        return self.objects["secrets"]

    def add(self, resource: str, obj: dict) -> dict:
        """Store `obj` as someone else stored it: unchecked, with its apiVersion, kind and a resourceVersion."""
        api_version = API_VERSION if resource in CRDS else "v1"
        obj = {"apiVersion": api_version, "kind": KINDS[resource], **obj}
        obj["metadata"] = {"resourceVersion": "1", **obj["metadata"]}
        with self._lock:
            self.objects[resource][(obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
        return obj

    def add_pod(self, pod: dict) -> None:
        self.add("pods", pod)

    def add_secret(self, namespace: str, name: str, data: dict[str, str] | None = None) -> None:
        self.add("secrets", _stored_secret(namespace, {"metadata": {"name": name}, "stringData": data or {}}))

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

    def secret_values(self, namespace: str, name: str) -> dict[str, str]:
        data = self.secrets[(namespace, name)].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def put_workflow(self, namespace: str, manifest: dict, phase: str | None = "Pending") -> dict:
        """Store a workflow as if someone else (or the cron controller) had created it."""
        with self._lock:
            stored = self._create("workflows", namespace, manifest)
            if phase is not None:
                stored["status"] = {"phase": phase}
            return copy.deepcopy(stored)

    def put_cron(self, namespace: str, manifest: dict) -> dict:
        with self._lock:
            return copy.deepcopy(self._create("cronworkflows", namespace, manifest))

    def touch_cron(self, namespace: str, name: str) -> None:
        """A write by the cron controller: a new resourceVersion, as on every run it starts."""
        self.set_cron_status(namespace, name, lastScheduledTime=_now())

    def refuse_cron_run(self, namespace: str, name: str, error: str, count: bool = True) -> None:
        """Play Argo's cron controller failing to create a run of `name` (fake_argo.record_submission_error)."""
        with self._lock:
            cron = self.crons[(namespace, name)]
            record_submission_error(cron, error, count)
            # Argo writes it through the CRD, whose schema must take it.
            self._validate("cronworkflows", cron)
            cron["metadata"]["resourceVersion"] = str(next(self._versions))

    def calls(self, verb: str | None = None, resource: str | None = None) -> list[Call]:
        """The recorded requests as the API understood them, optionally of one verb and resource."""
        return [c for c in map(_route, self.requests())
                if (verb is None or c.verb == verb) and (resource is None or c.resource == resource)]

    def pod_reads(self) -> int:
        return len(self.calls("get", "pods"))

    # ---- the API ---------------------------------------------------------------

    def handle(self, request: Recorded) -> tuple[int, Any]:
        call = _route(request)
        if call.resource is None:
            raise KubeError(404, "the server could not find the requested resource")
        verb, plural, namespace, name = call.verb, call.resource, call.namespace, call.name
        if any(v in (None, verb) and r in (None, plural) and n in (None, namespace) for v, r, n in self.forbidden):
            group = ARGO_GROUP if plural in CRDS else ""
            qualified = f"{plural}.{group}" if group else plural
            raise KubeError(
                403,
                f'{qualified} {json.dumps(name) + " " if name else ""}is forbidden: User '
                f'"system:serviceaccount:{namespace}:default" cannot {verb} resource "{plural}" in API group '
                f'"{group}" in the namespace "{namespace}"',
                details={"name": name, "group": group, "kind": plural},
            )
        if plural in CORE:
            return self._core(verb, plural, namespace, name, request.body, request.query)
        routes = {
            ("list", False): lambda: (200, self._list(plural, namespace, request.query)),
            ("create", False): lambda: (201, self._create(plural, namespace, request.body, request.query)),
            ("get", True): lambda: (200, self._find(plural, namespace, name)),
            ("update", True): lambda: (200, self._replace(plural, namespace, name, request.body)),
            ("patch", True): lambda: (200, self._patch(plural, namespace, name, request)),
            ("delete", True): lambda: (200, self._delete(plural, namespace, name)),
        }
        route = routes.get((verb, name is not None))
        if route is None:
            raise KubeError(405, "the server does not allow this method on the requested resource")
        status, answer = route()
        # A snapshot: what is stored may change before the answer is written.
        return status, copy.deepcopy(answer)

    def _core(self, verb: str, resource: str, namespace: str, name: str | None, body: Any, query: dict) -> tuple[int, Any]:
        store = self.objects[resource]
        kept = _stored_secret if resource == "secrets" else (lambda ns, obj: {
            **copy.deepcopy(obj), "metadata": {**obj.get("metadata", {}), "namespace": ns}})
        if verb == "list" and name is None:
            selected = self._selector(query)
            items = [obj for (ns, _), obj in sorted(store.items())
                     if ns == namespace and selected(obj["metadata"].get("labels") or {})]
            return 200, {"kind": f"{KINDS[resource]}List", "apiVersion": "v1",
                         "metadata": {"resourceVersion": "1"}, "items": copy.deepcopy(items)}
        if verb == "create" and name is None:
            if not isinstance(body, dict):
                raise KubeError(400, "the body of the request was in an unknown format")
            obj = kept(namespace, body)
            key = (namespace, obj["metadata"]["name"])
            if key in store:
                raise KubeError(409, f'{resource} "{key[1]}" already exists', "AlreadyExists")
            store[key] = obj
            return 201, copy.deepcopy(obj)
        if verb not in ("get", "update", "delete") or name is None:
            raise KubeError(405, "the server does not allow this method on the requested resource")
        if (namespace, name) not in store:
            raise KubeError(404, f'{resource} "{name}" not found')
        if verb == "get":
            return 200, copy.deepcopy(store[(namespace, name)])
        if verb == "update":
            store[(namespace, name)] = kept(namespace, body)
            return 200, copy.deepcopy(store[(namespace, name)])
        del store[(namespace, name)]
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}

    @staticmethod
    def _selector(query: dict[str, str]):
        try:
            return parse_selector(query.get("labelSelector", ""))
        except ArgoError as e:
            raise KubeError(400, f"unable to parse requirement: {e}") from None

    @staticmethod
    def _validate(plural: str, obj: dict) -> None:
        try:
            validate(plural, obj)
        except Invalid as e:
            raise KubeError(e.status, str(e), details=e.details) from None

    def _check_object(self, plural: str, namespace: str, obj: Any) -> dict:
        if not isinstance(obj, dict):
            raise KubeError(400, "the body of the request was in an unknown format")
        if obj.get("apiVersion") != API_VERSION or obj.get("kind") != KINDS[plural]:
            raise KubeError(
                400,
                f"the API version in the data ({obj.get('apiVersion')}) and kind ({obj.get('kind')}) do not "
                f"match the expected {API_VERSION} {KINDS[plural]}",
            )
        if (obj.get("metadata") or {}).get("namespace", namespace) != namespace:
            raise KubeError(400, "the namespace of the provided object does not match the namespace sent on the request")
        return obj

    def _create(self, plural: str, namespace: str, obj: Any, query: dict | None = None) -> dict:
        obj = copy.deepcopy(self._check_object(plural, namespace, obj))
        metadata = obj.setdefault("metadata", {})
        if not metadata.get("name"):
            if not metadata.get("generateName"):
                raise KubeError(422, f'{KINDS[plural]}.argoproj.io "" is invalid: metadata.name: Required value')
            metadata["name"] = metadata["generateName"] + uuid.uuid4().hex[:5]
        self._validate(plural, obj)
        table = self.objects[plural]
        key = (namespace, metadata["name"])
        if key in table:
            raise KubeError(
                409, f'{plural}.argoproj.io "{key[1]}" already exists', "AlreadyExists",
                {"name": key[1], "group": "argoproj.io", "kind": plural},
            )
        metadata.update(
            namespace=namespace, uid=str(uuid.uuid4()), resourceVersion=str(next(self._versions)),
            creationTimestamp=_now(), generation=1,
        )
        table[key] = obj
        return obj

    def _find(self, plural: str, namespace: str, name: str) -> dict:
        try:
            return self.objects[plural][(namespace, name)]
        except KeyError:
            raise KubeError(
                404, f'{plural}.argoproj.io "{name}" not found', details={"name": name, "group": "argoproj.io", "kind": plural}
            ) from None

    def _list(self, plural: str, namespace: str, query: dict[str, str]) -> dict:
        selected = self._selector(query)
        items = sorted(
            (o for (ns, _), o in self.objects[plural].items()
             if ns == namespace and selected(o["metadata"].get("labels") or {})),
            key=lambda o: o["metadata"]["name"],
        )
        offset = 0
        if token := query.get("continue"):
            try:
                offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
            except ValueError:
                raise KubeError(400, "continue key is not valid") from None
        limit = int(query.get("limit") or 0)
        page = items[offset: offset + limit] if limit else items[offset:]
        metadata: dict[str, Any] = {"resourceVersion": str(next(self._versions))}
        if limit and offset + limit < len(items):
            metadata["continue"] = base64.urlsafe_b64encode(f"offset:{offset + limit}".encode()).decode()
            metadata["remainingItemCount"] = len(items) - offset - limit
        return {"apiVersion": API_VERSION, "kind": KINDS[plural] + "List", "metadata": metadata,
                "items": copy.deepcopy(page)}

    def _replace(self, plural: str, namespace: str, name: str, obj: Any) -> dict:
        current = self._find(plural, namespace, name)
        new = copy.deepcopy(self._check_object(plural, namespace, obj))
        metadata = new.setdefault("metadata", {})
        if metadata.get("name") != name:
            raise KubeError(400, "the name of the object does not match the name on the URL")
        version = metadata.get("resourceVersion")
        if not version:
            raise KubeError(
                422, f'{KINDS[plural]}.argoproj.io "{name}" is invalid: metadata.resourceVersion: Invalid value: '
                '0x0: must be specified for an update',
            )
        if version != current["metadata"]["resourceVersion"]:
            raise self._conflict(plural, name)
        self._validate(plural, new)
        metadata.update(
            namespace=namespace, uid=current["metadata"]["uid"],
            creationTimestamp=current["metadata"]["creationTimestamp"], resourceVersion=str(next(self._versions)),
            generation=current["metadata"].get("generation", 1) + (new.get("spec") != current.get("spec")),
        )
        self.objects[plural][(namespace, name)] = new
        return new

    def _patch(self, plural: str, namespace: str, name: str, request: Recorded) -> dict:
        content_type = (request.content_type or "").split(";")[0].strip()
        if content_type != "application/merge-patch+json":
            raise KubeError(415, f"the body of the request was in an unknown format - accepted media types include: "
                                 f"application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        if not isinstance(request.body, dict):
            raise KubeError(400, "the body of the request was in an unknown format")
        current = self._find(plural, namespace, name)
        version = (request.body.get("metadata") or {}).get("resourceVersion")
        if version is not None and version != current["metadata"]["resourceVersion"]:
            raise self._conflict(plural, name)
        patched = merge_patch(current, request.body)
        for key in ("name", "namespace", "uid", "creationTimestamp"):
            patched["metadata"][key] = current["metadata"][key]
        self._validate(plural, patched)
        patched["metadata"]["resourceVersion"] = str(next(self._versions))
        self.objects[plural][(namespace, name)] = patched
        return patched

    def _delete(self, plural: str, namespace: str, name: str) -> dict:
        self._find(plural, namespace, name)
        return self.objects[plural].pop((namespace, name))

    @staticmethod
    def _conflict(plural: str, name: str) -> KubeError:
        return KubeError(
            409,
            f'Operation cannot be fulfilled on {plural}.argoproj.io "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            details={"name": name, "group": "argoproj.io", "kind": plural},
        )

    # ---- transport (http_fake.HttpFake) ------------------------------------------

    def answer(self, request: Recorded) -> tuple[int, Any]:
        with self._lock:
            return self.handle(request)

    def error(self, status: int, message: str) -> KubeError:
        return KubeError(status, message)
