"""Secrets for the cluster engines' pods, stored through the Kubernetes API.

Argo Server has no API for Secrets, so both cluster engines write them with
the kubernetes client (CoreV1Api) in the workflows' namespace: the per-job
Secrets that hold secret job parameters (see notifiers/secrets.py). The
Jupyter server's identity needs `create`, `update` and `delete` on
`secrets` there; errors say so.

Where the API is (the argo engine's; the kubernetes engine passes its own
`access`): `kubeconfig`, else `host` (+ `token_file`; `kubectl
proxy` needs none), else the pod's in-cluster service account (the Jupyter
server runs in the cluster), else $KUBECONFIG or ~/.kube/config.

No value is ever logged or put in an error message: Kubernetes' own error
text is reduced to its status message (kubeapi.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from traitlets import Float, Unicode
from traitlets.config import LoggingConfigurable

from ...kubeapi import Action, ApiAccess, KubeApiError, call
from ...labels import MANAGED_BY
from ...names import is_dns1123_subdomain
from ..base import EngineError

if TYPE_CHECKING:
    from kubernetes.client import CoreV1Api

# What the store's identity needs on secrets, whichever request was refused.
GRANT = ("create", "update", "delete")


class KubernetesSecrets(LoggingConfigurable):
    """Creates, replaces and deletes Secrets in the workflows' namespace."""

    kubeconfig = Unicode(
        "",
        config=True,
        help="""kubeconfig file (its current context) through which the Argo
        engine stores per-job Secrets and the submission checks look up the
        Secrets, claims and quotas a job needs. Default: "" (the in-cluster
        service account when the Jupyter server runs in Kubernetes, else
        ~/.kube/config or $KUBECONFIG, unless host is set; the checks use
        only the in-cluster account and skip themselves otherwise).

            c.KubernetesSecrets.kubeconfig = "/etc/jupyter/kubeconfig"
        """,
    )

    host = Unicode(
        "",
        config=True,
        help="""URL of a Kubernetes API endpoint, such as `kubectl proxy` (no
        credentials) or one that takes token_file's token; used when
        kubeconfig is not set. Default: "" (in-cluster service account, else
        ~/.kube/config).

            c.KubernetesSecrets.host = "http://127.0.0.1:8001"
        """,
    )

    token_file = Unicode(
        "",
        config=True,
        help="""File holding the bearer token sent to `host`, read when the
        client is first needed. Default: "" (no token: `kubectl proxy` needs none).

            c.KubernetesSecrets.token_file = "/var/run/secrets/tokens/api"
        """,
    )

    request_timeout = Float(
        30.0,
        config=True,
        help="""Seconds each Kubernetes API request may take. Default: 30.0.

            c.KubernetesSecrets.request_timeout = 30.0
        """,
    )

    def __init__(self, access: ApiAccess | None = None, **kwargs: Any):
        """`access`: the API to use instead of this class's traits (the kubernetes engine's own)."""
        super().__init__(**kwargs)
        self._api: CoreV1Api | None = None
        self._access = access

    @property
    def access(self) -> ApiAccess:
        """The API this store writes to; the submission checks read the same one."""
        if self._access is not None:
            return self._access
        return ApiAccess(
            self.kubeconfig, self.host, self.token_file, self.request_timeout,
            default_kubeconfig=True, settings="c.KubernetesSecrets",
        )

    def api(self) -> "CoreV1Api":
        if self._api is None:
            try:
                self._api = self.access.core()
            except KubeApiError as e:
                raise EngineError(
                    f"No Kubernetes API to store the job's Secret in: {e}; or give the notifier a Secret "
                    "the deployment manages"
                ) from None
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
            try:
                self._call("create", namespace, name, lambda: api.create_namespaced_secret(
                    namespace, body, _request_timeout=self.request_timeout
                ))
            except KubeApiError as e:
                if e.status != 409:
                    raise
                # Left by an earlier attempt for the same record: this value wins.
                self._call("update", namespace, name, lambda: api.replace_namespaced_secret(
                    name, namespace, body, _request_timeout=self.request_timeout
                ))
        except KubeApiError as e:
            raise EngineError(str(e)) from None

    def delete(self, namespace: str, name: str) -> None:
        """Delete Secret `name`; one that does not exist is not an error."""
        self._check(namespace, name)
        api = self.api()
        try:
            self._call("delete", namespace, name, lambda: api.delete_namespaced_secret(
                name, namespace, _request_timeout=self.request_timeout
            ))
        except KubeApiError as e:
            if e.status != 404:
                raise EngineError(str(e)) from None

    @staticmethod
    def _check(namespace: str, name: str) -> None:
        for what, value in (("namespace", namespace), ("Secret name", name)):
            if not is_dns1123_subdomain(value):
                raise EngineError(f"invalid {what} {value!r}: it must be a lowercase DNS-1123 name")

    def _call(self, verb: str, namespace: str, name: str, request) -> Any:
        return call(self.access, Action(verb, "secrets", namespace, name, grant=GRANT), request)


