"""Every failure is an EngineError a JupyterLab user can act on; only transient ones are retried."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.prism import free_port
from support.k8s_helpers import CRDS, TOKEN, make_engine

from argo_scheduler.engines.base import EngineError, WorkflowNotFound
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


UNKNOWN = {
    "stop": (lambda e: e.stop("gone-1234"), "workflow"),
    "delete": (lambda e: e.delete("gone-1234"), "workflow"),
    "update-cron": (lambda e: e.update_cron(_cron_named("gone-1234")), "cron workflow"),
    "suspend-cron": (lambda e: e.suspend_cron("gone-1234"), "cron workflow"),
    "resume-cron": (lambda e: e.resume_cron("gone-1234"), "cron workflow"),
    "delete-cron": (lambda e: e.delete_cron("gone-1234"), "cron workflow"),
}


def _cron_named(name: str) -> dict:
    manifest = cron_manifest()
    manifest["metadata"]["name"] = name
    return manifest


@pytest.mark.parametrize("call, kind", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_name_is_workflow_not_found(engine, fake, call, kind):
    # GIVEN nothing of that name WHEN it is acted on
    with pytest.raises(WorkflowNotFound) as e:
        call(engine)
    # THEN the error names it and the namespace, and the caller can tell "already gone" apart
    assert f"The {kind} 'gone-1234' was not found in namespace 'jupyter'" in str(e.value)
    assert e.value.status == 404


def test_missing_namespace_or_crds_is_explained(engine, fake):
    # GIVEN an API server where the listing's path does not exist (no CRDs installed)
    fake.fail(status=404, message="the server could not find the requested resource")
    # WHEN states are asked for THEN the error points at the namespace and Argo's CRDs
    with pytest.raises(KubernetesApiError, match=r"404 Not Found.*workflows.argoproj.io\) are installed"):
        engine.status()


def test_name_taken_by_another_job_is_a_conflict(engine, fake):
    # GIVEN a workflow of the same name that belongs to another job
    manifest = workflow_manifest()
    other = workflow_manifest()
    other["metadata"]["name"] = manifest["metadata"]["name"]
    fake.put_workflow(NAMESPACE, other)
    # WHEN the job is submitted THEN it is refused as a conflict, and the other one is untouched
    with pytest.raises(KubernetesApiError, match="already exists in namespace 'jupyter' and is not this one") as e:
        engine.submit(manifest)
    assert e.value.status == 409
    stored = fake.workflows[(NAMESPACE, manifest["metadata"]["name"])]
    assert stored["metadata"]["labels"] == other["metadata"]["labels"]


def test_submit_retried_after_a_lost_answer_returns_the_first_attempts_workflow(engine, fake):
    # GIVEN an API server that creates the workflow but answers 503
    manifest = workflow_manifest()
    fake.fail(status=503, method="POST", after=True)
    # WHEN it is submitted THEN the retry met 409, found the same job's workflow, and returned it
    state = engine.submit(manifest)
    assert [(r.method, r.status) for r in fake.requests()] == [("POST", 503), ("POST", 409), ("GET", 200)]
    assert state.uid == fake.workflows[(NAMESPACE, manifest["metadata"]["name"])]["metadata"]["uid"]
    assert len(fake.workflows) == 1


def test_create_cron_retried_after_a_timeout_succeeds_once(fake, token_file):
    # GIVEN an API server that creates the CronWorkflow but answers after the engine gave up
    engine = make_engine(fake.url, token_file, request_timeout=0.5, retries=1)
    fake.fail(delay=30, method="POST", after=True)
    # WHEN it is created THEN it succeeds, with one CronWorkflow
    engine.create_cron(cron_manifest())
    assert len(fake.crons) == 1
    assert [(r.method, r.status) for r in fake.requests()][1:] == [("POST", 409), ("GET", 200)]


TRANSIENT = [429, 500, 502, 503, 504]


@pytest.mark.parametrize("status", TRANSIENT, ids=[f"{s}-then-ok" for s in TRANSIENT])
def test_transient_error_then_success(engine, fake, status):
    # GIVEN an API server that fails once with a transient error
    engine.submit(workflow_manifest())
    fake.fail(status=status, method="GET")
    # WHEN states are asked for THEN the retry answers them
    assert len(engine.status()) == 1
    assert [r.status for r in fake.requests("GET")] == [status, 200]


def test_persistent_server_error_gives_up_after_the_retries(engine, fake):
    # GIVEN an API server that keeps failing with 503
    fake.fail(status=503, times=10, message="etcdserver: request timed out")
    # WHEN a workflow is submitted THEN after 1 + retries attempts the error says so
    with pytest.raises(KubernetesApiError, match=r"failed to create workflow .*503.*3 attempt\(s\).*Try again later") as e:
        engine.submit(workflow_manifest())
    assert "etcdserver: request timed out" in str(e.value)
    assert len(fake.requests("POST")) == 3


def test_conflict_on_update_that_persists_is_explained(engine, fake):
    # GIVEN a CronWorkflow whose every replacement meets a newer version
    manifest = cron_manifest()
    engine.create_cron(manifest)
    fake.fail(status=409, method="PUT", times=10, message="the object has been modified")
    # WHEN it is updated THEN after 1 + retries rounds the error says someone else changed it
    with pytest.raises(KubernetesApiError, match="was changed by someone else while trying to update it; try again"):
        engine.update_cron(manifest)
    assert len(fake.requests("PUT")) == 3


def test_timeout_is_retried_then_explained(fake, token_file):
    # GIVEN an API server that takes longer than the engine waits, twice
    engine = make_engine(fake.url, token_file, request_timeout=0.3, retries=1)
    fake.fail(delay=30, times=2)
    # WHEN states are asked for THEN both attempts time out and the error says what to raise
    with pytest.raises(EngineError, match=r"did not answer within 0.3 s \(2 attempt\(s\)\).*c.KubernetesEngine.request_timeout"):
        engine.status()
    assert len(fake.requests()) == 2


def test_timeout_then_success(fake, token_file):
    # GIVEN an API server slow once
    engine = make_engine(fake.url, token_file, request_timeout=0.3, retries=1)
    fake.fail(delay=30)
    # WHEN states are asked for THEN the second attempt answers
    assert engine.status() == {}
    assert len(fake.requests()) == 2


def test_dropped_connection_is_retried(engine, fake):
    # GIVEN an API server that drops the connection once without answering
    fake.fail(close=True, method="POST")
    # WHEN a workflow is submitted THEN the retry creates it
    state = engine.submit(workflow_manifest())
    assert [r.status for r in fake.requests("POST")] == [None, 201]
    assert (NAMESPACE, state.name) in fake.workflows


def test_unreachable_api_server(token_file):
    # GIVEN nothing listening at the configured address
    port = free_port()
    engine = make_engine(f"http://127.0.0.1:{port}", token_file, retries=1)
    # WHEN a workflow is submitted THEN the error says the API server is unreachable and what to check
    with pytest.raises(EngineError) as e:
        engine.submit(workflow_manifest())
    message = str(e.value)
    assert f"The Kubernetes API at http://127.0.0.1:{port} is unreachable" in message
    assert "Connection refused" in message and "(2 attempt(s))" in message
    assert "c.KubernetesEngine.host" in message


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


def _wrong_namespace() -> dict:
    manifest = workflow_manifest()
    manifest["metadata"]["namespace"] = "someone-else"
    return manifest


def _path_in_name() -> dict:
    manifest = workflow_manifest()
    manifest["metadata"]["name"] = "../../cronworkflows/x"
    return manifest


REFUSED = {
    "cron-manifest-to-submit": (lambda e: e.submit(cron_manifest()), "expected a Workflow manifest, got 'CronWorkflow'"),
    "workflow-manifest-to-create-cron": (
        lambda e: e.create_cron(workflow_manifest()), "expected a CronWorkflow manifest, got 'Workflow'"),
    "rendered-for-another-namespace": (
        lambda e: e.submit(_wrong_namespace()),
        "rendered for namespace 'someone-else' but the Kubernetes engine works in 'jupyter': "
        "set c.KubernetesEngine.namespace"),
    "name-that-is-a-path": (lambda e: e.submit(_path_in_name()), "is not a valid Kubernetes name"),
    "stop-of-a-path": (lambda e: e.stop("x/../../y"), "is not a valid Kubernetes name"),
    "suspend-of-a-path": (lambda e: e.suspend_cron("x/../y"), "is not a valid Kubernetes name"),
    "bad-namespace": (lambda e: setattr(e, "namespace", "Jupyter Jobs") or e.status(), "is not a valid Kubernetes namespace"),
}


@pytest.mark.parametrize("call, expected", REFUSED.values(), ids=REFUSED.keys())
def test_refused_before_any_request(engine, fake, call, expected):
    # GIVEN a call the engine cannot make correctly WHEN made THEN it is refused with the reason
    with pytest.raises(EngineError) as e:
        call(engine)
    assert expected in str(e.value)
    # AND the API server saw nothing
    assert fake.requests() == []


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
