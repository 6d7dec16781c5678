"""The Nebari workflow controller's own code, with only its Kubernetes API and Keycloak lookups stubbed.

Kubernetes: the controller's kubernetes client talks to the fake API server
(tests/support/fake_kube_api.py), which holds the user's JupyterLab pod and the
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
from nebari_controller import KEYCLOAK_UID, NAMESPACE, USERNAME, jupyterlab_pod

TOKEN = "eyJhbGciOiJSUzI1NiJ9.fake-controller-token"
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
def api_token() -> str:
    return TOKEN


@pytest.fixture
def kube(kube):
    """The fake Kubernetes API, serving the user's JupyterLab pod."""
    kube.add_pod(jupyterlab_pod())
    return kube


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
