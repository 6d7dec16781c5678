"""ArgoEngine: workflows run by an Argo Server, over its REST API.

hera's `WorkflowsService` builds every URL, header and body (so what we send
is what hera's models, generated from Argo's swagger, say); this module adds
what a long-running Jupyter server needs around it:

- where: `host` (with any base path), `namespace`, from the same environment
  variables as the argo CLI and argo-jupyter-scheduler;
- who: a literal token or a token file re-read on every request (projected
  service-account tokens rotate);
- how long: a timeout on every request, and retries with exponential backoff
  for what is transient (connection errors, timeouts, 429, 500, 502-504);
- errors a JupyterLab user can act on: every failure is an `EngineError`
  naming the server and what to change.

Stateless: no database, no cache of jobs; Argo is the truth.

Semantics shared with the local engine:
- submit()/create_cron() of a name already in use fail (Argo: 409), except
  that a create is idempotent per job: when the existing object carries the
  same `argo-scheduler/job-id` (or `job-definition-id`) label, it is the one
  an earlier attempt created — typically a create whose response was lost —
  and it is returned as success.
- status() of unknown names leaves them out of the answer.
- stop() of a finished run is a no-op; stop()/delete() (and the cron
  calls) of an unknown name raise `WorkflowNotFound` (Argo's 404).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from hera.workflows import models as m
from hera.workflows.service import WorkflowsService
from pydantic import ValidationError
from traitlets import Bool, Float, Integer, Unicode, default

from ...labels import DEFINITION_ID_LABEL, JOB_ID_LABEL
from ...names import is_dns1123_subdomain
from ..base import DONE_PHASES, PENDING, CronState, Engine, EngineError, WorkflowNotFound, WorkflowState
from .. import selectors
from .objects import (
    ADMISSION_DENIED,
    BACKOFF_MAX,
    TRANSIENT_STATUSES,
    check_names,
    cron_state,
    managed_selector,
    prepare,
    replacement,
)
from .objects import Op as _Op

T = TypeVar("T")

# What status() needs of each workflow, and the list metadata (continue
# token). Without `fields`, Argo returns every node of every workflow.
# hera's Workflow model requires `spec`: asking for one small spec field keeps
# each item parseable whatever the server does with empty objects (the Argo
# UI asks for items.spec.suspend for the same reason).
LIST_FIELDS = ",".join(
    [
        "metadata",
        "items.metadata.name",
        "items.metadata.uid",
        "items.metadata.labels",
        "items.metadata.annotations",
        "items.spec.entrypoint",
        "items.status.phase",
        "items.status.message",
        "items.status.startedAt",
        "items.status.finishedAt",
    ]
)
# The same fields of one workflow, for a GET by name.
GET_FIELDS = ",".join(f.removeprefix("items.") for f in LIST_FIELDS.split(",") if f.startswith("items."))
# Up to this many names, status() reads each by name (one object, found by
# key) rather than list every managed workflow of the namespace to pick them.
GET_BY_NAME_MAX = 3
# Visible ASCII: what a bearer token (a JWT, Argo's own tokens) is made of.
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


class ArgoServerError(EngineError):
    """Argo Server answered with an HTTP error; `status` is its code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class ArgoNotFound(ArgoServerError, WorkflowNotFound):
    """404 for a named workflow or cron workflow: it does not exist (any more)."""


class _HTTPFailure(Exception):
    """A non-2xx response, raised before hera sees it.

    hera maps only a few codes to exception classes (502-504 have none) and
    keeps only the text of the message; the retry loop needs the status.
    """

    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.status = response.status_code
        self.reason = response.reason or ""
        self.message = _server_message(response)
        # Set by Prism (the contract check in the tests) on invalid requests.
        self.violations = response.headers.get("sl-violations", "")


def _server_message(response: requests.Response) -> str:
    """Argo's error JSON is {"code": <gRPC code>, "message": "..."}; a proxy may send HTML."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())
        return text[:200] + ("…" if len(text) > 200 else "")
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body.get("detail") or "")[:500]
    return ""


class _Session(requests.Session):
    """The session hera's service sends through: a timeout on every request
    (hera passes none) and HTTP failures as `_HTTPFailure`."""

    timeout: float = 30.0

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = super().request(method, url, **kwargs)
        if not response.ok:
            raise _HTTPFailure(response)
        return response


def normalise_host(host: str, secure: bool = True) -> str:
    """`host` as the base URL hera joins "api/v1/…" to: with a scheme and one trailing slash.

    hera uses urljoin, for which "https://h/argo" + "api/v1" is
    "https://h/api/v1": the base path survives only with its trailing slash.
    """
    host = host.strip()
    if not host:
        return ""
    if "://" not in host:
        host = ("https://" if secure else "http://") + host
    scheme, netloc, path, _, _ = urlsplit(host)
    path = "/" + path.strip("/") + "/" if path.strip("/") else "/"
    return urlunsplit((scheme.lower(), netloc, path, "", ""))


def bearer(token: str) -> str | None:
    """An Authorization value from a token given with or without "Bearer " (argo CLI's ARGO_TOKEN has it)."""
    token = token.strip()
    if not token:
        return None
    scheme, _, rest = token.partition(" ")
    if scheme.lower() == "bearer" and rest.strip():
        token = rest.strip()
    # requests would refuse such a header with the value in its message:
    # say what is wrong without ever showing the token.
    if not _TOKEN_CHARS.match(token):
        raise EngineError(
            "The Argo token (c.ArgoEngine.token, c.ArgoEngine.token_file or $ARGO_TOKEN) contains "
            "spaces or characters a token cannot have: check how it was copied."
        )
    return "Bearer " + token


class ArgoEngine(Engine):
    """Run workflows on an Argo Server (REST API, through hera)."""

    host = Unicode(
        config=True,
        help="""URL of the Argo Server, including any base path it is served
        under. "https://" is assumed when no scheme is given; "/argo" and
        "/argo/" are the same base path. Default: built like the argo CLI and
        argo-jupyter-scheduler do: $ARGO_SERVER (host:port, or a URL) with
        https:// unless $ARGO_SECURE is "false", and $ARGO_BASE_HREF as the
        path; "" when ARGO_SERVER is unset (every call then fails, saying so).
        E.g. ARGO_SERVER=argo-server.argo.svc:2746 ARGO_BASE_HREF=/argo/ gives
        "https://argo-server.argo.svc:2746/argo/".

            c.ArgoEngine.host = "https://argo.example.com/argo/"
        """,
    )

    @default("host")
    def _default_host(self) -> str:
        server = os.environ.get("ARGO_SERVER", "").strip()
        if not server:
            return ""
        secure = os.environ.get("ARGO_SECURE", "").strip().lower() != "false"
        url = normalise_host(server, secure)
        base_href = os.environ.get("ARGO_BASE_HREF", "").strip()
        if base_href:
            scheme, netloc, _, _, _ = urlsplit(url)
            url = normalise_host(urlunsplit((scheme, netloc, base_href, "", "")), secure)
        return url

    namespace = Unicode(
        config=True,
        help="""Kubernetes namespace of the workflows and cron workflows.
        Default: the scheduler's namespace (c.ArgoScheduler.namespace) when
        the engine belongs to one, else $ARGO_NAMESPACE, else "default".

            c.ArgoEngine.namespace = "jupyter-jobs"
        """,
    )

    @default("namespace")
    def _default_namespace(self) -> str:
        parent_namespace = getattr(self.parent, "namespace", None)
        if isinstance(parent_namespace, str) and parent_namespace:
            return parent_namespace
        return os.environ.get("ARGO_NAMESPACE", "").strip() or "default"

    token = Unicode(
        config=True,
        help="""Bearer token sent to the Argo Server, with or without the
        "Bearer " prefix. Ignored when token_file is set. Never logged.
        Default: $ARGO_TOKEN, else "" (no Authorization header: Argo Server in
        --auth-mode=server).

            c.ArgoEngine.token = "Bearer eyJhbGciOi..."
        """,
    )

    @default("token")
    def _default_token(self) -> str:
        return os.environ.get("ARGO_TOKEN", "")

    token_file = Unicode(
        "",
        config=True,
        help="""File holding the bearer token, re-read on every request so a
        rotated token (a projected service-account token) is used as soon as
        it is written. Takes precedence over token. Default: "" (use token).

            c.ArgoEngine.token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        """,
    )

    verify_ssl = Bool(
        config=True,
        help="""Verify the Argo Server's TLS certificate. Default: True, unless
        $ARGO_INSECURE_SKIP_VERIFY is "true" (as for the argo CLI).

            c.ArgoEngine.verify_ssl = False
        """,
    )

    @default("verify_ssl")
    def _default_verify_ssl(self) -> bool:
        return os.environ.get("ARGO_INSECURE_SKIP_VERIFY", "").strip().lower() != "true"

    ca_bundle = Unicode(
        "",
        config=True,
        help="""CA certificate file (PEM) that verifies the Argo Server's
        certificate, for servers signed by a private CA. Default: "" (the
        system's CAs, or $REQUESTS_CA_BUNDLE).

            c.ArgoEngine.ca_bundle = "/etc/ssl/certs/argo-ca.crt"
        """,
    )

    request_timeout = Float(
        30.0,
        config=True,
        help="""Seconds to wait for the Argo Server to connect and to answer
        each request. Default: 30.0.

            c.ArgoEngine.request_timeout = 30.0
        """,
    )

    retries = Integer(
        3,
        config=True,
        help="""How many times a request is retried after a transient failure
        (connection error, timeout, HTTP 429, 500, 502, 503, 504), waiting
        backoff_factor * 2**n seconds before retry n. Other failures are not
        retried. Default: 3.

            c.ArgoEngine.retries = 3
        """,
    )

    backoff_factor = Float(
        0.5,
        config=True,
        help="""Seconds before the first retry; each further retry waits twice
        as long (at most 30 s). Default: 0.5.

            c.ArgoEngine.backoff_factor = 0.5
        """,
    )

    page_size = Integer(
        500,
        config=True,
        help="""Workflows per list request when reading the status of runs; a
        namespace with more is read in several pages. Default: 500.

            c.ArgoEngine.page_size = 500
        """,
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._session: _Session | None = None
        self._secret: str | None = None
        self._secret_store: Any = None

    # ---- connection --------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """The HTTP session every request goes through (a place to mount adapters or hooks)."""
        if self._session is None:
            self._session = _Session()
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    @property
    def base_url(self) -> str:
        url = normalise_host(self.host)
        if not url:
            raise EngineError(
                "No Argo Server is configured: set c.ArgoEngine.host = "
                '"https://argo.example.com/argo/" (or the ARGO_SERVER and ARGO_BASE_HREF '
                'environment variables), or use c.ArgoScheduler.engine = "local".'
            )
        if not url.startswith(("http://", "https://")):
            raise EngineError(f"c.ArgoEngine.host = {self.host!r} must be an http:// or https:// URL.")
        return url

    def _where(self) -> str:
        """The server for messages, without any user:password@."""
        scheme, netloc, path, _, _ = urlsplit(self.base_url)
        return urlunsplit((scheme, netloc.rpartition("@")[2], path, "", ""))

    def _authorization(self) -> str | None:
        if not self.token_file:
            return bearer(self.token)
        # Read every time: a kubelet-rotated token replaces the file, and a
        # few hundred bytes cost nothing next to the HTTP request.
        path = Path(self.token_file).expanduser()
        try:
            header = bearer(path.read_text())
        except OSError as e:
            raise EngineError(
                f"Cannot read the Argo token file {path} ({e.strerror or e}): "
                "check c.ArgoEngine.token_file."
            ) from None
        if header is None:
            raise EngineError(f"The Argo token file {path} is empty: check c.ArgoEngine.token_file.")
        return header

    def _verify(self) -> bool | str:
        if not self.verify_ssl:
            return False
        if self.ca_bundle:
            path = Path(self.ca_bundle).expanduser()
            if not path.is_file():
                raise EngineError(f"c.ArgoEngine.ca_bundle = {self.ca_bundle!r} is not a file.")
            return str(path)
        return True

    def _service(self) -> WorkflowsService:
        session = self.session
        assert isinstance(session, _Session)
        session.timeout = self.request_timeout
        service = WorkflowsService(
            host=self.base_url, verify_ssl=self._verify(), namespace=self.namespace, session=session
        )
        # Set after construction: given no token, hera falls back to its
        # process-wide global_config, which is not ours to use.
        service.token = self._authorization()
        self._secret = service.token.partition(" ")[2] if service.token else None
        return service

    def _redact(self, text: str) -> str:
        """Text from the server or the HTTP library, without the token should it ever echo it."""
        return text.replace(self._secret, "[token]") if self._secret else text

    # ---- one request, retried ----------------------------------------------

    def _call(
        self, op: _Op, request: Callable[[WorkflowsService], T], transient: frozenset[int] = TRANSIENT_STATUSES
    ) -> T:
        where = self._where()
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            service = self._service()
            try:
                result = request(service)
                self.log.debug("argo_scheduler: %s in %s at %s: ok", op.describe(), self.namespace, where)
                return result
            except _HTTPFailure as failure:
                if failure.status in transient and attempt < attempts and ADMISSION_DENIED not in failure.message:
                    self._backoff(op, attempt, f"HTTP {failure.status}")
                    continue
                raise self._http_error(op, failure, attempt) from None
            except requests.exceptions.SSLError as e:
                # Before ConnectionError, its base class: a certificate problem
                # is configuration, not worth retrying.
                raise EngineError(
                    f"TLS verification of the Argo Server at {where} failed: {self._redact(_reason(e))}. "
                    'Trust its CA with c.ArgoEngine.ca_bundle = "/path/to/ca.crt", '
                    "or (insecure) c.ArgoEngine.verify_ssl = False."
                ) from None
            except requests.exceptions.Timeout:
                if attempt < attempts:
                    self._backoff(op, attempt, "timeout")
                    continue
                raise EngineError(
                    f"The Argo Server at {where} did not answer within {self.request_timeout:g} s "
                    f"({attempts} attempt(s)) to {op.describe()}: check that it is healthy, "
                    "or raise c.ArgoEngine.request_timeout."
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
                if attempt < attempts:
                    self._backoff(op, attempt, "connection error")
                    continue
                raise EngineError(
                    f"The Argo Server at {where} is unreachable: {self._redact(_reason(e))} ({attempts} attempt(s)). "
                    "Check c.ArgoEngine.host (or ARGO_SERVER / ARGO_BASE_HREF) and that the server is running."
                ) from None
            except requests.exceptions.RequestException as e:
                raise EngineError(f"Cannot {op.describe()} at {where}: {self._redact(_reason(e))}.") from None
            except ValueError as e:
                # A 2xx whose body is not the expected JSON object: typically a
                # login page or UI served at a wrong base path.
                raise EngineError(
                    f"The Argo Server at {where} answered {op.describe()} with something that is not "
                    f"Argo's API ({type(e).__name__}): check c.ArgoEngine.host, including its base path."
                ) from None
        raise AssertionError("unreachable")

    def _backoff(self, op: _Op, attempt: int, why: str) -> None:
        delay = min(BACKOFF_MAX, self.backoff_factor * 2 ** (attempt - 1))
        self.log.warning(
            "argo_scheduler: %s at %s failed (%s); retrying in %.2g s", op.describe(), self._where(), why, delay
        )
        time.sleep(delay)

    def _http_error(self, op: _Op, failure: _HTTPFailure, attempts: int) -> ArgoServerError:
        server = f"The Argo Server at {self._where()}"
        ns = self.namespace
        said = f" Server said: {self._redact(failure.message)}" if failure.message else ""
        status = failure.status
        if ADMISSION_DENIED in failure.message:
            # An admission webhook's refusal (Nebari's workflow controller, a
            # policy engine): its own words are the message.
            return ArgoServerError(
                f"The cluster refused to {op.describe()}: {self._redact(failure.message)}", status
            )
        if status == 401:
            text = (
                f"{server} rejected the credentials (401 Unauthorized) to {op.describe()}: the token "
                "is missing, invalid or expired. Check c.ArgoEngine.token / c.ArgoEngine.token_file "
                f"(or $ARGO_TOKEN).{said}"
            )
        elif status == 403:
            text = (
                f"{server} forbids this (403 Forbidden) to {op.describe()}: the service account behind "
                f"the token needs the verbs {op.rbac} on {op.resource} (apiGroup argoproj.io) in "
                f"namespace {ns!r}; grant them with a Role and RoleBinding, or check "
                f"c.ArgoEngine.namespace.{said}"
            )
        elif status == 404 and op.name is not None and op.verb != "create":
            return ArgoNotFound(
                f"The {op.kind} {op.name!r} was not found in namespace {ns!r} on the Argo Server "
                f"at {self._where()}.{said}",
                404,
            )
        elif status == 404:
            text = (
                f"{server} answered 404 Not Found to {op.describe()} in namespace {ns!r}: check "
                f"c.ArgoEngine.host (including its base path, e.g. /argo/) and c.ArgoEngine.namespace.{said}"
            )
        elif status == 409 and op.verb == "create":
            text = f"A {op.kind} named {op.name!r} already exists in namespace {ns!r}.{said}"
        elif status == 409:
            text = (
                f"The {op.kind} {op.name!r} in namespace {ns!r} was changed by someone else "
                f"while trying to {op.verb} it; try again.{said}"
            )
        elif status == 422 and failure.violations:
            text = f"The request to {op.describe()} does not match Argo's API: {self._redact(failure.violations)}"
        elif status < 500:
            text = f"{server} refused to {op.describe()} ({status} {failure.reason}).{said}"
        else:
            text = (
                f"{server} failed to {op.describe()} ({status} {failure.reason}, {attempts} attempt(s)). "
                f"Try again later; if it persists, look at the Argo Server's logs.{said}"
            )
        return ArgoServerError(text, status)

    # ---- manifests -----------------------------------------------------------

    def _prepare(self, manifest: dict, kind: str) -> tuple[dict, str | None]:
        """A copy of `manifest` addressed to this engine's namespace, and its name."""
        return prepare(manifest, kind, self.namespace, "ArgoEngine")

    def _check_name(self, name: str | None = None) -> None:
        check_names(self.namespace, name)

    def _create(
        self,
        op: _Op,
        body: dict,
        id_label: str,
        send: Callable[[WorkflowsService], T],
        fetch: Callable[[WorkflowsService], T],
    ) -> T:
        """Create, idempotently per job (definition) id: see the module's docstring."""
        try:
            return self._call(op, send)
        except ArgoServerError as e:
            if e.status != 409 or op.name is None:
                raise
            ours = (body["metadata"].get("labels") or {}).get(id_label)
            existing = self._call(_Op("get", op.resource, op.name, "get"), fetch)
            theirs = (existing.metadata.labels or {}).get(id_label)  # type: ignore[attr-defined]
            if ours and theirs == ours:
                self.log.info(
                    "argo_scheduler: %s already exists with %s=%s: created by an earlier attempt",
                    op.describe(), id_label, ours,
                )
                return existing
            raise ArgoServerError(
                f"A {op.kind} named {op.name!r} already exists in namespace {self.namespace!r} and is "
                f"not this one ({id_label}={theirs!r}, expected {ours!r}): delete it from Argo if it "
                "is a leftover, then try again.",
                409,
            ) from None

    # ---- workflows -------------------------------------------------------------

    def submit(self, manifest: dict) -> WorkflowState:
        body, name = self._prepare(manifest, "Workflow")
        ns = self.namespace
        try:
            request = m.WorkflowCreateRequest(workflow=m.Workflow.model_validate(body), namespace=ns)
        except ValidationError as e:
            raise EngineError(f"invalid Workflow manifest: {e}") from None
        created = self._create(
            _Op("create", "workflows", name, "create"),
            body,
            JOB_ID_LABEL,
            lambda s: s.create_workflow(request, namespace=ns),
            lambda s: s.get_workflow(name, namespace=ns),
        )
        return _state(created)

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
        self._check_name()
        if wanted is not None and len(wanted) <= GET_BY_NAME_MAX:
            return self._status_by_name(sorted(wanted), selector)
        op = _Op("list", "workflows", None, "list")
        states: dict[str, WorkflowState] = {}
        continue_token: str | None = None
        seen: set[str] = set()
        restarted = False
        while True:
            token = continue_token
            try:
                page = self._call(
                    op,
                    lambda s: s.list_workflows(
                        namespace=ns,
                        label_selector=selector,
                        limit=str(max(1, self.page_size)),
                        continue_=token,
                        fields=LIST_FIELDS,
                    ),
                )
            except ArgoServerError as e:
                # 410 Gone: the continue token expired (the list changed too
                # much between pages); Kubernetes says to start over.
                if e.status != 410 or token is None or restarted:
                    raise
                restarted = True
                states, continue_token, seen = {}, None, set()
                continue
            for item in page.items or []:
                state = _state(item)
                if wanted is None or state.name in wanted:
                    states[state.name] = state
            continue_token = page.metadata.continue_ or None
            if continue_token is None:
                return states
            if continue_token in seen:
                raise EngineError(
                    f"The Argo Server at {self._where()} returned the same continue token twice "
                    "while listing workflows; try a larger c.ArgoEngine.page_size."
                )
            seen.add(continue_token)

    def _status_by_name(self, names: list[str], selector: str) -> dict[str, WorkflowState]:
        try:
            requirements = selectors.parse(selector)
        except selectors.SelectorError as e:
            raise EngineError(str(e)) from None
        ns = self.namespace
        states: dict[str, WorkflowState] = {}
        for name in names:
            if not is_dns1123_subdomain(name):
                continue  # no workflow can have it: unknown names are left out
            try:
                workflow = self._call(
                    _Op("get", "workflows", name, "get"),
                    lambda s, name=name: s.get_workflow(name, namespace=ns, fields=GET_FIELDS),
                )
            except WorkflowNotFound:
                continue
            state = _state(workflow)
            if selectors.matches(state.labels, requirements):
                states[name] = state
        return states

    def stop(self, name: str) -> None:
        """Argo's stop: the workflow's exit handler still runs. A finished run: no-op."""
        self._check_name(name)
        ns = self.namespace
        op = _Op("stop", "workflows", name, "get, patch")

        def send(s: WorkflowsService) -> Any:
            return s.stop_workflow(name, m.WorkflowStopRequest(name=name, namespace=ns), namespace=ns)

        try:
            # 500 is not retried here: it is also how Argo refuses to stop a
            # finished workflow ("cannot shutdown a completed workflow").
            self._call(op, send, transient=TRANSIENT_STATUSES - {500})
            return
        except ArgoServerError as e:
            if e.status < 500:
                raise
        current = self._call(_Op("get", "workflows", name, "get"), lambda s: s.get_workflow(name, namespace=ns))
        if _state(current).phase in DONE_PHASES:
            return
        self._call(op, send)

    def delete(self, name: str) -> None:
        self._check_name(name)
        ns = self.namespace
        self._call(_Op("delete", "workflows", name, "get, delete"), lambda s: s.delete_workflow(name, namespace=ns))

    # ---- cron workflows ------------------------------------------------------

    def create_cron(self, manifest: dict) -> None:
        body, name = self._prepare(manifest, "CronWorkflow")
        ns = self.namespace
        try:
            request = m.CreateCronWorkflowRequest(cron_workflow=m.CronWorkflow.model_validate(body), namespace=ns)
        except ValidationError as e:
            raise EngineError(f"invalid CronWorkflow manifest: {e}") from None
        self._create(
            _Op("create", "cronworkflows", name, "create"),
            body,
            DEFINITION_ID_LABEL,
            lambda s: s.create_cron_workflow(request, namespace=ns),
            lambda s: s.get_cron_workflow(name, namespace=ns),
        )

    def update_cron(self, manifest: dict) -> None:
        """Replace the spec in place (same object, same uid): GET for the resourceVersion, then PUT.

        A PUT replaces the whole object, and CronWorkflows have no status
        subresource: the current status (last scheduled time, active runs)
        and other tools' labels and annotations are carried over.
        """
        body, name = self._prepare(manifest, "CronWorkflow")
        if name is None:
            raise EngineError("a CronWorkflow manifest needs metadata.name to be updated")
        ns = self.namespace
        get = _Op("get", "cronworkflows", name, "get")
        put = _Op("update", "cronworkflows", name, "get, update")
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            current = self._call(get, lambda s: s.get_cron_workflow(name, namespace=ns))
            replacement = _replacement(current, body)
            try:
                request = m.UpdateCronWorkflowRequest(
                    cron_workflow=m.CronWorkflow.model_validate(replacement), name=name, namespace=ns
                )
            except ValidationError as e:
                raise EngineError(f"invalid CronWorkflow manifest: {e}") from None
            try:
                self._call(put, lambda s: s.update_cron_workflow(name, request, namespace=ns))
                return
            except ArgoServerError as e:
                # 409 Conflict: the cron controller wrote the object between
                # our GET and PUT (it does on every run); read it again.
                if e.status != 409 or attempt == attempts:
                    raise

    def cron_states(self, label_selector: str | None = None) -> dict[str, CronState]:
        selector = managed_selector(label_selector)
        ns = self.namespace
        self._check_name()
        listing = self._call(
            _Op("list", "cronworkflows", None, "list"),
            lambda s: s.list_cron_workflows(namespace=ns, label_selector=selector),
        )
        states = (cron_state(c.model_dump(mode="json", by_alias=True, exclude_none=True)) for c in listing.items or [])
        return {state.name: state for state in states}

    def suspend_cron(self, name: str) -> None:
        self._check_name(name)
        ns = self.namespace
        self._call(
            _Op("suspend", "cronworkflows", name, "get, update"),
            lambda s: s.suspend_cron_workflow(
                name, m.CronWorkflowSuspendRequest(name=name, namespace=ns), namespace=ns
            ),
        )

    def resume_cron(self, name: str) -> None:
        self._check_name(name)
        ns = self.namespace
        self._call(
            _Op("resume", "cronworkflows", name, "get, update"),
            lambda s: s.resume_cron_workflow(
                name, m.CronWorkflowResumeRequest(name=name, namespace=ns), namespace=ns
            ),
        )

    def delete_cron(self, name: str) -> None:
        self._check_name(name)
        ns = self.namespace
        self._call(
            _Op("delete", "cronworkflows", name, "get, delete"),
            lambda s: s.delete_cron_workflow(name, namespace=ns),
        )

    # ---- Secrets: through the Kubernetes API (Argo Server has none) -----------

    @property
    def secrets(self):
        """The KubernetesSecrets that stores this engine's per-job Secrets (c.KubernetesSecrets.*)."""
        if self._secret_store is None:
            from .secrets import KubernetesSecrets

            self._secret_store = KubernetesSecrets(parent=self)
        return self._secret_store

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        self.secrets.put(self.namespace, name, data)

    def delete_secret(self, name: str) -> None:
        self.secrets.delete(self.namespace, name)

    def kubernetes_access(self):
        # The API the Secrets go to is the one of the workflows' namespace.
        access = self.secrets.access
        return access, access.unavailable_reason()


def _replacement(current: m.CronWorkflow, body: dict) -> dict:
    return replacement(current.model_dump(mode="json", by_alias=True, exclude_none=True), body)


def _state(workflow: m.Workflow) -> WorkflowState:
    status = workflow.status
    return WorkflowState(
        name=workflow.metadata.name or "",
        # "" is Argo's Unknown, before the controller first sees the workflow.
        phase=(status.phase if status and status.phase else PENDING),
        message=(status.message or None) if status else None,
        started_at=_epoch_ms(status.started_at) if status else None,
        finished_at=_epoch_ms(status.finished_at) if status else None,
        labels=dict(workflow.metadata.labels or {}),
        uid=workflow.metadata.uid,
        annotations=dict(workflow.metadata.annotations or {}),
    )


def _epoch_ms(value: m.Time | None) -> int | None:
    if value is None:
        return None
    return int(value.root.timestamp() * 1000)


def _reason(error: Exception) -> str:
    """The innermost cause of a requests error ("[Errno 111] Connection refused"), not urllib3's wrappers."""
    cause: BaseException = error
    for _ in range(10):  # bounded: a chain may loop
        if cause.__context__ is None:
            break
        cause = cause.__context__
    return str(cause).strip() or type(error).__name__
