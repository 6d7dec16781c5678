"""The kubernetes engine's own errors: RBAC, missing CRDs, manifests the CRDs refuse (the shared cases: ../test_cluster_errors.py)."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.k8s_helpers import CRDS, TOKEN

from argo_scheduler.engines.base import EngineError
from argo_scheduler.engines.cluster.kubernetes import KubernetesApiError


def test_expired_token_is_explained_and_not_retried(engine, fake):
    # GIVEN an API server that no longer accepts the engine's token
    fake.token = "a-newer-token"
    # WHEN a workflow is submitted THEN the message names the server and where the token comes from
    with pytest.raises(KubernetesApiError) as raised:
        engine.submit(workflow_manifest())
    message = str(raised.value)
    assert raised.value.status == 401
    assert f"The Kubernetes API at {fake.url}" in message and "401 Unauthorized" in message
    assert "c.KubernetesEngine.token_file" in message
    assert TOKEN not in message
    # AND a request that cannot succeed was sent once
    assert len(fake.requests()) == 1


FORBIDDEN = {
    "submit": (lambda e, f: e.submit(workflow_manifest()), ("create", "workflows"), "the verbs create on workflows"),
    "status": (lambda e, f: e.status(), ("list", "workflows"), "the verbs list on workflows"),
    "stop": (lambda e, f: e.stop(_running(f)), ("patch", "workflows"), "the verbs get, patch on workflows"),
    "delete": (lambda e, f: e.delete("run-1"), ("delete", "workflows"), "the verbs delete on workflows"),
    "create-cron": (lambda e, f: e.create_cron(cron_manifest()), ("create", "cronworkflows"),
                    "the verbs create on cronworkflows"),
    "suspend-cron": (lambda e, f: e.suspend_cron("cron-1"), ("patch", "cronworkflows"),
                     "the verbs patch on cronworkflows"),
    "update-cron": (lambda e, f: e.update_cron(_existing_cron(f)), ("update", "cronworkflows"),
                    "the verbs get, update on cronworkflows"),
}


def _running(fake) -> str:
    """A workflow someone else created, already running: only the engine's patch is refused."""
    return fake.put_workflow(NAMESPACE, workflow_manifest(), phase="Running")["metadata"]["name"]


def _existing_cron(fake) -> dict:
    manifest = cron_manifest()
    fake.put_cron(NAMESPACE, manifest)
    return manifest


@pytest.mark.parametrize("call, denied, verbs", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_missing_rbac_names_the_verbs_to_grant(engine, fake, call, denied, verbs):
    # GIVEN a service account without one permission
    fake.forbid(*denied)
    # WHEN the engine needs it THEN the 403 says which verbs on which resource, in which namespace
    with pytest.raises(KubernetesApiError) as raised:
        call(engine, fake)
    message = str(raised.value)
    assert raised.value.status == 403
    assert "403 Forbidden" in message and f"{verbs} (apiGroup argoproj.io)" in message
    assert "namespace 'jupyter'" in message and "Role and RoleBinding" in message
    # AND the API server's own words are kept
    assert f'cannot {denied[0]} resource "{denied[1]}"' in message


def test_missing_rbac_on_secrets_says_so(engine, fake):
    # GIVEN a service account that may not create Secrets
    fake.forbid("create", "secrets")
    # WHEN a per-job Secret is stored THEN the error names the verbs on secrets
    with pytest.raises(EngineError, match="grant the Jupyter server.s service account `create`, `update`, `delete` on `secrets` in namespace jupyter"):
        engine.put_secret("job-secret-1", {"SLACK_TOKEN": "xoxb-secret"})


def test_missing_namespace_or_crds_is_explained(engine, fake):
    # GIVEN an API server where the listing's path does not exist (no CRDs installed)
    fake.fail(status=404, message="the server could not find the requested resource")
    # WHEN states are asked for THEN the error points at the namespace and Argo's CRDs
    with pytest.raises(KubernetesApiError, match=r"404 Not Found.*workflows.argoproj.io\) are installed"):
        engine.status()


CRD_REFUSALS = {
    "unknown-field": (["spec", "onExitt"], "exit-handler", 400, 'unknown field "spec.onExitt"'),
    "wrong-type": (["spec", "parallelism"], "two", 422, "spec.parallelism: Invalid value"),
}


@pytest.mark.parametrize("path, value, status, expected", CRD_REFUSALS.values(), ids=CRD_REFUSALS.keys())
def test_a_manifest_the_crd_refuses_is_explained(engine, fake, path, value, status, expected):
    # GIVEN a manifest the installed CRD refuses (a field an older Argo lacks, a typo, a wrong type)
    manifest = workflow_manifest()
    manifest[path[0]][path[1]] = value
    # WHEN it is submitted THEN the API server's reason reaches the user, once, and nothing was created
    with pytest.raises(KubernetesApiError) as e:
        engine.submit(manifest)
    assert e.value.status == status
    assert "does not match the workflows.argoproj.io CRD installed in the cluster" in str(e.value)
    assert expected in str(e.value)
    assert fake.workflows == {} and len(fake.requests()) == 1


def test_no_request_leaves_the_path_of_argos_crds(engine, fake):
    # GIVEN a full round of workflow and cron calls
    manifest, cron = workflow_manifest(), cron_manifest()
    engine.submit(manifest)
    engine.status()
    engine.stop(manifest["metadata"]["name"])
    engine.delete(manifest["metadata"]["name"])
    engine.create_cron(cron)
    engine.update_cron(cron)
    engine.suspend_cron(cron["metadata"]["name"])
    engine.delete_cron(cron["metadata"]["name"])
    # THEN every request addressed the namespace's workflows or cronworkflows of argoproj.io/v1alpha1
    assert {r.path.split("/")[6] for r in fake.requests()} == {"workflows", "cronworkflows"}
    assert all(r.path.startswith(CRDS + "/") for r in fake.requests())
