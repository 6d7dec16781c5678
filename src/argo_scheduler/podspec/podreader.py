"""Reading one pod through the Kubernetes API, with errors a user can act on.

The kubernetes client is imported here, inside the functions: this module is
imported when the Jupyter server loads the plugins, and the client is slow
to import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import Configuration, V1Pod


class PodReadError(RuntimeError):
    """The pod could not be read; the message says why and what to change."""


@dataclass(frozen=True)
class ApiAccess:
    """How to reach the Kubernetes API: a kubeconfig, a host (+ token file), or in-cluster."""

    kubeconfig: str = ""
    host: str = ""
    token_file: str = ""
    timeout: float = 10.0

    def describe(self) -> str:
        if self.kubeconfig:
            return f"the Kubernetes API of kubeconfig {self.kubeconfig}"
        if self.host:
            return f"the Kubernetes API at {self.host}"
        return "the Kubernetes API (in-cluster service account)"


def read_pod(access: ApiAccess, namespace: str, name: str) -> "V1Pod":
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    configuration = _configuration(access)
    with client.ApiClient(configuration) as api:
        try:
            return client.CoreV1Api(api).read_namespaced_pod(name, namespace, _request_timeout=access.timeout)
        except ApiException as e:
            raise PodReadError(_explain(e, access, namespace, name)) from None
        except HTTPError as e:
            raise PodReadError(f"cannot reach {access.describe()} to read pod {namespace}/{name}: {e}") from None


def _configuration(access: ApiAccess) -> "Configuration":
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    if access.host:
        api_key, prefix = {}, {}
        if access.token_file:
            try:
                token = Path(access.token_file).read_text(encoding="utf-8").strip()
            except OSError as e:
                raise PodReadError(f"cannot read the API token file {access.token_file}: {e}") from None
            api_key, prefix = {"authorization": token}, {"authorization": "Bearer"}
        return client.Configuration(host=access.host, api_key=api_key, api_key_prefix=prefix)
    configuration = client.Configuration()
    try:
        if access.kubeconfig:
            config.load_kube_config(config_file=access.kubeconfig, client_configuration=configuration)
        else:
            # A fresh Configuration, never the client's global default: the
            # Jupyter server may talk to other clusters through it.
            config.load_incluster_config(client_configuration=configuration)
    except (ConfigException, OSError) as e:
        where = f"kubeconfig {access.kubeconfig}" if access.kubeconfig else "the in-cluster service account"
        raise PodReadError(
            f"cannot configure the Kubernetes client from {where}: {e}. Outside a pod, set "
            "c.InheritPodSpecMutator.kubeconfig, or c.InheritPodSpecMutator.host (e.g. `kubectl proxy`)"
        ) from None
    return configuration


def _explain(error, access: ApiAccess, namespace: str, name: str) -> str:
    pod = f"pod {namespace}/{name}"
    status = error.status
    if status == 401:
        return (
            f"{access.describe()} refused the credentials (401 Unauthorized) when reading {pod}: "
            "the token is missing, expired or not for this cluster"
        )
    if status == 403:
        return (
            f"{access.describe()} forbids reading {pod} (403 Forbidden): grant the server's service "
            f"account `get` on `pods` in namespace {namespace} (a Role and a RoleBinding)"
        )
    if status == 404:
        return (
            f"{pod} was not found (404) by {access.describe()}: set c.InheritPodSpecMutator.pod_name "
            "and c.InheritPodSpecMutator.namespace to JupyterLab's pod (defaults: $HOSTNAME and the "
            "service account's namespace)"
        )
    return f"{access.describe()} answered {status} {error.reason} when reading {pod}: {_message(error.body)}"


def _message(body) -> str:
    """The `message` of a Kubernetes Status body, else the body itself, shortened."""
    try:
        return str(json.loads(body)["message"])
    except Exception:
        return str(body or "")[:200]
