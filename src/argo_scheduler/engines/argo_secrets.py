"""Secrets for the Argo engine's pods, stored through the Kubernetes API.

Argo Server has no API for Secrets, so the engine writes them with the
kubernetes client (CoreV1Api) in the workflows' namespace: the per-job
Secrets that hold secret job parameters (see notifiers/secrets.py). The
Jupyter server's identity needs `create`, `update` and `delete` on
`secrets` there; errors say so.

Where the API is: the pod's in-cluster service account by default (the
Jupyter server runs in the cluster), else `kubeconfig`, else `host` (an
unauthenticated endpoint such as `kubectl proxy`).

No value is ever logged or put in an error message: Kubernetes' own error
text is reduced to its status message.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from traitlets import Float, Unicode
from traitlets.config import LoggingConfigurable

from ..pod import MANAGED_BY
from .base import EngineError

if TYPE_CHECKING:
    from kubernetes.client import CoreV1Api

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")


class KubernetesSecrets(LoggingConfigurable):
    """Creates, replaces and deletes Secrets in the workflows' namespace."""

    kubeconfig = Unicode(
        "",
        config=True,
        help="""kubeconfig file (its current context) through which the Argo
        engine stores per-job Secrets. Default: "" (the in-cluster service
        account when the Jupyter server runs in Kubernetes, else
        ~/.kube/config or $KUBECONFIG, unless host is set).

            c.KubernetesSecrets.kubeconfig = "/etc/jupyter/kubeconfig"
        """,
    )

    host = Unicode(
        "",
        config=True,
        help="""URL of a Kubernetes API endpoint that needs no credentials,
        such as `kubectl proxy`; used when kubeconfig is not set. Default: ""
        (in-cluster service account, else ~/.kube/config).

            c.KubernetesSecrets.host = "http://127.0.0.1:8001"
        """,
    )

    request_timeout = Float(
        30.0,
        config=True,
        help="""Seconds each Kubernetes API request may take. Default: 30.0.

            c.KubernetesSecrets.request_timeout = 30.0
        """,
    )

    def __init__(self, api_client: Any = None, **kwargs: Any):
        """`api_client`: a kubernetes ApiClient to use instead of the traits (the kubernetes engine's own)."""
        super().__init__(**kwargs)
        self._api: CoreV1Api | None = None
        self._where = ""
        self._api_client = api_client

    def api(self) -> "CoreV1Api":
        if self._api is None and self._api_client is not None:
            from kubernetes import client

            self._where = self._api_client.configuration.host
            self._api = client.CoreV1Api(self._api_client)
        if self._api is None:
            from kubernetes import client, config

            configuration = client.Configuration()
            try:
                if self.kubeconfig:
                    config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
                elif self.host:
                    configuration.host = self.host
                else:
                    try:
                        config.load_incluster_config(client_configuration=configuration)
                    except config.ConfigException:
                        config.load_kube_config(client_configuration=configuration)
            except (config.ConfigException, OSError) as e:
                raise EngineError(
                    "No Kubernetes API to store the job's Secret in: the Jupyter server runs outside a "
                    f"cluster and has no usable kubeconfig ({e}); set c.KubernetesSecrets.kubeconfig or "
                    "c.KubernetesSecrets.host, or give the notifier a Secret the deployment manages"
                ) from None
            self._where = configuration.host
            self._api = client.CoreV1Api(client.ApiClient(configuration))
        return self._api

    def put(self, namespace: str, name: str, data: dict[str, str]) -> None:
        """Create Secret `name` with exactly `data`, or replace the one that exists."""
        from kubernetes.client import V1ObjectMeta, V1Secret

        self._check(namespace, name)
        body = V1Secret(
            api_version="v1",
            kind="Secret",
            type="Opaque",
            metadata=V1ObjectMeta(name=name, namespace=namespace, labels=dict(MANAGED_BY)),
            string_data=dict(data),
        )
        api = self.api()
        try:
            self._call("create", namespace, name, lambda: api.create_namespaced_secret(
                namespace, body, _request_timeout=self.request_timeout
            ))
        except _Conflict:
            # Left by an earlier attempt for the same record: this value wins.
            self._call("update", namespace, name, lambda: api.replace_namespaced_secret(
                name, namespace, body, _request_timeout=self.request_timeout
            ))

    def delete(self, namespace: str, name: str) -> None:
        """Delete Secret `name`; one that does not exist is not an error."""
        self._check(namespace, name)
        api = self.api()
        try:
            self._call("delete", namespace, name, lambda: api.delete_namespaced_secret(
                name, namespace, _request_timeout=self.request_timeout
            ))
        except _NotFound:
            pass

    @staticmethod
    def _check(namespace: str, name: str) -> None:
        for what, value in (("namespace", namespace), ("Secret name", name)):
            if not _NAME.match(value):
                raise EngineError(f"invalid {what} {value!r}: it must be a lowercase DNS-1123 name")

    def _call(self, verb: str, namespace: str, name: str, request) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return request()
        except ApiException as e:
            if e.status == 409 and verb == "create":
                raise _Conflict() from None
            if e.status == 404 and verb == "delete":
                raise _NotFound() from None
            message = f"Kubernetes refused to {verb} Secret {name} in namespace {namespace} (HTTP {e.status}"
            message += f": {_status_message(e.body)})" if _status_message(e.body) else ")"
            if e.status in (401, 403):
                message += (
                    f"; the Jupyter server's service account needs create, update and delete on secrets "
                    f"in namespace {namespace}"
                )
            raise EngineError(message) from None
        except (HTTPError, OSError) as e:
            raise EngineError(
                f"Cannot reach the Kubernetes API at {self._where} to {verb} Secret {name}: {getattr(e, 'reason', None) or e}"
            ) from None


class _Conflict(Exception):
    pass


class _NotFound(Exception):
    pass


def _status_message(body: Any) -> str:
    """Kubernetes' Status.message, the only part of an error body we repeat."""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return ""
    return str(status.get("message") or "")[:300] if isinstance(status, dict) else ""
