"""Both cluster engines' calls against their fakes: the Argo Server's behind Prism (Argo's swagger), the Kubernetes
API's validating against Argo's CRDs; what each test sends is checked against that contract, and what it stores."""

from __future__ import annotations

import copy

import pytest
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest

from argo_scheduler.engines.base import PENDING, WorkflowNotFound
from argo_scheduler.labels import JOB_ID_LABEL

# Written by Argo's cron controller to notice schedule changes.
LAST_USED_SCHEDULE = "cronworkflows.argoproj.io/last-used-schedule"
TIMEOUTS_AND_RETRIES = {"timeout_seconds": "3600", "retries": "2", "retry_backoff_seconds": "30",
                        "cell_timeout_seconds": "600"}


@pytest.mark.parametrize("settings", [{}, TIMEOUTS_AND_RETRIES], ids=["plain", "timeouts-retries"])
def test_submit_sends_the_builders_manifest_unchanged(cluster, settings):
    # GIVEN a workflow rendered by the real builder
    manifest = workflow_manifest(runtime_environment_parameters=settings)
    # WHEN it is submitted
    state = cluster.engine.submit(manifest)
    # THEN the API received exactly that manifest, in the create request it defines, with the token
    [create] = cluster.fake.requests("POST", cluster.workflows)
    assert create.body == cluster.body(manifest)
    assert create.query == cluster.write_query
    assert create.authorization == f"Bearer {cluster.token}"
    # AND the engine reports the created workflow, which the controller has not seen yet
    name = manifest["metadata"]["name"]
    assert (state.name, state.phase) == (name, PENDING)
    assert state.uid == cluster.fake.workflows[(NAMESPACE, name)]["metadata"]["uid"]
    assert state.labels[JOB_ID_LABEL] == manifest["metadata"]["labels"][JOB_ID_LABEL]


def test_submit_of_a_manifest_without_namespace_is_addressed_and_labelled(cluster):
    # GIVEN a manifest with no namespace and no managed-by label
    manifest = workflow_manifest()
    del manifest["metadata"]["namespace"]
    del manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    # WHEN submitted THEN it lands in the engine's namespace with the label status() lists by
    state = cluster.engine.submit(manifest)
    stored = cluster.fake.workflows[(NAMESPACE, state.name)]
    assert stored["metadata"]["namespace"] == NAMESPACE
    assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "argo-scheduler"
    # AND the caller's manifest is untouched
    assert "namespace" not in manifest["metadata"]


def test_delete_removes_the_workflow(cluster):
    # GIVEN a submitted workflow
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    cluster.engine.submit(manifest)
    # WHEN it is deleted THEN the API no longer has it, deleted by one request
    cluster.engine.delete(name)
    assert (NAMESPACE, name) not in cluster.fake.workflows
    assert [r.method for r in cluster.fake.requests(path=f"{cluster.workflows}/{name}")] == ["DELETE"]
    # AND deleting it again says it is not there
    with pytest.raises(WorkflowNotFound, match="not found"):
        cluster.engine.delete(name)


def test_cron_lifecycle(cluster):
    # GIVEN a job definition's CronWorkflow rendered by the real builder
    engine, fake = cluster.engine, cluster.fake
    manifest = cron_manifest()
    name = manifest["metadata"]["name"]
    # WHEN it is created THEN the API received exactly that manifest
    engine.create_cron(manifest)
    [create] = fake.requests("POST", cluster.crons)
    assert create.body == cluster.body(manifest) and create.query == cluster.write_query
    # WHEN it is suspended and resumed THEN spec.suspend says so
    engine.suspend_cron(name)
    assert fake.crons[(NAMESPACE, name)]["spec"]["suspend"] is True
    engine.resume_cron(name)
    assert fake.crons[(NAMESPACE, name)]["spec"]["suspend"] is False
    # WHEN it is deleted THEN it is gone
    engine.delete_cron(name)
    assert (NAMESPACE, name) not in fake.crons


@pytest.mark.parametrize("active", [True, False], ids=["active", "paused"])
def test_update_cron_replaces_the_spec_in_place(cluster, active):
    # GIVEN a CronWorkflow that has already run (its status and the controller's annotation record it),
    # and that was suspended by hand meanwhile
    engine, fake = cluster.engine, cluster.fake
    definition_id = "5d2f0c1e-3b4a-4c5d-8e9f-0a1b2c3d4e5f"
    engine.create_cron(cron_manifest(definition_id))
    name = cron_manifest(definition_id)["metadata"]["name"]
    fake.set_cron_status(NAMESPACE, name, lastScheduledTime="2026-01-05T05:00:00Z", active=[])
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
    # AND the replacement carried the resourceVersion it had just read
    [put] = [r for r in fake.requests("PUT") if r.path == f"{cluster.crons}/{name}"]
    assert cluster.sent(put)["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert put.query == cluster.write_query
