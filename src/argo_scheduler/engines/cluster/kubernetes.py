"""KubernetesEngine: Argo's Workflow and CronWorkflow objects created directly through the Kubernetes API.

For clusters that run Argo's workflow controller but expose no Argo Server
to the Jupyter server. The objects are custom resources of the group
argoproj.io/v1alpha1, written with the official kubernetes client
(CustomObjectsApi); the controller does the rest, exactly as for objects an
Argo Server created. What Argo Server adds on top of the API is done here
the way Argo's own code does it:

- stop: a merge patch of `spec.shutdown: Stop` (what `argo stop` sends), so
  the controller stops the pods and still runs the exit handler; a finished
  run is left alone;
- suspend/resume of a cron: a merge patch of `spec.suspend`;
- update of a cron: a replacement carrying the resourceVersion just read,
  read and sent again on 409 Conflict (the cron controller writes the
  object on every run).

Objects are sent with `fieldValidation=Strict`: a field the installed CRDs
do not know is refused with its name instead of being silently pruned (a
pruned `onExit` would leave failed jobs IN_PROGRESS forever).

Semantics shared with the argo engine (engines/argo.py): idempotent create
per job (definition) id label, unknown names left out of status(), stop of
a finished run a no-op, `WorkflowNotFound` on 404, retries with exponential
backoff on connection errors, timeouts, 429, 500 and 502-504, every failure
an `EngineError` naming the API server and what to change.

The kubernetes client is imported when the engine first talks to the API,
never at import of this module.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, TypeVar

from traitlets import Float, Integer, Unicode, default

from ...kubeapi import ApiAccess, KubeConfigError
from ...labels import DEFINITION_ID_LABEL, JOB_ID_LABEL
from ...names import is_dns1123_subdomain
from ..base import DONE_PHASES, PENDING, CronState, Engine, EngineError, WorkflowNotFound, WorkflowState
from .. import selectors
from .objects import (
    BACKOFF_MAX,
    TRANSIENT_STATUSES,
    Op,
    check_names,
    cron_state,
    managed_selector,
    prepare,
    replacement,
)

# Up to this many names, status() reads each by name (one object, found by
# key) rather than list every managed workflow of the namespace to pick them.
GET_BY_NAME_MAX = 3

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, CustomObjectsApi

T = TypeVar("T")

GROUP = "argoproj.io"
VERSION = "v1alpha1"
WORKFLOWS = "workflows"
CRON_WORKFLOWS = "cronworkflows"
# Ask the API server to refuse unknown fields rather than prune them.
STRICT = "Strict"


class KubernetesApiError(EngineError):
    """The Kubernetes API answered with an HTTP error; `status` is its code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class KubernetesNotFound(KubernetesApiError, WorkflowNotFound):
    """404 for a named workflow or cron workflow: it does not exist (any more)."""


class KubernetesEngine(Engine):
    """Run workflows by creating Argo's Workflow and CronWorkflow objects through the Kubernetes API."""

    namespace = Unicode(
        config=True,
        help="""Kubernetes namespace of the workflows and cron workflows (Argo's
        workflow controller must watch it). Default: the scheduler's namespace
        (c.ArgoScheduler.namespace) when the engine belongs to one, else
        $ARGO_NAMESPACE, else "default".

            c.KubernetesEngine.namespace = "jupyter-jobs"
        """,
    )

    @default("namespace")
    def _default_namespace(self) -> str:
        parent_namespace = getattr(self.parent, "namespace", None)
        if isinstance(parent_namespace, str) and parent_namespace:
            return parent_namespace
        return os.environ.get("ARGO_NAMESPACE", "").strip() or "default"

    kubeconfig = Unicode(
        "",
        config=True,
        help="""kubeconfig file (its current context) to reach the Kubernetes
        API with, for a Jupyter server outside the cluster; it wins over host.
        Default: "" (host when set, else the in-cluster service account when
        the server runs in a pod, else $KUBECONFIG or ~/.kube/config).

            c.KubernetesEngine.kubeconfig = "/etc/jupyter/kubeconfig"
        """,
    )

    host = Unicode(
        "",
        config=True,
        help="""URL of the Kubernetes API, used when kubeconfig is not set,
        instead of the in-cluster configuration: `kubectl proxy` (no token
        needed), or an API server with token_file. Default: "" (in-cluster,
        else $KUBECONFIG or ~/.kube/config).

            c.KubernetesEngine.host = "http://127.0.0.1:8001"
        """,
    )

    token_file = Unicode(
        "",
        config=True,
        help="""File holding the bearer token sent to host, re-read before
        every request so a rotated token is used as soon as it is written.
        Only with host (a kubeconfig and the in-cluster service account bring
        their own credentials). Default: "" (no token).

            c.KubernetesEngine.token_file = "/var/run/secrets/tokens/kube-api"
        """,
    )

    request_timeout = Float(
        30.0,
        config=True,
        help="""Seconds to wait for the Kubernetes API to connect and to answer
        each request. Default: 30.0.

            c.KubernetesEngine.request_timeout = 30.0
        """,
    )

    retries = Integer(
        3,
        config=True,
        help="""How many times a request is retried after a transient failure
        (connection error, timeout, HTTP 429, 500, 502, 503, 504), waiting
        backoff_factor * 2**n seconds before retry n; also how many times an
        update that meets a newer version of a cron workflow (409 Conflict)
        is read and sent again. Other failures are not retried. Default: 3.

            c.KubernetesEngine.retries = 3
        """,
    )

    backoff_factor = Float(
        0.5,
        config=True,
        help="""Seconds before the first retry; each further retry waits twice
        as long (at most 30 s). Default: 0.5.

            c.KubernetesEngine.backoff_factor = 0.5
        """,
    )

    page_size = Integer(
        500,
        config=True,
        help="""Workflows per list request when reading the status of runs; a
        namespace with more is read in several pages (limit/continue).
        Default: 500.

            c.KubernetesEngine.page_size = 500
        """,
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._client: ApiClient | None = None
        self._api: CustomObjectsApi | None = None
        self._secret_store: Any = None

    # ---- connection --------------------------------------------------------

    @property
    def access(self) -> ApiAccess:
        """Where the API is: kubeconfig, else host (+ token_file), else in-cluster, else ~/.kube/config."""
        return ApiAccess(
            self.kubeconfig, self.host, self.token_file, self.request_timeout,
            default_kubeconfig=True, settings="c.KubernetesEngine",
        )

    @property
    def client(self) -> "ApiClient":
        if self._client is None:
            from kubernetes.client import ApiClient

            try:
                configuration = self.access.configuration()
            except KubeConfigError as e:
                raise EngineError(f"Cannot reach the Kubernetes API: {e}.") from None
            # The engine retries what is transient itself, with backoff.
            configuration.retries = False
            self._client = ApiClient(configuration)
        return self._client

    def kubernetes_access(self):
        access = self.access
        return access, access.unavailable_reason()

    def api(self) -> "CustomObjectsApi":
        if self._api is None:
            from kubernetes.client import CustomObjectsApi

            self._api = CustomObjectsApi(self.client)
        return self._api

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._api = self._secret_store = None

    def _where(self) -> str:
        return f"The Kubernetes API at {self.client.configuration.host}"

    # ---- one request, retried ----------------------------------------------

    def _call(
        self, op: Op, request: Callable[["CustomObjectsApi"], T], transient: frozenset[int] = TRANSIENT_STATUSES
    ) -> T:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
        from urllib3.exceptions import TimeoutError as Urllib3Timeout

        api = self.api()
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            try:
                result = request(api)
                self.log.debug("argo_scheduler: %s in %s: ok", op.describe(), self.namespace)
                return result
            except KubeConfigError as e:
                # The token file, re-read before each request, is gone or empty.
                raise EngineError(f"Cannot reach the Kubernetes API: {e}.") from None
            except ApiException as e:
                if e.status in transient and attempt < attempts:
                    self._backoff(op, attempt, f"HTTP {e.status}")
                    continue
                raise self._http_error(op, e, attempt) from None
            except SSLError as e:
                # A certificate problem is configuration, not worth retrying.
                raise EngineError(
                    f"TLS verification of {self._where()} failed: {e}. Check the cluster's CA in the "
                    "kubeconfig (c.KubernetesEngine.kubeconfig)."
                ) from None
            except NewConnectionError as e:
                # Before TimeoutError: urllib3 makes it a ConnectTimeoutError too.
                if attempt < attempts:
                    self._backoff(op, attempt, "connection error")
                    continue
                raise EngineError(
                    f"{self._where()} is unreachable: {_reason(e)} ({attempts} attempt(s)). Check "
                    "c.KubernetesEngine.host or c.KubernetesEngine.kubeconfig, and that the API server is up."
                ) from None
            except Urllib3Timeout:
                if attempt < attempts:
                    self._backoff(op, attempt, "timeout")
                    continue
                raise EngineError(
                    f"{self._where()} did not answer within {self.request_timeout:g} s ({attempts} "
                    f"attempt(s)) to {op.describe()}: check that it is healthy, or raise "
                    "c.KubernetesEngine.request_timeout."
                ) from None
            except (HTTPError, OSError) as e:
                # A dropped connection (ProtocolError) and the like.
                if attempt < attempts:
                    self._backoff(op, attempt, "connection error")
                    continue
                raise EngineError(
                    f"{self._where()} failed to {op.describe()}: {_reason(e)} ({attempts} attempt(s)). "
                    "Check c.KubernetesEngine.host or c.KubernetesEngine.kubeconfig."
                ) from None
        raise AssertionError("unreachable")

    def _backoff(self, op: Op, attempt: int, why: str) -> None:
        delay = min(BACKOFF_MAX, self.backoff_factor * 2 ** (attempt - 1))
        self.log.warning(
            "argo_scheduler: %s at %s failed (%s); retrying in %.2g s",
            op.describe(), self.client.configuration.host, why, delay,
        )
        time.sleep(delay)

    def _http_error(self, op: Op, error: Any, attempts: int) -> KubernetesApiError:
        server = self._where()
        ns = self.namespace
        message = _status_message(error.body)
        said = f" Server said: {message}" if message else ""
        status = error.status or 0
        reason = error.reason or ""
        if status == 401:
            text = (
                f"{server} rejected the credentials (401 Unauthorized) to {op.describe()}: the token is "
                "missing, invalid or expired. Check c.KubernetesEngine.token_file, "
                f"c.KubernetesEngine.kubeconfig or the server's service account.{said}"
            )
        elif status == 403:
            text = (
                f"{server} forbids this (403 Forbidden) to {op.describe()}: the Jupyter server's "
                f"identity needs the verbs {op.rbac} on {op.resource} (apiGroup argoproj.io) in "
                f"namespace {ns!r}; grant them with a Role and RoleBinding, or check "
                f"c.KubernetesEngine.namespace.{said}"
            )
        elif status == 404 and op.name is not None and op.verb != "create":
            return KubernetesNotFound(
                f"The {op.kind} {op.name!r} was not found in namespace {ns!r} ({server}).{said}", 404
            )
        elif status == 404:
            text = (
                f"{server} answered 404 Not Found to {op.describe()} in namespace {ns!r}: check that "
                f"the namespace exists (c.KubernetesEngine.namespace) and that Argo's CRDs "
                f"({op.resource}.{GROUP}) are installed in the cluster.{said}"
            )
        elif status == 409 and op.verb == "create":
            text = f"A {op.kind} named {op.name!r} already exists in namespace {ns!r}.{said}"
        elif status == 409:
            text = (
                f"The {op.kind} {op.name!r} in namespace {ns!r} was changed by someone else "
                f"while trying to {op.verb} it; try again.{said}"
            )
        elif status == 422 or (status == 400 and "unknown field" in message):
            text = (
                f"{server} refused to {op.describe()}: it does not match the {op.resource}.{GROUP} "
                f"CRD installed in the cluster ({status} {reason}); an older Argo may lack a field "
                f"the manifest uses.{said}"
            )
        elif status < 500:
            text = f"{server} refused to {op.describe()} ({status} {reason}).{said}"
        else:
            text = (
                f"{server} failed to {op.describe()} ({status} {reason}, {attempts} attempt(s)). "
                f"Try again later; if it persists, look at the API server's health.{said}"
            )
        return KubernetesApiError(text, status)

    # ---- helpers -------------------------------------------------------------

    def _prepare(self, manifest: dict, kind: str) -> tuple[dict, str | None]:
        body, name = prepare(manifest, kind, self.namespace, "KubernetesEngine")
        body.setdefault("apiVersion", f"{GROUP}/{VERSION}")
        return body, name

    def _get(self, plural: str, name: str) -> dict:
        ns = self.namespace
        return self._call(
            Op("get", plural, name, "get"),
            lambda api: api.get_namespaced_custom_object(
                GROUP, VERSION, ns, plural, name, _request_timeout=self.request_timeout
            ),
        )

    def _status_by_name(self, names: list[str], selector: str) -> dict[str, WorkflowState]:
        try:
            requirements = selectors.parse(selector)
        except selectors.SelectorError as e:
            raise EngineError(str(e)) from None
        states: dict[str, WorkflowState] = {}
        for name in names:
            if not is_dns1123_subdomain(name):
                continue  # no workflow can have it: unknown names are left out
            try:
                state = _state(self._get(WORKFLOWS, name))
            except WorkflowNotFound:
                continue
            if selectors.matches(state.labels, requirements):
                states[name] = state
        return states

    def _patch(self, op: Op, patch: dict) -> dict:
        """A JSON merge patch (RFC 7386), the client's default for custom objects."""
        ns, plural, name = self.namespace, op.resource, op.name
        return self._call(
            op,
            lambda api: api.patch_namespaced_custom_object(
                GROUP, VERSION, ns, plural, name, patch,
                _content_type="application/merge-patch+json", _request_timeout=self.request_timeout,
            ),
        )

    def _delete(self, op: Op) -> None:
        ns, plural, name = self.namespace, op.resource, op.name
        self._call(
            op,
            lambda api: api.delete_namespaced_custom_object(
                GROUP, VERSION, ns, plural, name, _request_timeout=self.request_timeout
            ),
        )

    def _create(self, plural: str, body: dict, name: str | None, id_label: str) -> dict:
        """Create, idempotently per job (definition) id: a 409 for our own earlier attempt is success."""
        ns = self.namespace
        op = Op("create", plural, name, "create")
        try:
            return self._call(
                op,
                lambda api: api.create_namespaced_custom_object(
                    GROUP, VERSION, ns, plural, body, field_validation=STRICT,
                    _request_timeout=self.request_timeout,
                ),
            )
        except KubernetesApiError as e:
            if e.status != 409 or name is None:
                raise
            ours = (body["metadata"].get("labels") or {}).get(id_label)
            existing = self._get(plural, name)
            theirs = ((existing.get("metadata") or {}).get("labels") or {}).get(id_label)
            if ours and theirs == ours:
                self.log.info(
                    "argo_scheduler: %s already exists with %s=%s: created by an earlier attempt",
                    op.describe(), id_label, ours,
                )
                return existing
            raise KubernetesApiError(
                f"A {op.kind} named {name!r} already exists in namespace {ns!r} and is not this one "
                f"({id_label}={theirs!r}, expected {ours!r}): delete it (kubectl delete {plural}.{GROUP} "
                f"{name} -n {ns}) if it is a leftover, then try again.",
                409,
            ) from None

    # ---- workflows -------------------------------------------------------------

    def submit(self, manifest: dict) -> WorkflowState:
        body, name = self._prepare(manifest, "Workflow")
        return _state(self._create(WORKFLOWS, body, name, JOB_ID_LABEL))

    def status(
        self, names: Iterable[str] | None = None, label_selector: str | None = None
    ) -> dict[str, WorkflowState]:
        """One list request per page, filtered by label on the server and by name here; up to
        GET_BY_NAME_MAX names, one GET each instead (the label selector then checked here).

        Always restricted to workflows managed by argo-scheduler, so other
        users of the namespace cost nothing. Unknown names are left out.
        """
        wanted = None if names is None else set(names)
        if wanted is not None and not wanted:
            return {}
        selector = managed_selector(label_selector)
        ns = self.namespace
        check_names(ns)
        if wanted is not None and len(wanted) <= GET_BY_NAME_MAX:
            return self._status_by_name(sorted(wanted), selector)
        op = Op("list", WORKFLOWS, None, "list")
        states: dict[str, WorkflowState] = {}
        continue_token: str | None = None
        seen: set[str] = set()
        restarted = False
        while True:
            token = continue_token
            extra = {"_continue": token} if token else {}
            try:
                page = self._call(
                    op,
                    lambda api: api.list_namespaced_custom_object(
                        GROUP, VERSION, ns, WORKFLOWS, label_selector=selector,
                        limit=max(1, self.page_size), _request_timeout=self.request_timeout, **extra,
                    ),
                )
            except KubernetesApiError as e:
                # 410 Gone: the continue token expired (the list changed too
                # much between pages); Kubernetes says to start over.
                if e.status != 410 or token is None or restarted:
                    raise
                restarted = True
                states, continue_token, seen = {}, None, set()
                continue
            for item in page.get("items") or []:
                state = _state(item)
                if wanted is None or state.name in wanted:
                    states[state.name] = state
            continue_token = (page.get("metadata") or {}).get("continue") or None
            if continue_token is None:
                return states
            if continue_token in seen:
                raise EngineError(
                    f"{self._where()} returned the same continue token twice while listing workflows; "
                    "try a larger c.KubernetesEngine.page_size."
                )
            seen.add(continue_token)

    def stop(self, name: str) -> None:
        """`argo stop`: spec.shutdown = Stop, so the exit handler still runs. A finished run: no-op.

        The patch carries the resourceVersion just read: should the
        controller finish the run in between, the 409 makes us look again
        rather than mark a finished workflow.
        """
        check_names(self.namespace, name)
        op = Op("stop", WORKFLOWS, name, "get, patch")
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            current = self._get(WORKFLOWS, name)
            if _state(current).phase in DONE_PHASES or (current.get("spec") or {}).get("shutdown"):
                return
            version = (current.get("metadata") or {}).get("resourceVersion")
            try:
                self._patch(op, {"metadata": {"resourceVersion": version}, "spec": {"shutdown": "Stop"}})
                return
            except KubernetesApiError as e:
                if e.status != 409 or attempt == attempts:
                    raise

    def delete(self, name: str) -> None:
        """The Workflow; its pods are owned by it and garbage-collected with it."""
        check_names(self.namespace, name)
        self._delete(Op("delete", WORKFLOWS, name, "delete"))

    # ---- cron workflows ------------------------------------------------------

    def create_cron(self, manifest: dict) -> None:
        body, name = self._prepare(manifest, "CronWorkflow")
        self._create(CRON_WORKFLOWS, body, name, DEFINITION_ID_LABEL)

    def update_cron(self, manifest: dict) -> None:
        """Replace the spec in place (same object, same uid): GET for the resourceVersion, then PUT."""
        body, name = self._prepare(manifest, "CronWorkflow")
        if name is None:
            raise EngineError("a CronWorkflow manifest needs metadata.name to be updated")
        ns = self.namespace
        put = Op("update", CRON_WORKFLOWS, name, "get, update")
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            new = replacement(self._get(CRON_WORKFLOWS, name), body)
            try:
                self._call(
                    put,
                    lambda api: api.replace_namespaced_custom_object(
                        GROUP, VERSION, ns, CRON_WORKFLOWS, name, new, field_validation=STRICT,
                        _request_timeout=self.request_timeout,
                    ),
                )
                return
            except KubernetesApiError as e:
                # 409 Conflict: the cron controller wrote the object between
                # our GET and PUT (it does on every run); read it again.
                if e.status != 409 or attempt == attempts:
                    raise

    def cron_states(self, label_selector: str | None = None) -> dict[str, CronState]:
        selector = managed_selector(label_selector)
        ns = self.namespace
        check_names(ns)
        listing = self._call(
            Op("list", CRON_WORKFLOWS, None, "list"),
            lambda api: api.list_namespaced_custom_object(
                GROUP, VERSION, ns, CRON_WORKFLOWS, label_selector=selector, _request_timeout=self.request_timeout,
            ),
        )
        states = (cron_state(item) for item in listing.get("items") or [])
        return {state.name: state for state in states}

    def suspend_cron(self, name: str) -> None:
        check_names(self.namespace, name)
        self._patch(Op("suspend", CRON_WORKFLOWS, name, "patch"), {"spec": {"suspend": True}})

    def resume_cron(self, name: str) -> None:
        check_names(self.namespace, name)
        self._patch(Op("resume", CRON_WORKFLOWS, name, "patch"), {"spec": {"suspend": False}})

    def delete_cron(self, name: str) -> None:
        check_names(self.namespace, name)
        self._delete(Op("delete", CRON_WORKFLOWS, name, "delete"))

    # ---- Secrets: through the same API ----------------------------------------

    @property
    def secrets(self):
        """The KubernetesSecrets that stores per-job Secrets, through this engine's API client."""
        if self._secret_store is None:
            from .secrets import KubernetesSecrets

            self._secret_store = KubernetesSecrets(
                access=self.access, parent=self, request_timeout=self.request_timeout
            )
        return self._secret_store

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        self.secrets.put(self.namespace, name, data)

    def delete_secret(self, name: str) -> None:
        self.secrets.delete(self.namespace, name)


def _state(workflow: dict) -> WorkflowState:
    metadata = workflow.get("metadata") or {}
    status = workflow.get("status") or {}
    return WorkflowState(
        name=metadata.get("name") or "",
        # No phase is Argo's Unknown, before the controller first sees the workflow.
        phase=status.get("phase") or PENDING,
        message=status.get("message") or None,
        started_at=_epoch_ms(status.get("startedAt")),
        finished_at=_epoch_ms(status.get("finishedAt")),
        labels=dict(metadata.get("labels") or {}),
        uid=metadata.get("uid"),
        annotations=dict(metadata.get("annotations") or {}),
    )


def _epoch_ms(value: str | None) -> int | None:
    """RFC 3339 ("2026-01-01T00:00:00Z", as Kubernetes writes times) to epoch milliseconds."""
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _status_message(body: Any) -> str:
    """Kubernetes' Status.message, the only part of an error body we repeat."""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return " ".join(str(body or "").split())[:200]
    return str(status.get("message") or "")[:500] if isinstance(status, dict) else ""


def _reason(error: BaseException) -> str:
    """The innermost cause ("[Errno 111] Connection refused"), not urllib3's wrappers."""
    cause: BaseException = error
    for _ in range(10):  # bounded: a chain may loop
        inner = getattr(cause, "reason", None)
        if isinstance(inner, BaseException):
            cause = inner
        elif cause.__context__ is not None:
            cause = cause.__context__
        else:
            break
    return str(cause).strip() or type(error).__name__
