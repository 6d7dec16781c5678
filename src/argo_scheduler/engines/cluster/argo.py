"""ArgoEngine: workflows run by an Argo Server, over its REST API.

hera's `WorkflowsService` builds every URL, header and body (so what we send
is what hera's models, generated from Argo's swagger, say); this module is
the transport under ClusterEngine (base.py), which holds the traits, the
retries, the error messages, status(), the idempotent create and the cron
update the kubernetes engine shares. What is Argo Server's alone:

- where: `host` (with any base path), from the same environment variables
  as the argo CLI and argo-jupyter-scheduler;
- who: a literal token or a token file re-read on every request (projected
  service-account tokens rotate); TLS with a private CA or none;
- Argo's stop, suspend and resume calls, and what its errors look like.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from hera.workflows import models as m
from hera.workflows.service import WorkflowsService
from pydantic import ValidationError
from traitlets import Bool, Unicode, default

from ...kubeapi import Action, status_message
from ..base import DONE_PHASES, PENDING, EngineError, WorkflowNotFound, WorkflowState
from .base import ClusterApiError, ClusterEngine, Failure, reason
from .objects import CRON_WORKFLOWS, TRANSIENT_STATUSES, WORKFLOWS, check_names, replacement

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
# Visible ASCII: what a bearer token (a JWT, Argo's own tokens) is made of.
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


class ArgoServerError(ClusterApiError):
    """Argo Server answered with an HTTP error; `status` is its code."""


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
        # Argo's error JSON is {"code": <gRPC code>, "message": "..."}; a proxy may send HTML.
        self.message = status_message(response.text, limit=500, text=True)
        # Set by Prism (the contract check in the tests) on invalid requests.
        self.violations = response.headers.get("sl-violations", "")


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


class ArgoEngine(ClusterEngine):
    """Run workflows on an Argo Server (REST API, through hera)."""

    config_name = "ArgoEngine"
    api_error = ArgoServerError
    not_found_error = ArgoNotFound
    credentials_hint = "c.ArgoEngine.token / c.ArgoEngine.token_file (or $ARGO_TOKEN)"
    identity = "the service account behind the token"
    reach_hint = "c.ArgoEngine.host (or ARGO_SERVER / ARGO_BASE_HREF) and that the server is running"
    trust_hint = 'Trust its CA with c.ArgoEngine.ca_bundle = "/path/to/ca.crt", or (insecure) c.ArgoEngine.verify_ssl = False'
    health_hint = "the Argo Server's logs"

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

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._session: _Session | None = None
        self._secret: str | None = None

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

    def _address(self) -> str:
        """The server's URL, without any user:password@."""
        scheme, netloc, path, _, _ = urlsplit(self.base_url)
        return urlunsplit((scheme, netloc.rpartition("@")[2], path, "", ""))

    def _where(self) -> str:
        return f"the Argo Server at {self._address()}"

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

    def _transport(self) -> WorkflowsService:
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


    # ---- what a failure was ----------------------------------------------------

    def _classify(self, error: Exception, op: Action) -> Failure | None:
        if isinstance(error, _HTTPFailure):
            return Failure("http", error.status, error.reason, error.message, error.violations)
        # SSLError before ConnectionError, its base class: a certificate
        # problem is configuration, not worth retrying. Timeout before it too:
        # a connect timeout is both.
        if isinstance(error, requests.exceptions.SSLError):
            return Failure("tls", reason=reason(error))
        if isinstance(error, requests.exceptions.Timeout):
            return Failure("timeout")
        if isinstance(error, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            return Failure("unreachable", reason=reason(error))
        if isinstance(error, requests.exceptions.RequestException):
            return Failure("final", text=f"Cannot {op.describe()} at {self._address()}: {self._redact(reason(error))}.")
        if isinstance(error, ValueError):
            # A 2xx whose body is not the expected JSON object: typically a
            # login page or UI served at a wrong base path.
            return Failure("final", text=(
                f"The Argo Server at {self._address()} answered {op.describe()} with something that is not "
                f"Argo's API ({type(error).__name__}): check c.ArgoEngine.host, including its base path."
            ))
        return None

    def _missing_path_hint(self, op: Action) -> str:
        return "check c.ArgoEngine.host (including its base path, e.g. /argo/) and c.ArgoEngine.namespace"

    def _invalid(self, op: Action, failure: Failure, said: str) -> str | None:
        if failure.status == 422 and failure.detail:
            return f"The request to {op.describe()} does not match Argo's API: {self._redact(failure.detail)}"
        return None

    def _leftover_hint(self, op: Action) -> str:
        return "delete it from Argo"

    # ---- the requests ClusterEngine makes ---------------------------------------

    def _list_page(self, selector: str, token: str | None) -> tuple[list[WorkflowState], str | None]:
        ns = self.namespace
        page = self._call(
            self._op("list", WORKFLOWS),
            lambda s: s.list_workflows(
                namespace=ns, label_selector=selector, limit=str(max(1, self.page_size)), continue_=token,
                fields=LIST_FIELDS,
            ),
        )
        return [_state(item) for item in page.items or []], page.metadata.continue_ or None

    def _read_state(self, name: str) -> WorkflowState:
        ns = self.namespace
        return _state(self._call(
            self._op("get", WORKFLOWS, name), lambda s: s.get_workflow(name, namespace=ns, fields=GET_FIELDS)
        ))

    def _post(self, op: Action, body: dict) -> Any:
        ns = self.namespace
        if op.resource == WORKFLOWS:
            request = _model("Workflow", lambda: m.WorkflowCreateRequest(
                workflow=m.Workflow.model_validate(body), namespace=ns
            ))
            return self._call(op, lambda s: s.create_workflow(request, namespace=ns))
        request = _model("CronWorkflow", lambda: m.CreateCronWorkflowRequest(
            cron_workflow=m.CronWorkflow.model_validate(body), namespace=ns
        ))
        return self._call(op, lambda s: s.create_cron_workflow(request, namespace=ns))

    def _read(self, resource: str, name: str) -> Any:
        ns = self.namespace
        if resource == WORKFLOWS:
            return self._call(self._op("get", resource, name), lambda s: s.get_workflow(name, namespace=ns))
        return self._call(self._op("get", resource, name), lambda s: s.get_cron_workflow(name, namespace=ns))

    def _put_cron(self, name: str, current: m.CronWorkflow, body: dict) -> None:
        ns = self.namespace
        new = replacement(_json(current), body)
        request = _model("CronWorkflow", lambda: m.UpdateCronWorkflowRequest(
            cron_workflow=m.CronWorkflow.model_validate(new), name=name, namespace=ns
        ))
        self._call(
            self._op("update", CRON_WORKFLOWS, name, "get", "update"),
            lambda s: s.update_cron_workflow(name, request, namespace=ns),
        )

    def _list_crons(self, selector: str) -> list[dict]:
        ns = self.namespace
        listing = self._call(
            self._op("list", CRON_WORKFLOWS),
            lambda s: s.list_cron_workflows(namespace=ns, label_selector=selector),
        )
        return [_json(cron) for cron in listing.items or []]

    def _labels(self, obj: Any) -> dict[str, str]:
        return obj.metadata.labels or {}

    def _state(self, workflow: m.Workflow) -> WorkflowState:
        return _state(workflow)

    # ---- what only Argo Server does ------------------------------------------------

    def stop(self, name: str) -> None:
        """Argo's stop: the workflow's exit handler still runs. A finished run: no-op."""
        check_names(self.namespace, name)
        ns = self.namespace
        op = self._op("stop", WORKFLOWS, name, "get", "patch")

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
        if _state(self._read(WORKFLOWS, name)).phase in DONE_PHASES:
            return
        self._call(op, send)

    def _remove(self, resource: str, name: str) -> None:
        ns = self.namespace
        op = self._op("delete", resource, name, "get", "delete")
        if resource == WORKFLOWS:
            self._call(op, lambda s: s.delete_workflow(name, namespace=ns))
        else:
            self._call(op, lambda s: s.delete_cron_workflow(name, namespace=ns))

    def _suspend(self, name: str, suspended: bool) -> None:
        ns = self.namespace
        op = self._op("suspend" if suspended else "resume", CRON_WORKFLOWS, name, "get", "update")
        if suspended:
            suspend = m.CronWorkflowSuspendRequest(name=name, namespace=ns)
            self._call(op, lambda s: s.suspend_cron_workflow(name, suspend, namespace=ns))
        else:
            resume = m.CronWorkflowResumeRequest(name=name, namespace=ns)
            self._call(op, lambda s: s.resume_cron_workflow(name, resume, namespace=ns))


def _model(kind: str, build: Callable[[], T]) -> T:
    """A hera request model built from a `kind` manifest; EngineError naming the invalid fields if it is not one."""
    try:
        return build()
    except ValidationError as e:
        raise EngineError(f"invalid {kind} manifest: {e}") from None


def _json(obj: Any) -> dict:
    return obj.model_dump(mode="json", by_alias=True, exclude_none=True)


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
