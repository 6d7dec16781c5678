"""The Kubernetes API, reached and explained the same way by every part that needs it.

The inherit mutator reads JupyterLab's pod, the cluster engines store per-job
Secrets, and the submission checks look up Secrets, claims and quotas. Each
describes its access (kubeconfig, host + token file, or the in-cluster
service account) as an `ApiAccess` carrying the config prefix its user sets
(`c.InheritPodSpecMutator`, `c.KubernetesSecrets`), so every error names the
setting to change.

The kubernetes client is imported inside the functions: this module is
imported when the Jupyter server loads the plugins, and the client is slow
to import.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

if TYPE_CHECKING:
    from kubernetes.client import Configuration, CoreV1Api

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# Resources whose plural does not say their name in words.
KINDS = {"cronworkflows": "cron workflow"}
T = TypeVar("T")


class KubeApiError(RuntimeError):
    """A Kubernetes API request failed; the message says why and what to change.

    `status` is the HTTP status (None when the API could not be reached or
    configured), `detail` the API server's Status.message, the only part of
    its answer repeated (it never holds a Secret's value).
    """

    def __init__(self, message: str, status: int | None = None, detail: str = ""):
        super().__init__(message)
        self.status = status
        self.detail = detail


class KubeConfigError(KubeApiError):
    """No usable configuration to reach the API with."""


@dataclass(frozen=True)
class Action:
    """One request, for messages: `verb` `resource` (`name`) in `namespace`, and the RBAC verbs it needs.

    The one description of an operation: the cluster engines' messages use
    `describe()` and `kind`, this module's `str()`.
    """

    verb: str
    resource: str
    namespace: str
    name: str = ""
    # RBAC verbs the caller needs on `resource` (default: `verb`).
    grant: tuple[str, ...] = ()

    @property
    def verbs(self) -> tuple[str, ...]:
        return self.grant or (self.verb,)

    @property
    def kind(self) -> str:
        """The resource in words, singular: "workflow", "cron workflow", "secret"."""
        return KINDS.get(self.resource) or self.resource.removesuffix("s")

    def describe(self) -> str:
        """`verb` and what it is about, without the namespace: "stop workflow 'x'", "list workflows"."""
        if not self.name:
            return f"{self.verb} {self.resource}"
        return f"{self.verb} {self.kind} {self.name!r}"

    def __str__(self) -> str:
        if self.name:
            return f"{self.verb} {self.resource} {self.namespace}/{self.name}"
        return f"{self.verb} {self.resource} in namespace {self.namespace}"


@dataclass(frozen=True)
class ApiAccess:
    """How to reach the Kubernetes API: a kubeconfig, a host (+ token file), or in-cluster."""

    kubeconfig: str = ""
    host: str = ""
    token_file: str = ""
    timeout: float = 10.0
    # Outside a cluster, fall back to $KUBECONFIG or ~/.kube/config.
    default_kubeconfig: bool = False
    # Where a user configures this access, for messages ("c.KubernetesSecrets").
    settings: str = "c.KubernetesSecrets"

    def describe(self) -> str:
        if self.kubeconfig:
            return f"the Kubernetes API of kubeconfig {self.kubeconfig}"
        if self.host:
            return f"the Kubernetes API at {self.host}"
        return "the Kubernetes API (in-cluster service account)"

    def unavailable_reason(self) -> str | None:
        """Why there is no API to ask without any network call, or None when configured or in a cluster."""
        if self.kubeconfig or self.host or in_cluster():
            return None
        return (
            f"no Kubernetes API configured: the server runs outside a cluster and neither "
            f"{self.settings}.kubeconfig nor {self.settings}.host is set"
        )

    def configuration(self) -> "Configuration":
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        if self.host and not self.kubeconfig:
            configuration = client.Configuration(host=self.host.rstrip("/"))
            if self.token_file:
                path = Path(self.token_file).expanduser()

                def refresh(conf: "Configuration") -> None:
                    # Read before every request: the kubelet replaces a
                    # projected service-account token's file when it rotates.
                    try:
                        token = path.read_text(encoding="utf-8").strip()
                    except OSError as e:
                        raise KubeConfigError(
                            f"cannot read the API token file {path} ({e.strerror or e}): "
                            f"check {self.settings}.token_file"
                        ) from None
                    if not token:
                        raise KubeConfigError(f"the API token file {path} is empty: check {self.settings}.token_file")
                    conf.api_key = {"authorization": token}
                    conf.api_key_prefix = {"authorization": "Bearer"}

                refresh(configuration)
                configuration.refresh_api_key_hook = refresh
            return configuration
        # A fresh Configuration, never the client's global default: the
        # Jupyter server may talk to other clusters through it.
        configuration = client.Configuration()
        try:
            if self.kubeconfig:
                config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
            elif not self.default_kubeconfig or in_cluster():
                config.load_incluster_config(client_configuration=configuration)
            else:
                config.load_kube_config(client_configuration=configuration)
        except (ConfigException, OSError) as e:
            if self.kubeconfig:
                where = f"kubeconfig {self.kubeconfig}"
            elif self.default_kubeconfig and not in_cluster():
                where = "$KUBECONFIG or ~/.kube/config"
            else:
                where = "the in-cluster service account"
            reason = str(e).rstrip(". ")
            raise KubeConfigError(
                f"cannot configure the Kubernetes client from {where}: {reason}. Outside a pod, set "
                f"{self.settings}.kubeconfig, or {self.settings}.host (e.g. `kubectl proxy`)"
            ) from None
        return configuration

    def core(self) -> "CoreV1Api":
        from kubernetes import client

        return client.CoreV1Api(client.ApiClient(self.configuration()))


def in_cluster() -> bool:
    """The process runs in a pod with a service account (what load_incluster_config needs)."""
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and os.path.exists(f"{SERVICE_ACCOUNT_DIR}/token")


def call(access: ApiAccess, action: Action, request: Callable[[], T], not_found: str = "") -> T:
    """`request()`, with its failures as KubeApiError messages naming what to change.

    `not_found` is appended to a 404's message (which setting names the object).
    """
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return request()
    except ApiException as e:
        detail = status_message(e.body)
        raise KubeApiError(explain(e.status, e.reason, detail, access, action, not_found), e.status, detail) from None
    except (HTTPError, OSError) as e:
        reason = getattr(e, "reason", None) or e
        raise KubeApiError(f"cannot reach {access.describe()} to {action}: {reason}") from None


def explain(status: int, reason: str, detail: str, access: ApiAccess, action: Action, not_found: str = "") -> str:
    where = access.describe()
    if status == 401:
        return (
            f"{where} refused the credentials (401 Unauthorized) to {action}: "
            "the token is missing, expired or not for this cluster"
        )
    if status == 403:
        verbs = ", ".join(f"`{v}`" for v in (action.grant or (action.verb,)))
        return (
            f"{where} forbids to {action} (403 Forbidden): grant the Jupyter server's service account "
            f"{verbs} on `{action.resource}` in namespace {action.namespace} (a Role and a RoleBinding)"
        )
    if status == 404:
        what = f"{action.resource[:-1]} {action.namespace}/{action.name}" if action.name else str(action)
        return f"{what} was not found (404) by {where}" + (f": {not_found}" if not_found else "")
    return f"{where} answered {status} {reason} to {action}" + (f": {detail}" if detail else "")


def status_message(body: Any, limit: int = 300, text: bool = False) -> str:
    """The `message` of an error body (Kubernetes' Status, Argo Server's {"code", "message"}), shortened.

    Never the rest of the body. One that is not JSON (a proxy's page) is
    repeated, folded to one line, only when `text` is set.
    """
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    try:
        parsed = json.loads(body)
    except (TypeError, ValueError):
        if not text:
            return ""
        folded = " ".join(str(body or "").split())
        return folded[:200] + ("…" if len(folded) > 200 else "")
    if not isinstance(parsed, dict):
        return ""
    return str(parsed.get("message") or parsed.get("error") or parsed.get("detail") or "")[:limit]
