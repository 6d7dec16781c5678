"""Every failure is an EngineError a JupyterLab user can act on; only transient ones are retried."""

from __future__ import annotations

import pytest
from support.argo_helpers import TOKEN, make_engine
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.prism import free_port

from argo_scheduler.engines.cluster.argo import ArgoServerError
from argo_scheduler.engines.base import EngineError, WorkflowNotFound

CLIENT_ERRORS = {
    "401-expired-token": (
        401,
        dict(),
        ["401 Unauthorized", "c.ArgoEngine.token / c.ArgoEngine.token_file"],
    ),
    "403-rbac": (
        403,
        dict(message='workflows.argoproj.io is forbidden: User "system:serviceaccount:jupyter:default" cannot create'),
        ["403 Forbidden", "needs the verbs create on workflows", "namespace 'jupyter'", "cannot create"],
    ),
    "404-wrong-namespace-or-path": (
        404,
        dict(message="namespaces not found"),
        ["404 Not Found", "c.ArgoEngine.host", "base path", "c.ArgoEngine.namespace"],
    ),
    "400-rejected": (
        400,
        dict(message="spec.templates[0].name is required"),
        ["refused to create workflow", "400", "spec.templates[0].name is required"],
    ),
}


@pytest.mark.parametrize("status, fault, expected", CLIENT_ERRORS.values(), ids=CLIENT_ERRORS.keys())
def test_client_errors_are_explained_and_not_retried(engine, fake, status, fault, expected):
    # GIVEN an Argo Server that refuses the request
    if status == 401:
        fake.token = "a-newer-token"  # the engine's token has expired
    else:
        fake.fail(status=status, **fault)
    # WHEN a workflow is submitted
    with pytest.raises(ArgoServerError) as raised:
        engine.submit(workflow_manifest())
    # THEN the message names the server, what went wrong and what to change
    message = str(raised.value)
    assert raised.value.status == status
    assert engine.host in message
    for text in expected:
        assert text in message
    assert TOKEN not in message
    # AND a request that cannot succeed was sent once
    assert len(fake.requests()) == 1


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


def test_name_taken_by_another_job_is_a_conflict(engine, fake):
    # GIVEN a workflow of the same name that belongs to another job
    manifest = workflow_manifest()
    other = workflow_manifest()
    other["metadata"]["name"] = manifest["metadata"]["name"]
    fake.put_workflow(NAMESPACE, other)
    # WHEN the job is submitted THEN it is refused as a conflict, and the other one is untouched
    with pytest.raises(ArgoServerError, match="already exists in namespace 'jupyter' and is not this one") as e:
        engine.submit(manifest)
    assert e.value.status == 409
    stored = fake.workflows[(NAMESPACE, manifest["metadata"]["name"])]
    assert stored["metadata"]["labels"] == other["metadata"]["labels"]


TRANSIENT = [429, 500, 502, 503, 504]


@pytest.mark.parametrize("status", TRANSIENT, ids=[f"{s}-then-ok" for s in TRANSIENT])
def test_transient_error_then_success(engine, fake, status):
    # GIVEN a server that fails once with a transient error
    engine.submit(workflow_manifest())
    fake.fail(status=status, method="GET")
    # WHEN states are asked for THEN the retry answers them
    assert len(engine.status()) == 1
    assert [r.status for r in fake.requests("GET")] == [status, 200]


def test_persistent_server_error_gives_up_after_the_retries(engine, fake):
    # GIVEN a server that keeps failing with 503
    fake.fail(status=503, times=10, message="etcdserver: request timed out")
    # WHEN a workflow is submitted THEN after 1 + retries attempts the error says so
    with pytest.raises(ArgoServerError, match=r"failed to create workflow .*503.*3 attempt\(s\).*Try again later") as e:
        engine.submit(workflow_manifest())
    assert "etcdserver: request timed out" in str(e.value)
    assert len(fake.requests("POST")) == 3


def test_timeout_is_retried_then_explained(direct_fake):
    # GIVEN a server that takes longer than the engine waits, twice
    engine = make_engine(direct_fake.url, request_timeout=0.3, retries=1)
    direct_fake.fail(delay=30, times=2)
    # WHEN states are asked for THEN both attempts time out and the error says what to raise
    expected = r"did not answer within 0.3 s \(2 attempt\(s\)\).*c.ArgoEngine.request_timeout"
    with pytest.raises(EngineError, match=expected):
        engine.status()
    assert len(direct_fake.requests()) == 2


def test_timeout_then_success(direct_fake):
    # GIVEN a server slow once
    engine = make_engine(direct_fake.url, request_timeout=0.3, retries=1)
    direct_fake.fail(delay=30)
    # WHEN states are asked for THEN the second attempt answers
    assert engine.status() == {}
    assert len(direct_fake.requests()) == 2


def test_dropped_connection_is_retried(direct_fake, direct_engine):
    # GIVEN a server that drops the connection once without answering
    direct_fake.fail(close=True, method="POST")
    # WHEN a workflow is submitted THEN the retry creates it
    state = direct_engine.submit(workflow_manifest())
    assert [r.status for r in direct_fake.requests("POST")] == [None, 200]
    assert (NAMESPACE, state.name) in direct_fake.workflows


def test_unreachable_server(tmp_path):
    # GIVEN nothing listening at the configured address
    port = free_port()
    engine = make_engine(f"http://127.0.0.1:{port}/argo/", retries=1)
    # WHEN a workflow is submitted THEN the error says the server is unreachable and what to check
    with pytest.raises(EngineError) as e:
        engine.submit(workflow_manifest())
    message = str(e.value)
    assert f"The Argo Server at http://127.0.0.1:{port}/argo/ is unreachable" in message
    assert "Connection refused" in message
    assert "c.ArgoEngine.host" in message


def test_wrong_base_path_is_explained(direct_fake):
    # GIVEN a host without the base path Argo is served under
    engine = make_engine(direct_fake.url.replace("/argo/", "/"))
    # WHEN states are asked for THEN the 404 points at the base path
    with pytest.raises(ArgoServerError, match=r"404 Not Found.*including its base path"):
        engine.status()
