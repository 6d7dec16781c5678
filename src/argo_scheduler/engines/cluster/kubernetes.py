"""KubernetesEngine: Argo's Workflow and CronWorkflow objects created directly through the Kubernetes API.

For clusters that run Argo's workflow controller but expose no Argo Server
to the Jupyter server. The objects are custom resources of the group
argoproj.io/v1alpha1, written with the official kubernetes client
(CustomObjectsApi); the controller does the rest, exactly as for objects an
Argo Server created. This module is the transport under ClusterEngine
(base.py: traits, retries, error messages, status(), the idempotent create,
the cron update's read-replace loop). What Argo Server adds on top of the
API is done here the way Argo's own code does it:

- stop: a merge patch of `spec.shutdown: Stop` (what `argo stop` sends), so
  the controller stops the pods and still runs the exit handler; a finished
  run is left alone;
- suspend/resume of a cron: a merge patch of `spec.suspend`.

Objects are sent with `fieldValidation=Strict`: a field the installed CRDs
do not know is refused with its name instead of being silently pruned (a
pruned `onExit` would leave failed jobs IN_PROGRESS forever).

The kubernetes client is imported when the engine first talks to the API,
never at import of this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from traitlets import Unicode

from ...kubeapi import Action, ApiAccess, KubeConfigError, status_message
from ..base import DONE_PHASES, PENDING, EngineError, WorkflowNotFound, WorkflowState
from .base import ClusterApiError, ClusterEngine, Failure, reason
from .objects import CRON_WORKFLOWS, GROUP, WORKFLOWS, check_names, replacement
from .secrets import KubernetesSecrets

if TYPE_CHECKING:
    from kubernetes.client import ApiClient, CustomObjectsApi

VERSION = "v1alpha1"
# Ask the API server to refuse unknown fields rather than prune them.
STRICT = "Strict"


class KubernetesApiError(ClusterApiError):
    """The Kubernetes API answered with an HTTP error; `status` is its code."""


class KubernetesNotFound(KubernetesApiError, WorkflowNotFound):
    """404 for a named workflow or cron workflow: it does not exist (any more)."""


class KubernetesEngine(ClusterEngine):
    """Run workflows by creating Argo's Workflow and CronWorkflow objects through the Kubernetes API."""

    config_name = "KubernetesEngine"
    api_error = KubernetesApiError
    not_found_error = KubernetesNotFound
    credentials_hint = (
        "c.KubernetesEngine.token_file, c.KubernetesEngine.kubeconfig or the server's service account"
    )
    reach_hint = "c.KubernetesEngine.host or c.KubernetesEngine.kubeconfig, and that the API server is up"
    trust_hint = "Check the cluster's CA in the kubeconfig (c.KubernetesEngine.kubeconfig)"
    health_hint = "the API server's health"

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

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._client: ApiClient | None = None
        self._api: CustomObjectsApi | None = None

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

    def api(self) -> "CustomObjectsApi":
        if self._api is None:
            from kubernetes.client import CustomObjectsApi

            self._api = CustomObjectsApi(self.client)
        return self._api

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._api = self._secret_store = None

    def _transport(self) -> "CustomObjectsApi":
        return self.api()

    def _address(self) -> str:
        return self.client.configuration.host

    def _where(self) -> str:
        return f"the Kubernetes API at {self._address()}"

    def _new_secret_store(self) -> KubernetesSecrets:
        # Through this engine's API client settings, not c.KubernetesSecrets'.
        return KubernetesSecrets(access=self.access, parent=self, request_timeout=self.request_timeout)

    # ---- what a failure was ----------------------------------------------------

    def _classify(self, error: Exception, op: Action) -> Failure | None:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
        from urllib3.exceptions import TimeoutError as Urllib3Timeout

        if isinstance(error, KubeConfigError):
            # The token file, re-read before each request, is gone or empty.
            return Failure("final", text=f"Cannot reach the Kubernetes API: {error}.")
        if isinstance(error, ApiException):
            return Failure("http", error.status or 0, error.reason or "", status_message(error.body, 500, text=True))
        if isinstance(error, SSLError):
            # A certificate problem is configuration, not worth retrying.
            return Failure("tls", reason=reason(error))
        # NewConnectionError before TimeoutError: urllib3 makes it a ConnectTimeoutError too.
        if isinstance(error, NewConnectionError):
            return Failure("unreachable", reason=reason(error))
        if isinstance(error, Urllib3Timeout):
            return Failure("timeout")
        if isinstance(error, (HTTPError, OSError)):
            # A dropped connection (ProtocolError) and the like.
            return Failure("unreachable", reason=reason(error))
        return None

    def _missing_path_hint(self, op: Action) -> str:
        return (
            f"check that the namespace exists (c.KubernetesEngine.namespace) and that Argo's CRDs "
            f"({op.resource}.{GROUP}) are installed in the cluster"
        )

    def _invalid(self, op: Action, failure: Failure, said: str) -> str | None:
        if failure.status == 422 or (failure.status == 400 and "unknown field" in failure.message):
            return (
                f"The Kubernetes API at {self._address()} refused to {op.describe()}: it does not match the "
                f"{op.resource}.{GROUP} CRD installed in the cluster ({failure.status} {failure.reason}); an "
                f"older Argo may lack a field the manifest uses.{said}"
            )
        return None

    def _leftover_hint(self, op: Action) -> str:
        return f"delete it (kubectl delete {op.resource}.{GROUP} {op.name} -n {op.namespace})"

    # ---- the requests ClusterEngine makes ---------------------------------------

    def _prepare(self, manifest: dict, kind: str) -> tuple[dict, str | None]:
        body, name = super()._prepare(manifest, kind)
        body.setdefault("apiVersion", f"{GROUP}/{VERSION}")
        return body, name

    def _list_page(self, selector: str, token: str | None) -> tuple[list[WorkflowState], str | None]:
        ns = self.namespace
        extra = {"_continue": token} if token else {}
        page = self._call(
            self._op("list", WORKFLOWS),
            lambda api: api.list_namespaced_custom_object(
                GROUP, VERSION, ns, WORKFLOWS, label_selector=selector,
                limit=max(1, self.page_size), _request_timeout=self.request_timeout, **extra,
            ),
        )
        states = [_state(item) for item in page.get("items") or []]
        return states, (page.get("metadata") or {}).get("continue") or None

    def _post(self, op: Action, body: dict) -> dict:
        ns = self.namespace
        return self._call(
            op,
            lambda api: api.create_namespaced_custom_object(
                GROUP, VERSION, ns, op.resource, body, field_validation=STRICT, _request_timeout=self.request_timeout,
            ),
        )

    def _read(self, resource: str, name: str) -> dict:
        ns = self.namespace
        return self._call(
            self._op("get", resource, name),
            lambda api: api.get_namespaced_custom_object(
                GROUP, VERSION, ns, resource, name, _request_timeout=self.request_timeout
            ),
        )

    def _put_cron(self, name: str, current: dict, body: dict) -> None:
        ns = self.namespace
        new = replacement(current, body)
        self._call(
            self._op("update", CRON_WORKFLOWS, name, "get", "update"),
            lambda api: api.replace_namespaced_custom_object(
                GROUP, VERSION, ns, CRON_WORKFLOWS, name, new, field_validation=STRICT,
                _request_timeout=self.request_timeout,
            ),
        )

    def _list_crons(self, selector: str) -> list[dict]:
        ns = self.namespace
        listing = self._call(
            self._op("list", CRON_WORKFLOWS),
            lambda api: api.list_namespaced_custom_object(
                GROUP, VERSION, ns, CRON_WORKFLOWS, label_selector=selector, _request_timeout=self.request_timeout,
            ),
        )
        return list(listing.get("items") or [])

    def _labels(self, obj: dict) -> dict[str, str]:
        return (obj.get("metadata") or {}).get("labels") or {}

    def _state(self, workflow: dict) -> WorkflowState:
        return _state(workflow)

    def _patch(self, op: Action, patch: dict) -> dict:
        """A JSON merge patch (RFC 7386), the client's default for custom objects."""
        ns, plural, name = self.namespace, op.resource, op.name
        return self._call(
            op,
            lambda api: api.patch_namespaced_custom_object(
                GROUP, VERSION, ns, plural, name, patch,
                _content_type="application/merge-patch+json", _request_timeout=self.request_timeout,
            ),
        )

    # ---- what Argo Server would do, done on the objects ------------------------

    def stop(self, name: str) -> None:
        """`argo stop`: spec.shutdown = Stop, so the exit handler still runs. A finished run: no-op.

        The patch carries the resourceVersion just read: should the
        controller finish the run in between, the 409 makes us look again
        rather than mark a finished workflow.
        """
        check_names(self.namespace, name)
        op = self._op("stop", WORKFLOWS, name, "get", "patch")
        attempts = max(0, self.retries) + 1
        for attempt in range(1, attempts + 1):
            current = self._read(WORKFLOWS, name)
            if _state(current).phase in DONE_PHASES or (current.get("spec") or {}).get("shutdown"):
                return
            version = (current.get("metadata") or {}).get("resourceVersion")
            try:
                self._patch(op, {"metadata": {"resourceVersion": version}, "spec": {"shutdown": "Stop"}})
                return
            except KubernetesApiError as e:
                if e.status != 409 or attempt == attempts:
                    raise

    def _remove(self, resource: str, name: str) -> None:
        # A Workflow's pods are owned by it and garbage-collected with it.
        ns = self.namespace
        self._call(
            self._op("delete", resource, name),
            lambda api: api.delete_namespaced_custom_object(
                GROUP, VERSION, ns, resource, name, _request_timeout=self.request_timeout
            ),
        )

    def _suspend(self, name: str, suspended: bool) -> None:
        op = self._op("suspend" if suspended else "resume", CRON_WORKFLOWS, name, "patch")
        self._patch(op, {"spec": {"suspend": suspended}})


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
