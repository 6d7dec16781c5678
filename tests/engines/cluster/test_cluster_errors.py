"""Both cluster engines: every failure is an EngineError a JupyterLab user can act on; only transient ones are retried,
and a create retried after its answer was lost does not fail on its own success."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.prism import free_port

from argo_scheduler.engines.base import EngineError, WorkflowNotFound


def _cron_named(name: str) -> dict:
    manifest = cron_manifest()
    manifest["metadata"]["name"] = name
    return manifest


UNKNOWN = {
    "stop": (lambda e: e.stop("gone-1234"), "workflow"),
    "delete": (lambda e: e.delete("gone-1234"), "workflow"),
    "update-cron": (lambda e: e.update_cron(_cron_named("gone-1234")), "cron workflow"),
    "suspend-cron": (lambda e: e.suspend_cron("gone-1234"), "cron workflow"),
    "resume-cron": (lambda e: e.resume_cron("gone-1234"), "cron workflow"),
    "delete-cron": (lambda e: e.delete_cron("gone-1234"), "cron workflow"),
}


@pytest.mark.parametrize("call, kind", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_name_is_workflow_not_found(cluster, call, kind):
    # GIVEN nothing of that name WHEN it is acted on
    with pytest.raises(WorkflowNotFound) as e:
        call(cluster.engine)
    # THEN the error names it and the namespace, and the caller can tell "already gone" apart
    assert f"The {kind} 'gone-1234' was not found in namespace 'jupyter'" in str(e.value)
    assert e.value.status == 404


def test_name_taken_by_another_job_is_a_conflict(cluster):
    # GIVEN a workflow of the same name that belongs to another job
    manifest = workflow_manifest()
    other = workflow_manifest()
    other["metadata"]["name"] = manifest["metadata"]["name"]
    cluster.fake.put_workflow(NAMESPACE, other)
    # WHEN the job is submitted THEN it is refused as a conflict, and the other one is untouched
    with pytest.raises(cluster.error, match="already exists in namespace 'jupyter' and is not this one") as e:
        cluster.engine.submit(manifest)
    assert e.value.status == 409
    stored = cluster.fake.workflows[(NAMESPACE, manifest["metadata"]["name"])]
    assert stored["metadata"]["labels"] == other["metadata"]["labels"]


def test_existing_workflow_of_another_job_is_not_taken_for_ours(cluster):
    # GIVEN a lost answer, and meanwhile the name taken by another job's workflow
    manifest = workflow_manifest()
    impostor = workflow_manifest()
    impostor["metadata"]["name"] = manifest["metadata"]["name"]
    cluster.fake.put_workflow(NAMESPACE, impostor)
    cluster.fake.fail(status=503, method="POST")
    # WHEN it is submitted THEN the conflict is reported, not success
    with pytest.raises(EngineError, match="is not this one"):
        cluster.engine.submit(manifest)


LOST = {
    "submit-503": (lambda e: e.submit(workflow_manifest()), 503, "workflows"),
    "create-cron-502": (lambda e: e.create_cron(cron_manifest()), 502, "crons"),
}


@pytest.mark.parametrize("call, status, table", LOST.values(), ids=LOST.keys())
def test_create_retried_after_a_lost_answer_returns_the_first_attempts_object(cluster, call, status, table):
    # GIVEN an API that creates the object but answers with a server error
    cluster.fake.fail(status=status, method="POST", after=True)
    # WHEN it is created THEN the retry met 409, found the same job's object, and took it: one object
    call(cluster.engine)
    assert [(r.method, r.status) for r in cluster.fake.requests()] == [("POST", status), ("POST", 409), ("GET", 200)]
    assert len(getattr(cluster.fake, table)) == 1


def test_submit_retried_after_a_lost_answer_reports_the_stored_workflow(cluster):
    # GIVEN an API that creates the workflow but answers 503
    manifest = workflow_manifest()
    cluster.fake.fail(status=503, method="POST", after=True)
    # WHEN it is submitted THEN the state is the one of the workflow the first attempt created
    state = cluster.engine.submit(manifest)
    assert state.uid == cluster.fake.workflows[(NAMESPACE, manifest["metadata"]["name"])]["metadata"]["uid"]


TIMED_OUT = {
    "submit": (lambda e: e.submit(workflow_manifest()), "workflows"),
    "create-cron": (lambda e: e.create_cron(cron_manifest()), "crons"),
}


@pytest.mark.parametrize("call, table", TIMED_OUT.values(), ids=TIMED_OUT.keys())
def test_create_retried_after_a_timeout_succeeds_once(cluster, call, table):
    # GIVEN an API that creates the object but answers after the engine gave up
    engine = cluster.direct_engine(request_timeout=0.5, retries=1)
    cluster.direct_fake.fail(delay=30, method="POST", after=True)
    # WHEN it is created THEN it succeeds, with one object
    call(engine)
    assert len(getattr(cluster.direct_fake, table)) == 1
    assert [(r.method, r.status) for r in cluster.direct_fake.requests()][1:] == [("POST", 409), ("GET", 200)]


TRANSIENT = [429, 500, 502, 503, 504]


@pytest.mark.parametrize("status", TRANSIENT, ids=[f"{s}-then-ok" for s in TRANSIENT])
def test_transient_error_then_success(cluster, status):
    # GIVEN an API that fails once with a transient error
    cluster.engine.submit(workflow_manifest())
    cluster.fake.fail(status=status, method="GET")
    # WHEN states are asked for THEN the retry answers them
    assert len(cluster.engine.status()) == 1
    assert [r.status for r in cluster.fake.requests("GET")] == [status, 200]


def test_persistent_server_error_gives_up_after_the_retries(cluster):
    # GIVEN an API that keeps failing with 503
    cluster.fake.fail(status=503, times=10, message="etcdserver: request timed out")
    # WHEN a workflow is submitted THEN after 1 + retries attempts the error says so
    with pytest.raises(cluster.error, match=r"failed to create workflow .*503.*3 attempt\(s\).*Try again later") as e:
        cluster.engine.submit(workflow_manifest())
    assert "etcdserver: request timed out" in str(e.value)
    assert len(cluster.fake.requests("POST")) == 3


def test_conflict_on_update_that_persists_is_explained(cluster):
    # GIVEN a CronWorkflow whose every replacement meets a newer version
    manifest = cron_manifest()
    cluster.engine.create_cron(manifest)
    cluster.fake.fail(status=409, method="PUT", times=10, message="the object has been modified")
    # WHEN it is updated THEN after 1 + retries rounds the error says someone else changed it
    with pytest.raises(cluster.error, match="was changed by someone else while trying to update it; try again"):
        cluster.engine.update_cron(manifest)
    assert len(cluster.fake.requests("PUT")) == 3


# As kube-apiserver words a webhook's denial; Argo Server passes it on, the Kubernetes API sends it itself.
DENIAL = 'admission webhook "policy.example.com" denied the request: workflows must set a deadline'


@pytest.mark.parametrize("status", [400, 500], ids=["400", "500"])
def test_an_admission_webhooks_denial_is_its_own_words_and_not_retried(cluster, status):
    # GIVEN an API whose admission webhook denies the workflow, with a status that may even look transient
    cluster.fake.fail(status=status, method="POST", message=DENIAL, times=5)
    # WHEN it is submitted THEN the webhook's words are the message, sent once
    with pytest.raises(cluster.error) as e:
        cluster.engine.submit(workflow_manifest())
    assert str(e.value).startswith("The cluster refused to create workflow ")
    assert str(e.value).endswith(f": {DENIAL}")
    assert len(cluster.fake.requests("POST")) == 1


def test_timeout_is_retried_then_explained(cluster):
    # GIVEN an API that takes longer than the engine waits, twice
    engine = cluster.direct_engine(request_timeout=0.3, retries=1)
    cluster.direct_fake.fail(delay=30, times=2)
    # WHEN states are asked for THEN both attempts time out and the error says what to raise
    expected = rf"did not answer within 0.3 s \(2 attempt\(s\)\).*{cluster.settings}.request_timeout"
    with pytest.raises(EngineError, match=expected):
        engine.status()
    assert len(cluster.direct_fake.requests()) == 2


def test_timeout_then_success(cluster):
    # GIVEN an API slow once
    engine = cluster.direct_engine(request_timeout=0.3, retries=1)
    cluster.direct_fake.fail(delay=30)
    # WHEN states are asked for THEN the second attempt answers
    assert engine.status() == {}
    assert len(cluster.direct_fake.requests()) == 2


def test_dropped_connection_is_retried(cluster):
    # GIVEN an API that drops the connection once without answering
    engine = cluster.direct_engine()
    cluster.direct_fake.fail(close=True, method="POST")
    # WHEN a workflow is submitted THEN the retry creates it
    state = engine.submit(workflow_manifest())
    assert [r.status for r in cluster.direct_fake.requests("POST")] == [None, cluster.created]
    assert (NAMESPACE, state.name) in cluster.direct_fake.workflows


def test_unreachable_server(cluster):
    # GIVEN nothing listening at the configured address
    port = free_port()
    engine = cluster.direct_engine(host=cluster.url_at(port), retries=1)
    # WHEN a workflow is submitted THEN the error says the server is unreachable and what to check
    with pytest.raises(EngineError) as e:
        engine.submit(workflow_manifest())
    message = str(e.value)
    assert f"{cluster.server} at {cluster.url_at(port)} is unreachable" in message
    assert "Connection refused" in message and "(2 attempt(s))" in message
    assert f"{cluster.settings}.host" in message
