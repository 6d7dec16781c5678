"""Every KubernetesEngine call against the fake API server, which validates objects against Argo's CRDs.

A create, replace or patch the CRDs' openAPIV3Schema refuses fails the call
(the fake answers 422 or 400 as the API server does), so each test that
succeeds here is also a check of what the engine sends.
"""

from __future__ import annotations

import copy

import pytest
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.k8s_helpers import CRDS, TOKEN

from argo_scheduler.engines.base import PENDING, WorkflowNotFound
from argo_scheduler.workflow import JOB_ID_LABEL

MANAGED = "app.kubernetes.io/managed-by=argo-scheduler"
# Written by Argo's cron controller to notice schedule changes.
LAST_USED_SCHEDULE = "cronworkflows.argoproj.io/last-used-schedule"


def test_submit_creates_the_builders_manifest_unchanged(engine, fake):
    # GIVEN a workflow rendered by the real builder
    manifest = workflow_manifest()
    # WHEN it is submitted
    state = engine.submit(manifest)
    # THEN the API server received exactly that object, asked to refuse unknown fields, with the token
    [create] = fake.requests("POST", f"{CRDS}/workflows")
    assert create.body == manifest
    assert create.query == {"fieldValidation": "Strict"}
    assert create.authorization == f"Bearer {TOKEN}"
    # AND the engine reports the created workflow, which the controller has not seen yet
    name = manifest["metadata"]["name"]
    assert (state.name, state.phase) == (name, PENDING)
    assert state.uid == fake.workflows[(NAMESPACE, name)]["metadata"]["uid"]
    assert state.labels[JOB_ID_LABEL] == manifest["metadata"]["labels"][JOB_ID_LABEL]


def test_submit_of_a_manifest_without_namespace_is_addressed_and_labelled(engine, fake):
    # GIVEN a manifest with no namespace and no managed-by label
    manifest = workflow_manifest()
    del manifest["metadata"]["namespace"]
    del manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    # WHEN submitted THEN it lands in the engine's namespace with the label status() lists by
    state = engine.submit(manifest)
    stored = fake.workflows[(NAMESPACE, state.name)]
    assert stored["metadata"]["namespace"] == NAMESPACE
    assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "argo-scheduler"
    # AND the caller's manifest is untouched
    assert "namespace" not in manifest["metadata"]


def test_status_lists_once_with_the_selector(engine, fake):
    # GIVEN four submitted workflows, one finished by the controller
    first, second, *others = [workflow_manifest() for _ in range(4)]
    for manifest in (first, second, *others):
        engine.submit(manifest)
    fake.set_status(NAMESPACE, second["metadata"]["name"], phase="Succeeded",
                    startedAt="2026-01-01T00:00:00Z", finishedAt="2026-01-01T00:01:30Z")
    # WHEN their states are asked for (more than GET_BY_NAME_MAX names)
    states = engine.status(names=[m["metadata"]["name"] for m in (first, second, *others)])
    # THEN one list call answered for all, restricted to argo-scheduler's workflows
    [listing] = fake.requests("GET", f"{CRDS}/workflows")
    assert listing.query == {"labelSelector": MANAGED, "limit": "500"}
    assert states[first["metadata"]["name"]].phase == PENDING
    done = states[second["metadata"]["name"]]
    assert (done.phase, done.done, done.started_at, done.finished_at) == ("Succeeded", True, 1767225600000, 1767225690000)


def test_stop_patches_shutdown_as_argo_stop_does(engine, fake):
    # GIVEN a running workflow
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    engine.submit(manifest)
    fake.set_status(NAMESPACE, name, phase="Running")
    version = fake.workflows[(NAMESPACE, name)]["metadata"]["resourceVersion"]
    # WHEN it is stopped
    engine.stop(name)
    # THEN spec.shutdown is Stop (the controller then runs the exit handler), by a merge patch of
    # the version just read; nothing else of the workflow changed
    [patch] = fake.requests("PATCH", f"{CRDS}/workflows/{name}")
    assert patch.content_type == "application/merge-patch+json"
    assert patch.body == {"metadata": {"resourceVersion": version}, "spec": {"shutdown": "Stop"}}
    stored = fake.workflows[(NAMESPACE, name)]
    assert stored["spec"] == {**manifest["spec"], "shutdown": "Stop"}


@pytest.mark.parametrize("phase", ["Succeeded", "Failed", "Error"], ids=str.lower)
def test_stop_of_a_finished_workflow_is_a_no_op(engine, fake, phase):
    # GIVEN a workflow that is over
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    engine.submit(manifest)
    fake.set_status(NAMESPACE, name, phase=phase)
    # WHEN it is stopped THEN it is read and left alone
    engine.stop(name)
    assert [r.method for r in fake.requests(path=f"/workflows/{name}")] == ["GET"]
    assert "shutdown" not in fake.workflows[(NAMESPACE, name)]["spec"]


def test_stop_that_meets_the_run_finishing_looks_again(engine, fake):
    # GIVEN a running workflow that the controller finishes between the engine's read and its patch
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    engine.submit(manifest)
    fake.set_status(NAMESPACE, name, phase="Running")
    original = fake.handle

    def finish_before_patching(request):
        if request.method == "PATCH":
            fake.set_status(NAMESPACE, name, phase="Succeeded")
        return original(request)

    fake.handle = finish_before_patching
    # WHEN it is stopped THEN the stale patch is refused (409), the engine reads again and stops there
    try:
        engine.stop(name)
    finally:
        del fake.handle
    assert [(r.method, r.status) for r in fake.requests(path=f"/workflows/{name}")] == [
        ("GET", 200), ("PATCH", 409), ("GET", 200)]
    assert "shutdown" not in fake.workflows[(NAMESPACE, name)]["spec"]


def test_delete_removes_the_workflow(engine, fake):
    # GIVEN a submitted workflow
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    engine.submit(manifest)
    # WHEN it is deleted THEN the API server no longer has it
    engine.delete(name)
    assert (NAMESPACE, name) not in fake.workflows
    assert [r.method for r in fake.requests(path=f"/workflows/{name}")] == ["DELETE"]
    # AND deleting it again says it is not there
    with pytest.raises(WorkflowNotFound, match="not found"):
        engine.delete(name)


def test_cron_lifecycle(engine, fake):
    # GIVEN a job definition's CronWorkflow rendered by the real builder
    manifest = cron_manifest()
    name = manifest["metadata"]["name"]
    # WHEN it is created THEN the API server received exactly that object
    engine.create_cron(manifest)
    [create] = fake.requests("POST", f"{CRDS}/cronworkflows")
    assert create.body == manifest and create.query == {"fieldValidation": "Strict"}
    # WHEN it is suspended and resumed THEN spec.suspend is merge-patched, nothing else
    engine.suspend_cron(name)
    assert fake.crons[(NAMESPACE, name)]["spec"]["suspend"] is True
    engine.resume_cron(name)
    assert fake.crons[(NAMESPACE, name)]["spec"]["suspend"] is False
    patches = fake.requests("PATCH", f"{CRDS}/cronworkflows/{name}")
    assert [p.body for p in patches] == [{"spec": {"suspend": True}}, {"spec": {"suspend": False}}]
    assert {p.content_type for p in patches} == {"application/merge-patch+json"}
    # WHEN it is deleted THEN it is gone
    engine.delete_cron(name)
    assert (NAMESPACE, name) not in fake.crons


@pytest.mark.parametrize("active", [True, False], ids=["active", "paused"])
def test_update_cron_replaces_the_spec_in_place(engine, fake, active):
    # GIVEN a CronWorkflow that has already run (its status and the controller's annotation record it),
    # and that was suspended by hand meanwhile
    definition_id = "5d2f0c1e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
    engine.create_cron(cron_manifest(definition_id))
    name = cron_manifest(definition_id)["metadata"]["name"]
    fake.set_cron_status(NAMESPACE, name, lastScheduledTime="2026-01-05T05:00:00Z")
    fake.crons[(NAMESPACE, name)]["metadata"]["annotations"][LAST_USED_SCHEDULE] = "CRON_TZ=Europe/Paris 0 6 * * 1-5"
    engine.suspend_cron(name)
    before = copy.deepcopy(fake.crons[(NAMESPACE, name)])
    # WHEN the definition is rescheduled
    updated = cron_manifest(definition_id, schedule="30 7 * * *", active=active)
    engine.update_cron(updated)
    # THEN the same object (same uid) has the new spec, paused exactly as the manifest says
    after = fake.crons[(NAMESPACE, name)]
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["spec"] == updated["spec"]
    assert bool(after["spec"].get("suspend")) is (not active)
    # AND it kept its status and the controller's annotation, next to ours
    assert after["status"]["lastScheduledTime"] == "2026-01-05T05:00:00Z"
    assert after["metadata"]["annotations"][LAST_USED_SCHEDULE] == "CRON_TZ=Europe/Paris 0 6 * * 1-5"
    assert after["metadata"]["annotations"]["argo-scheduler/notebook"] == "report.ipynb"
    # AND the replacement carried the resourceVersion it had just read, strictly validated
    [put] = fake.requests("PUT", f"{CRDS}/cronworkflows/{name}")
    assert put.body["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert put.query == {"fieldValidation": "Strict"}


def test_update_cron_retries_when_the_controller_wrote_in_between(engine, fake):
    # GIVEN a CronWorkflow the cron controller writes right after each of the engine's reads, twice
    definition_id = "6e3a1d2f-4c5b-4d6e-9f0a-1b2c3d4e5f60"
    name = cron_manifest(definition_id)["metadata"]["name"]
    engine.create_cron(cron_manifest(definition_id))
    original = fake.handle
    writes = iter(range(2))

    def read_then_touch(request):
        answer = original(request)
        if request.method == "GET" and next(writes, None) is not None:
            fake.touch_cron(NAMESPACE, name)
        return answer

    fake.handle = read_then_touch
    try:
        # WHEN it is updated THEN each stale PUT meets 409, is read again, and the third goes through
        engine.update_cron(cron_manifest(definition_id, schedule="0 1 * * *"))
    finally:
        del fake.handle
    assert fake.crons[(NAMESPACE, name)]["spec"]["schedules"] == ["0 1 * * *"]
    assert [(r.method, r.status) for r in fake.requests(path=f"/cronworkflows/{name}")] == [
        ("GET", 200), ("PUT", 409), ("GET", 200), ("PUT", 409), ("GET", 200), ("PUT", 200)]


def test_secrets_go_through_the_same_api(engine, fake):
    # WHEN a per-job Secret is put, replaced and deleted through the engine
    engine.put_secret("job-secret-1", {"SLACK_TOKEN": "xoxb-1"})
    engine.put_secret("job-secret-1", {"SLACK_TOKEN": "xoxb-2"})
    # THEN it holds the last value, in the engine's namespace, sent with the engine's token
    assert fake.secret_values(NAMESPACE, "job-secret-1") == {"SLACK_TOKEN": "xoxb-2"}
    assert {r.authorization for r in fake.requests(path="/secrets")} == {f"Bearer {TOKEN}"}
    engine.delete_secret("job-secret-1")
    assert fake.secrets == {}
    # AND deleting it again is not an error
    engine.delete_secret("job-secret-1")
