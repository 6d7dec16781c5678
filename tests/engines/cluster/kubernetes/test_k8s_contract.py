"""KubernetesEngine's own calls against the fake API server, which validates objects against Argo's CRDs (the calls
both cluster engines make: ../test_cluster_contract.py).

A create, replace or patch the CRDs' openAPIV3Schema refuses fails the call
(the fake answers 422 or 400 as the API server does), so each test that
succeeds here is also a check of what the engine sends.
"""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.k8s_helpers import CRDS, TOKEN

from argo_scheduler.engines.base import PENDING

MANAGED = "app.kubernetes.io/managed-by=argo-scheduler"


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


def test_suspend_and_resume_merge_patch_spec_suspend_alone(engine, fake):
    # GIVEN a CronWorkflow
    manifest = cron_manifest()
    name = manifest["metadata"]["name"]
    engine.create_cron(manifest)
    # WHEN it is suspended and resumed THEN spec.suspend is merge-patched, nothing else
    engine.suspend_cron(name)
    engine.resume_cron(name)
    patches = fake.requests("PATCH", f"{CRDS}/cronworkflows/{name}")
    assert [p.body for p in patches] == [{"spec": {"suspend": True}}, {"spec": {"suspend": False}}]
    assert {p.content_type for p in patches} == {"application/merge-patch+json"}


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
