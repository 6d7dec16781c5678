"""ClusterEngine: what the argo and kubernetes engines share, written once over the transport each brings.

Both engines keep the same objects — Argo's Workflows and CronWorkflows in
one namespace — through different APIs: an Argo Server (argo.py, hera) or
the Kubernetes API (kubernetes.py, the kubernetes client). Here, once:

- the traits: namespace, request_timeout, retries, backoff_factor, page_size;
- one request, retried: `_call` sends it through the transport and asks the
  transport's `_classify` what a failure was (an HTTP status with the
  server's words, a timeout, a connection that failed, or something final);
  what is transient is retried with exponential backoff, the rest becomes
  one EngineError naming the server and what to change (`_http_error`);
- status(): pages of the transport's `_list_page`, started over once on 410
  Gone, guarded against a continue token that comes back; up to
  GET_BY_NAME_MAX names, one read each;
- create, idempotent per job: when the name is taken (409) by an object
  carrying the same `argo-scheduler/job-id` (or `job-definition-id`) label,
  it is the one an earlier attempt created — typically a create whose
  answer was lost — and it is returned as success;
- update_cron: read, replace, and read again on 409 Conflict (Argo's cron
  controller writes the object on every run);
- the Secret store of the workflows' namespace (secrets.py).

Semantics shared with the local engine: status() of unknown names leaves
them out; stop() of a finished run is a no-op; stop()/delete() (and the
cron calls) of an unknown name raise `WorkflowNotFound` (404).

Stateless: no database, no cache of jobs; the cluster is the truth. No
heavy import here: what a transport needs, it imports.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, TypeVar

from traitlets import Float, Integer, Unicode, default

from ...kubeapi import Action
from ...labels import DEFINITION_ID_LABEL, JOB_ID_LABEL
from ...names import is_dns1123_subdomain
from .. import selectors
from ..base import CronState, Engine, EngineError, WorkflowNotFound, WorkflowState
from .objects import (
    ADMISSION_DENIED,
    BACKOFF_MAX,
    CRON_WORKFLOWS,
    TRANSIENT_STATUSES,
    WORKFLOWS,
    check_names,
    cron_state,
    managed_selector,
    prepare,
)
from .secrets import KubernetesSecrets

T = TypeVar("T")

# Up to this many names, status() reads each by name (one object, found by
# key) rather than list every managed workflow of the namespace to pick them.
GET_BY_NAME_MAX = 3


class ClusterApiError(EngineError):
    """The cluster's API answered with an HTTP error; `status` is its code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Failure:
    """What a transport makes of the exception a request raised.

    `kind`: "http" (`status`, `reason` phrase, the server's `message`, any
    `detail`), "timeout", "unreachable" and "tls" (`reason`: the innermost
    cause), or "final" (`text` is the whole message, nothing to retry).
    """

    kind: str
    status: int = 0
    reason: str = ""
    message: str = ""
    detail: str = ""
    text: str = ""

    def transient(self, statuses: frozenset[int]) -> bool:
        if self.kind == "http":
            # An admission webhook's refusal is an answer, whatever its status.
            return self.status in statuses and ADMISSION_DENIED not in self.message
        return self.kind in ("timeout", "unreachable")

    @property
    def why(self) -> str:
        """For the retry's log line."""
        return {"http": f"HTTP {self.status}", "timeout": "timeout"}.get(self.kind, "connection error")


class ClusterEngine(Engine):
    """The traits, retries, errors, status() and creates the cluster engines (argo, kubernetes) share."""

    # What each transport sets: the class a user configures (for messages),
    # its error types, and what to change when a request fails.
    config_name: ClassVar[str] = "ClusterEngine"
    api_error: ClassVar[type[ClusterApiError]] = ClusterApiError
    not_found_error: ClassVar[type[ClusterApiError]] = ClusterApiError
    # 401: where the credentials come from.
    credentials_hint: ClassVar[str] = ""
    # 403: who needs the verbs.
    identity: ClassVar[str] = "the Jupyter server's identity"
    # An unreachable server: the settings that say where it is, and what to check.
    reach_hint: ClassVar[str] = ""
    # TLS verification failed: how to trust the server.
    trust_hint: ClassVar[str] = ""
    # 5xx: where to look.
    health_hint: ClassVar[str] = ""

    namespace = Unicode(
        config=True,
        help="""Kubernetes namespace of the workflows and cron workflows
        (Argo's workflow controller must watch it). Default: the scheduler's
        namespace (c.ArgoScheduler.namespace) when the engine belongs to one,
        else $ARGO_NAMESPACE, else "default".

            c.ArgoEngine.namespace = "jupyter-jobs"        # the argo engine only
            c.KubernetesEngine.namespace = "jupyter-jobs"  # the kubernetes engine only
            c.ClusterEngine.namespace = "jupyter-jobs"     # both
        """,
    )

    @default("namespace")
    def _default_namespace(self) -> str:
        parent_namespace = getattr(self.parent, "namespace", None)
        if isinstance(parent_namespace, str) and parent_namespace:
            return parent_namespace
        return os.environ.get("ARGO_NAMESPACE", "").strip() or "default"

    request_timeout = Float(
        30.0,
        config=True,
        help="""Seconds to wait for the cluster's API (the Argo Server for
        the argo engine, the Kubernetes API for the kubernetes engine) to
        connect and to answer each request. Default: 30.0.

            c.ArgoEngine.request_timeout = 30.0        # the argo engine only
            c.KubernetesEngine.request_timeout = 30.0  # the kubernetes engine only
            c.ClusterEngine.request_timeout = 30.0     # both
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

            c.ArgoEngine.retries = 3        # the argo engine only
            c.KubernetesEngine.retries = 3  # the kubernetes engine only
            c.ClusterEngine.retries = 3     # both
        """,
    )

    backoff_factor = Float(
        0.5,
        config=True,
        help="""Seconds before the first retry; each further retry waits twice
        as long (at most 30 s). Default: 0.5.

            c.ArgoEngine.backoff_factor = 0.5        # the argo engine only
            c.KubernetesEngine.backoff_factor = 0.5  # the kubernetes engine only
            c.ClusterEngine.backoff_factor = 0.5     # both
        """,
    )

    page_size = Integer(
        500,
        config=True,
        help="""Workflows per list request when reading the status of runs; a
        namespace with more is read in several pages (limit/continue).
        Default: 500.

            c.ArgoEngine.page_size = 500        # the argo engine only
            c.KubernetesEngine.page_size = 500  # the kubernetes engine only
            c.ClusterEngine.page_size = 500     # both
        """,
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._secret_store: KubernetesSecrets | None = None

    @property
    def settings(self) -> str:
        """Where a user configures this engine, for messages: "c.ArgoEngine"."""
        return f"c.{self.config_name}"

    # ---- the transport: what each engine supplies ----------------------------

    def _transport(self) -> Any:
        """What a request is sent through (hera's service, the client's CustomObjectsApi), for one attempt."""
        raise NotImplementedError

    def _classify(self, error: Exception, op: Action) -> Failure | None:
        """What `error`, raised by a request, was; None for an exception that is no request's failure."""
        raise NotImplementedError

    def _address(self) -> str:
        """The server's URL, without credentials."""
        raise NotImplementedError

    def _where(self) -> str:
        """The server in words, for messages: "the Argo Server at https://…"."""
        raise NotImplementedError

    def _redact(self, text: str) -> str:
        """Text from the server or the HTTP library, without any credential it might echo."""
        return text

    def _missing_path_hint(self, op: Action) -> str:
        """A 404 for a listing or a create: what to check."""
        raise NotImplementedError

    def _invalid(self, op: Action, failure: Failure, said: str) -> str | None:
        """The message when the API refused the request's body as not matching its schema, else None."""
        return None

    def _leftover_hint(self, op: Action) -> str:
        """How to delete an object of ours that is in the way."""
        raise NotImplementedError

    def _list_page(self, selector: str, token: str | None) -> tuple[list[WorkflowState], str | None]:
        """One page of the managed workflows matching `selector`, and the token of the next (None: last)."""
        raise NotImplementedError

    def _post(self, op: Action, body: dict) -> Any:
        """Create `body` (the object as the transport returns it)."""
        raise NotImplementedError

    def _read(self, resource: str, name: str) -> Any:
        raise NotImplementedError

    def _read_state(self, name: str) -> WorkflowState:
        return self._state(self._read(WORKFLOWS, name))

    def _put_cron(self, name: str, current: Any, body: dict) -> None:
        """Replace CronWorkflow `name`, just read as `current`, with `body` (objects.replacement)."""
        raise NotImplementedError

    def _list_crons(self, selector: str) -> list[dict]:
        """The CronWorkflows matching `selector`, as Argo's JSON."""
        raise NotImplementedError

    def _remove(self, resource: str, name: str) -> None:
        """Delete object `name` of `resource`."""
        raise NotImplementedError

    def _suspend(self, name: str, suspended: bool) -> None:
        """Suspend (or resume) CronWorkflow `name`."""
        raise NotImplementedError

    def _labels(self, obj: Any) -> dict[str, str]:
        raise NotImplementedError

    def _state(self, workflow: Any) -> WorkflowState:
        raise NotImplementedError

    def _new_secret_store(self) -> KubernetesSecrets:
        return KubernetesSecrets(parent=self)

    # ---- one request, retried ----------------------------------------------

    def _op(self, verb: str, resource: str, name: str | None = None, *grant: str) -> Action:
        """An operation in this engine's namespace; `grant`: the RBAC verbs it needs (default: `verb`)."""
        return Action(verb, resource, self.namespace, name or "", tuple(grant))

    def _call(
        self, op: Action, request: Callable[[Any], T], transient: frozenset[int] = TRANSIENT_STATUSES
    ) -> T:
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            transport = self._transport()
            try:
                result = request(transport)
            except Exception as error:
                failure = self._classify(error, op)
                if failure is None:
                    raise
                if attempt < attempts and failure.transient(transient):
                    self._backoff(op, attempt, failure.why)
                    continue
                raise self._error(op, failure, attempt) from None
            self.log.debug("argo_scheduler: %s in %s at %s: ok", op.describe(), self.namespace, self._address())
            return result
        raise AssertionError("unreachable")

    def _backoff(self, op: Action, attempt: int, why: str) -> None:
        delay = min(BACKOFF_MAX, self.backoff_factor * 2 ** (attempt - 1))
        self.log.warning(
            "argo_scheduler: %s at %s failed (%s); retrying in %.2g s", op.describe(), self._address(), why, delay
        )
        time.sleep(delay)

    def _error(self, op: Action, failure: Failure, attempts: int) -> EngineError:
        if failure.kind == "http":
            return self._http_error(op, failure, attempts)
        where, reason = self._where(), self._redact(failure.reason)
        if failure.kind == "timeout":
            return EngineError(
                f"{_sentence(where)} did not answer within {self.request_timeout:g} s ({attempts} attempt(s)) "
                f"to {op.describe()}: check that it is healthy, or raise {self.settings}.request_timeout."
            )
        if failure.kind == "unreachable":
            return EngineError(
                f"{_sentence(where)} is unreachable: {reason} ({attempts} attempt(s)). Check {self.reach_hint}."
            )
        if failure.kind == "tls":
            return EngineError(f"TLS verification of {where} failed: {reason}. {self.trust_hint}.")
        return EngineError(failure.text)

    def _http_error(self, op: Action, failure: Failure, attempts: int) -> ClusterApiError:
        """The one explanation of an HTTP error: what happened, and what to change."""
        server = _sentence(self._where())
        ns, status, message = op.namespace, failure.status, self._redact(failure.message)
        said = f" Server said: {message}" if message else ""
        if ADMISSION_DENIED in failure.message:
            # An admission webhook's refusal (Nebari's workflow controller, a
            # policy engine): its own words are the message.
            return self.api_error(f"The cluster refused to {op.describe()}: {message}", status)
        if status == 401:
            text = (
                f"{server} rejected the credentials (401 Unauthorized) to {op.describe()}: the token "
                f"is missing, invalid or expired. Check {self.credentials_hint}.{said}"
            )
        elif status == 403:
            text = (
                f"{server} forbids this (403 Forbidden) to {op.describe()}: {self.identity} needs the verbs "
                f"{', '.join(op.verbs)} on {op.resource} (apiGroup argoproj.io) in namespace {ns!r}; grant "
                f"them with a Role and RoleBinding, or check {self.settings}.namespace.{said}"
            )
        elif status == 404 and op.name and op.verb != "create":
            return self.not_found_error(
                f"The {op.kind} {op.name!r} was not found in namespace {ns!r} ({self._where()}).{said}", 404
            )
        elif status == 404:
            text = (
                f"{server} answered 404 Not Found to {op.describe()} in namespace {ns!r}: "
                f"{self._missing_path_hint(op)}.{said}"
            )
        elif status == 409 and op.verb == "create":
            text = f"A {op.kind} named {op.name!r} already exists in namespace {ns!r}.{said}"
        elif status == 409:
            text = (
                f"The {op.kind} {op.name!r} in namespace {ns!r} was changed by someone else "
                f"while trying to {op.verb} it; try again.{said}"
            )
        elif (invalid := self._invalid(op, failure, said)) is not None:
            text = invalid
        elif status < 500:
            text = f"{server} refused to {op.describe()} ({status} {failure.reason}).{said}"
        else:
            text = (
                f"{server} failed to {op.describe()} ({status} {failure.reason}, {attempts} attempt(s)). "
                f"Try again later; if it persists, look at {self.health_hint}.{said}"
            )
        return self.api_error(text, status)

    # ---- manifests -----------------------------------------------------------

    def _prepare(self, manifest: dict, kind: str) -> tuple[dict, str | None]:
        """A copy of `manifest` addressed to this engine's namespace, and its name."""
        return prepare(manifest, kind, self.namespace, self.config_name)

    def _create(self, resource: str, body: dict, name: str | None, id_label: str) -> Any:
        """Create, idempotently per job (definition) id: see the module's docstring."""
        op = self._op("create", resource, name)
        try:
            return self._post(op, body)
        except ClusterApiError as e:
            if e.status != 409 or not name:
                raise
            ours = (body["metadata"].get("labels") or {}).get(id_label)
            existing = self._read(resource, name)
            theirs = self._labels(existing).get(id_label)
            if ours and theirs == ours:
                self.log.info(
                    "argo_scheduler: %s already exists with %s=%s: created by an earlier attempt",
                    op.describe(), id_label, ours,
                )
                return existing
            raise self.api_error(
                f"A {op.kind} named {name!r} already exists in namespace {op.namespace!r} and is not this one "
                f"({id_label}={theirs!r}, expected {ours!r}): {self._leftover_hint(op)} if it is a leftover, "
                "then try again.",
                409,
            ) from None

    # ---- workflows -------------------------------------------------------------

    def submit(self, manifest: dict) -> WorkflowState:
        body, name = self._prepare(manifest, "Workflow")
        return self._state(self._create(WORKFLOWS, body, name, JOB_ID_LABEL))

    def status(
        self, names: Iterable[str] | None = None, label_selector: str | None = None
    ) -> dict[str, WorkflowState]:
        """One list request per page, filtered by label on the server and by name here; up to
        GET_BY_NAME_MAX names, one read each instead (the label selector then checked here).

        Always restricted to workflows managed by argo-scheduler, so other
        users of the namespace cost nothing. Unknown names are left out.
        """
        wanted = None if names is None else set(names)
        if wanted is not None and not wanted:
            return {}
        selector = managed_selector(label_selector)
        check_names(self.namespace)
        if wanted is not None and len(wanted) <= GET_BY_NAME_MAX:
            return self._status_by_name(sorted(wanted), selector)
        states: dict[str, WorkflowState] = {}
        token: str | None = None
        seen: set[str] = set()
        restarted = False
        while True:
            try:
                page, next_token = self._list_page(selector, token)
            except ClusterApiError as e:
                # 410 Gone: the continue token expired (the list changed too
                # much between pages); Kubernetes says to start over.
                if e.status != 410 or token is None or restarted:
                    raise
                restarted = True
                states, token, seen = {}, None, set()
                continue
            for state in page:
                if wanted is None or state.name in wanted:
                    states[state.name] = state
            if next_token is None:
                return states
            if next_token in seen:
                raise EngineError(
                    f"{_sentence(self._where())} returned the same continue token twice while listing "
                    f"workflows; try a larger {self.settings}.page_size."
                )
            seen.add(next_token)
            token = next_token

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
                state = self._read_state(name)
            except WorkflowNotFound:
                continue
            if selectors.matches(state.labels, requirements):
                states[name] = state
        return states

    def delete(self, name: str) -> None:
        check_names(self.namespace, name)
        self._remove(WORKFLOWS, name)

    # ---- cron workflows ------------------------------------------------------

    def create_cron(self, manifest: dict) -> None:
        body, name = self._prepare(manifest, "CronWorkflow")
        self._create(CRON_WORKFLOWS, body, name, DEFINITION_ID_LABEL)

    def update_cron(self, manifest: dict) -> None:
        """Replace the spec in place (same object, same uid): read for the resourceVersion, then replace.

        A replacement is the whole object, and CronWorkflows have no status
        subresource: the current status (last scheduled time, active runs)
        and other tools' labels and annotations are carried over
        (objects.replacement).
        """
        body, name = self._prepare(manifest, "CronWorkflow")
        if name is None:
            raise EngineError("a CronWorkflow manifest needs metadata.name to be updated")
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            current = self._read(CRON_WORKFLOWS, name)
            try:
                self._put_cron(name, current, body)
                return
            except ClusterApiError as e:
                # 409 Conflict: the cron controller wrote the object between
                # our read and our replacement (it does on every run); read it again.
                if e.status != 409 or attempt == attempts:
                    raise

    def cron_states(self, label_selector: str | None = None) -> dict[str, CronState]:
        selector = managed_selector(label_selector)
        check_names(self.namespace)
        states = (cron_state(cron) for cron in self._list_crons(selector))
        return {state.name: state for state in states}

    def suspend_cron(self, name: str) -> None:
        check_names(self.namespace, name)
        self._suspend(name, True)

    def resume_cron(self, name: str) -> None:
        check_names(self.namespace, name)
        self._suspend(name, False)

    def delete_cron(self, name: str) -> None:
        check_names(self.namespace, name)
        self._remove(CRON_WORKFLOWS, name)

    # ---- Secrets: through the Kubernetes API of the workflows' namespace -----

    @property
    def secrets(self) -> KubernetesSecrets:
        """The store of this engine's per-job Secrets."""
        if self._secret_store is None:
            self._secret_store = self._new_secret_store()
        return self._secret_store

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        self.secrets.put(self.namespace, name, data)

    def delete_secret(self, name: str) -> None:
        self.secrets.delete(self.namespace, name)

    def kubernetes_access(self):
        # The API the Secrets go to is the one of the workflows' namespace.
        access = self.secrets.access
        return access, access.unavailable_reason()


def _sentence(text: str) -> str:
    """`text` as the start of a sentence."""
    return text[:1].upper() + text[1:]


def reason(error: BaseException) -> str:
    """The innermost cause of a failed request ("[Errno 111] Connection refused"), not the HTTP library's wrappers."""
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
