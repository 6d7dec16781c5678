"""The Nebari workflow controller's own code, with only its Kubernetes API and Keycloak lookups stubbed.

Kubernetes: the controller's kubernetes client talks to the fake API server
(tests/fake_kube_api.py), which holds the user's JupyterLab pod and the
CronWorkflows Argo stored; `load_incluster_config` points the client there
instead of at the pod's service account. Keycloak: `create_keycloak_admin`
returns an in-memory realm with one user. Everything else — which objects
it dresses, how it finds the user, the patch it answers — is its code.
"""

from __future__ import annotations

import copy
import importlib
import json
import urllib.error
import urllib.request

import pytest
from fake_kube_api import FakeKubeApi
from nebari_controller import KEYCLOAK_UID, NAMESPACE, USERNAME

TOKEN = "eyJhbGciOiJSUzI1NiJ9.fake-controller-token"
# How KubeSpawner before 7 (and its "escape" slug scheme) labels the pod, which the controller searches for.
ESCAPED_USERNAME = "ana-2eperez-40example-2ecom"
# How KubeSpawner 7's default "safe" slug scheme labels it.
SAFE_USERNAME = "ana-perez-example-com---3c6c5c25"


def jupyterlab_pod(username_label: str = ESCAPED_USERNAME) -> dict:
    """A Nebari JupyterLab pod as the API returns it: shared storage by sub path, conda-store envs, init containers."""
    home = f"home/{USERNAME}"
    return {
        "metadata": {
            "name": "jupyter-ana-2eperez-40example-2ecom",
            "namespace": NAMESPACE,
            "labels": {"app": "jupyterhub", "component": "singleuser-server",
                       "hub.jupyter.org/username": username_label, "hub.jupyter.org/servername": ""},
        },
        "spec": {
            "initContainers": [
                {"name": "initialize-home-mount", "image": "busybox:1.36",
                 "command": ["sh", "-c", "mkdir -p /mnt/home && chmod 700 /mnt/home"],
                 "volumeMounts": [{"name": "home", "mountPath": "/mnt/home", "subPath": home}]},
                {"name": "initialize-shared-mounts", "image": "busybox:1.36",
                 "command": ["sh", "-c", "mkdir -p /mnt/shared/analyst"],
                 "volumeMounts": [{"name": "home", "mountPath": "/mnt/shared/analyst", "subPath": "shared/analyst"}]},
                {"name": "initialize-conda-store-mounts", "image": "busybox:1.36",
                 "command": ["sh", "-c", "mkdir -p /mnt/ana"],
                 "volumeMounts": [{"name": "conda-store", "mountPath": "/mnt/ana", "subPath": USERNAME}]},
            ],
            "containers": [{
                "name": "notebook",
                "image": "quay.io/nebari/nebari-jupyterlab:2024.7.1",
                "env": [{"name": "JUPYTERHUB_USER", "value": USERNAME},
                        {"name": "PREFERRED_USERNAME", "value": USERNAME},
                        {"name": "ARGO_SERVER", "value": "argo-server.dev.svc:2746"},
                        {"name": "ARGO_NAMESPACE", "value": NAMESPACE},
                        {"name": "CONDA_STORE_SERVICE", "value": "nebari-conda-store-server.dev.svc:5000"},
                        {"name": "SHELL", "value": "/bin/bash"},
                        {"name": "MEM_LIMIT", "value": "8589934592"},
                        {"name": "ARGO_TOKEN", "valueFrom": {"secretKeyRef": {"name": "argo-developer.service-account-token",
                                                                               "key": "token"}}}],
                "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}},
                "securityContext": {"runAsUser": 1000, "runAsGroup": 100},
                "volumeMounts": [
                    {"name": "home", "mountPath": f"/home/{USERNAME}", "subPath": home},
                    {"name": "home", "mountPath": "/shared/analyst", "subPath": "shared/analyst"},
                    {"name": "conda-store", "mountPath": f"/home/conda/{USERNAME}", "subPath": USERNAME},
                    {"name": "conda-store", "mountPath": "/home/conda/nebari-git", "subPath": "nebari-git"},
                    {"name": "conda-store", "mountPath": "/home/conda/global", "subPath": "global"},
                    {"name": "etc-jupyter", "mountPath": "/etc/jupyter"},
                    {"name": "dshm", "mountPath": "/dev/shm"},
                    {"name": "kube-api-access-7xk2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                     "readOnly": True},
                ],
                "workingDir": f"/home/{USERNAME}",
            }],
            "securityContext": {"fsGroup": 100},
            "nodeSelector": {"eks.amazonaws.com/nodegroup": "user"},
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}],
            "volumes": [
                {"name": "home", "persistentVolumeClaim": {"claimName": f"jupyterhub-{NAMESPACE}-share"}},
                {"name": "conda-store", "persistentVolumeClaim": {"claimName": f"conda-store-{NAMESPACE}-share"}},
                {"name": "etc-jupyter", "configMap": {"name": "etc-jupyter"}},
                {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                {"name": "kube-api-access-7xk2p", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}},
            ],
        },
        "status": {"phase": "Running", "startTime": "2026-01-01T08:00:00Z"},
    }


class FakeKeycloakAdmin:
    """The calls the controller makes on python-keycloak's KeycloakAdmin, on a realm with one user."""

    def __init__(self):
        self.users = {KEYCLOAK_UID: {"id": KEYCLOAK_UID, "username": USERNAME}}
        self.groups = [{"id": "6b1c", "name": "analyst", "path": "/analyst"}]

    def get_user(self, user_id):
        from keycloak.exceptions import KeycloakGetError

        if user_id not in self.users:
            raise KeycloakGetError(error_message=json.dumps({"error": "User not found"}), response_code=404)
        return dict(self.users[user_id])

    def get_users(self, query=None):
        return [dict(u) for u in self.users.values()]

    def get_user_groups(self, user_id, *args, **kwargs):
        return copy.deepcopy(self.groups)


@pytest.fixture
def kube():
    api = FakeKubeApi(TOKEN).start()
    api.add_pod(jupyterlab_pod())
    yield api
    api.stop()


@pytest.fixture
def controller(kube, monkeypatch, tmp_path):
    """nebari_workflow_controller.app, its Kubernetes client on the fake API and Keycloak in memory."""
    monkeypatch.setenv("NAMESPACE", NAMESPACE)
    try:
        app = importlib.import_module("nebari_workflow_controller.app")
    except ImportError as e:
        pytest.fail(f"nebari-workflow-controller is not installed ({e}): run `python3 dev.py test` once, "
                    "which installs it (see ensure_nebari_controller)")
    from kubernetes import client
    from kubernetes.config import incluster_config

    from nebari_workflow_controller import utils

    def load_incluster_config(*args, **kwargs):
        configuration = client.Configuration()
        configuration.host = kube.url
        configuration.api_key = {"authorization": TOKEN}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        client.Configuration.set_default(configuration)

    real_call_api = client.ApiClient.call_api

    def call_api(self, resource_path, method, *args, **kwargs):
        # The controller reads a run's CronWorkflow with kubernetes 26's
        # call_api(path, "GET", auth_settings=…, response_type="object");
        # today's client has another signature, so that one lookup is made here.
        if "response_type" not in kwargs:
            return real_call_api(self, resource_path, method, *args, **kwargs)
        assert method == "GET" and kwargs["response_type"] == "object", (resource_path, method, kwargs)
        request = urllib.request.Request(kube.url + resource_path, headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read()), response.status, dict(response.headers)
        except urllib.error.HTTPError as e:
            raise client.ApiException(status=e.code, reason=e.reason) from None

    monkeypatch.setattr(client.Configuration, "_default", None)
    monkeypatch.setattr(client.ApiClient, "call_api", call_api)
    monkeypatch.setattr(incluster_config, "load_incluster_config", load_incluster_config)
    keycloak = FakeKeycloakAdmin()
    monkeypatch.setattr(utils, "create_keycloak_admin", lambda: keycloak)
    # Nebari mounts its list of roles whose service-account tokens may act for a user here.
    roles = tmp_path / "valid-argo-roles"
    roles.write_text(json.dumps(["argo-admin", "argo-developer"]))
    monkeypatch.setattr(utils, "VALID_ARGO_ROLES_CONFIGMAP", str(roles))
    return app
