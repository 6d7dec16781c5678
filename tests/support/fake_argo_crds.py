"""A fake Kubernetes API server for Argo's CRDs (argoproj.io/v1alpha1 workflows and cronworkflows).

Kubernetes cannot run here, so this stands in for the API server the
kubernetes engine talks to. It does what the real one does for these custom
resources: create (409 AlreadyExists), get, list with labelSelector and
limit/continue, replace (resourceVersion required, 409 Conflict when stale),
JSON merge patch (RFC 7386; a resourceVersion in the patch is a
precondition), delete; Status bodies for every error; a bearer token
required (401); RBAC refusals (403) a test declares with `forbid()`; and
Secrets in the core group, which the engine stores per-job values in.

Every object created, replaced or patched is validated against the
openAPIV3Schema of Argo's own CRDs (../shared/argo/argoproj.io_*.yaml), so
what the engine sends is checked against the real contract: schema
violations answer 422 Invalid, unknown fields 400 "strict decoding error"
(stricter than a real server asked without fieldValidation=Strict, which
would prune them silently; the engine asks for Strict).

A test plays Argo's workflow controller with `set_status()`, and injects
failures with `fail()` (http_fake.Fault: an HTTP status, a delay, a dropped
connection, before or after doing the work).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from support.fake_argo import ArgoError, ArgoObjectsFake, parse_selector, record_submission_error
from support.http_fake import FakeError, Recorded

ARGO_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "argo"
CRD_FILES = {"workflows": "argoproj.io_workflows.yaml", "cronworkflows": "argoproj.io_cronworkflows.yaml"}
KINDS = {"workflows": "Workflow", "cronworkflows": "CronWorkflow"}
API_VERSION = "argoproj.io/v1alpha1"
REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
    409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "Timeout",
}
_CR_PATH = re.compile(r"^/apis/argoproj\.io/v1alpha1/namespaces/([^/]+)/(workflows|cronworkflows)(?:/([^/]+))?$")
_SECRET_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?$")
_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
_QUALIFIED_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
# ObjectMeta is `type: object` in the CRDs: the API server validates it itself.
OBJECT_META = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": _DNS_SUBDOMAIN},
        "generateName": {"type": "string"},
        "namespace": {"type": "string", "pattern": _DNS_SUBDOMAIN},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": _QUALIFIED_KEY, "maxLength": 317},
            "additionalProperties": {"type": "string", "maxLength": 63, "pattern": _LABEL_VALUE},
        },
        "annotations": {
            "type": "object",
            "propertyNames": {"pattern": _QUALIFIED_KEY},
            "additionalProperties": {"type": "string"},
        },
        "resourceVersion": {"type": "string"},
        "uid": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array"},
        "managedFields": {"type": "array"},
    },
}


class KubeError(FakeError):
    """An answer with a Kubernetes Status body."""

    def __init__(self, code: int, message: str, reason: str | None = None, details: dict | None = None):
        self.code = code
        super().__init__(code, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason or REASONS.get(code, "Unknown"), "code": code,
            **({"details": details} if details else {}),
        }, message)


# A request as recorded (its content type is what a merge patch is told by).
Request = Recorded


def _strict(node: Any) -> Any:
    """The CRD schema as JSON Schema that refuses unknown fields, as fieldValidation=Strict does.

    Objects with `properties` get additionalProperties: false unless they say
    x-kubernetes-preserve-unknown-fields; x-kubernetes-int-or-string without
    its anyOf gets one.
    """
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: (_strict(v) if k in ("items", "additionalProperties", "anyOf", "allOf", "oneOf") else v)
            for k, v in node.items()}
    if "properties" in node:
        node["properties"] = {k: _strict(v) for k, v in node["properties"].items()}
        if not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
            node["additionalProperties"] = False
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return node


@functools.lru_cache(maxsize=None)
def crd_validator(plural: str):
    """A validator for the openAPIV3Schema of Argo's CRD for `plural` (read once per test run)."""
    import jsonschema

    path = ARGO_SPECS / CRD_FILES[plural]
    if not path.exists():
        raise RuntimeError(f"Argo's CRD is missing at {path}: the tests need ../shared/argo beside the repo")
    crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = _strict(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = OBJECT_META
    return jsonschema.Draft4Validator(schema)


def _field(path) -> str:
    """A JSON path as Kubernetes writes it in errors: spec.templates[0].container."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate(plural: str, obj: dict) -> None:
    """Raise the KubeError a real API server would for `obj` (with fieldValidation=Strict)."""
    kind = KINDS[plural]
    errors = sorted(crd_validator(plural).iter_errors(obj), key=lambda e: list(e.absolute_path))
    name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName")
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    if unknown:
        fields = []
        for e in unknown:
            extra = set(e.instance) - set(e.schema.get("properties") or {})
            where = _field(e.absolute_path)
            fields += [f'unknown field "{where + "." if where else ""}{f}"' for f in sorted(extra)]
        raise KubeError(400, f"strict decoding error: {', '.join(fields)}")
    if errors:
        causes = "; ".join(
            f"{_field(e.absolute_path) or '<root>'}: Invalid value: {e.message}" for e in errors[:5]
        )
        raise KubeError(422, f'{kind}.argoproj.io "{name}" is invalid: {causes}', details={"kind": kind, "name": name})


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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _verb(method: str, name: str | None) -> str:
    return {"GET": "get" if name else "list", "POST": "create", "PUT": "update",
            "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


class FakeArgoCRDs(ArgoObjectsFake):
    """In-memory Kubernetes API for Argo's custom resources on 127.0.0.1; `url` is the engine's host."""

    thread_name = "fake-crds"

    def __init__(self, token: str | None = "fake-token"):
        super().__init__(token=token)
        self.url = self.url.rstrip("/")  # a Kubernetes host, as kubeconfig writes it
        self.secrets: dict[tuple[str, str], dict] = {}
        # (verb, resource) pairs the token's identity may not do: what missing RBAC looks like.
        self.forbidden: set[tuple[str, str]] = set()

    # ---- what tests set up and look at -------------------------------------

    def reset(self) -> None:
        with self._lock:
            super().reset()
            for table in (self.secrets, self.forbidden):
                table.clear()

    def forbid(self, verb: str, resource: str) -> None:
        self.forbidden.add((verb, resource))

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
            validate("cronworkflows", cron)
            cron["metadata"]["resourceVersion"] = str(next(self._versions))

    # ---- the API ---------------------------------------------------------------

    def _table(self, plural: str) -> dict:
        return self.workflows if plural == "workflows" else self.crons

    def handle(self, request: Request) -> tuple[int, Any]:
        if match := _CR_PATH.match(request.path):
            namespace, plural, name = match.groups()
        elif match := _SECRET_PATH.match(request.path):
            namespace, name = match.groups()
            plural = "secrets"
        else:
            raise KubeError(404, "the server could not find the requested resource")
        verb = _verb(request.method, name)
        if (verb, plural) in self.forbidden:
            group = "" if plural == "secrets" else "argoproj.io"
            raise KubeError(
                403,
                f'{plural}.{group or "v1"} {json.dumps(name) + " " if name else ""}is forbidden: User '
                f'"system:serviceaccount:jupyter:default" cannot {verb} resource "{plural}" in API group '
                f'"{group}" in the namespace "{namespace}"',
                details={"name": name, "group": group, "kind": plural},
            )
        if plural == "secrets":
            return self._secret(request, namespace, name)
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
        validate(plural, obj)
        table = self._table(plural)
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
            return self._table(plural)[(namespace, name)]
        except KeyError:
            raise KubeError(
                404, f'{plural}.argoproj.io "{name}" not found', details={"name": name, "group": "argoproj.io", "kind": plural}
            ) from None

    def _list(self, plural: str, namespace: str, query: dict[str, str]) -> dict:
        try:
            selected = parse_selector(query.get("labelSelector", ""))
            items = sorted(
                (o for (ns, _), o in self._table(plural).items()
                 if ns == namespace and selected(o["metadata"].get("labels") or {})),
                key=lambda o: o["metadata"]["name"],
            )
        except ArgoError as e:
            raise KubeError(400, f"unable to parse requirement: {e}") from None
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
        validate(plural, new)
        metadata.update(
            namespace=namespace, uid=current["metadata"]["uid"],
            creationTimestamp=current["metadata"]["creationTimestamp"], resourceVersion=str(next(self._versions)),
            generation=current["metadata"].get("generation", 1) + (new.get("spec") != current.get("spec")),
        )
        self._table(plural)[(namespace, name)] = new
        return new

    def _patch(self, plural: str, namespace: str, name: str, request: Request) -> dict:
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
        validate(plural, patched)
        patched["metadata"]["resourceVersion"] = str(next(self._versions))
        self._table(plural)[(namespace, name)] = patched
        return patched

    def _delete(self, plural: str, namespace: str, name: str) -> dict:
        self._find(plural, namespace, name)
        return self._table(plural).pop((namespace, name))

    @staticmethod
    def _conflict(plural: str, name: str) -> KubeError:
        return KubeError(
            409,
            f'Operation cannot be fulfilled on {plural}.argoproj.io "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            details={"name": name, "group": "argoproj.io", "kind": plural},
        )

    def _secret(self, request: Request, namespace: str, name: str | None) -> tuple[int, Any]:
        def stored(secret: dict) -> dict:
            secret = copy.deepcopy(secret)
            data = dict(secret.get("data") or {})
            for key, value in (secret.pop("stringData", None) or {}).items():
                data[key] = base64.b64encode(value.encode()).decode()
            secret["data"] = data
            secret.setdefault("metadata", {})["namespace"] = namespace
            return secret

        if request.method == "POST" and name is None:
            secret = stored(request.body)
            key = (namespace, secret["metadata"]["name"])
            if key in self.secrets:
                raise KubeError(409, f'secrets "{key[1]}" already exists', "AlreadyExists")
            self.secrets[key] = secret
            return 201, secret
        if name is None or (namespace, name) not in self.secrets:
            raise KubeError(404, f'secrets "{name}" not found')
        if request.method == "PUT":
            self.secrets[(namespace, name)] = stored(request.body)
            return 200, self.secrets[(namespace, name)]
        if request.method == "DELETE":
            del self.secrets[(namespace, name)]
            return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success"}
        raise KubeError(405, "the server does not allow this method on the requested resource")

    def secret_values(self, namespace: str, name: str) -> dict[str, str]:
        data = self.secrets[(namespace, name)].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    # ---- transport (http_fake.HttpFake) ------------------------------------------

    def answer(self, request: Request) -> tuple[int, Any]:
        with self._lock:
            return self.handle(request)

    def error(self, status: int, message: str) -> KubeError:
        return KubeError(status, message)
