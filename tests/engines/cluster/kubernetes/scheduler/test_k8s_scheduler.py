"""ArgoScheduler with c.ArgoScheduler.engine = "kubernetes": the whole lifecycle against the fake API server.

The test plays Argo's workflow controller (it writes the workflows' status);
every object the scheduler has created or changed was validated against
Argo's CRDs on the way in.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.manifests import NAMESPACE
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJobFromDefinition, ListJobsQuery, UpdateJobDefinition
from jupyter_scheduler.orm import JobDefinition
from support.k8s_helpers import CRDS
from support.scheduler_helpers import OWNER, definition_model, job_model, rows
from sqlalchemy.exc import NoResultFound

from argo_scheduler import ArgoScheduler
from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine


@pytest.fixture
def make_scheduler(make_scheduler, fake, token_file):
    """A scheduler configured as a deployment would: engine by name, the engine's traits by config."""

    def make(owner: str = OWNER, **engine_traits) -> ArgoScheduler:
        engine = {"host": fake.url, "token_file": str(token_file), "backoff_factor": 0.01, **engine_traits}
        config = {"ArgoScheduler": {"engine": "kubernetes"}, "KubernetesEngine": engine}
        scheduler = make_scheduler(config, namespace=NAMESPACE, owner=owner)
        assert isinstance(scheduler.get_engine(), KubernetesEngine)
        return scheduler

    return make


def _only(table: dict) -> dict:
    [obj] = table.values()
    return obj


@pytest.mark.parametrize(
    "phase, message, status, status_message",
    [
        ("Succeeded", None, "COMPLETED", "could not record its outcome"),
        ("Failed", "OOMKilled (exit code 137)", "FAILED", "OOMKilled (exit code 137)"),
        ("Error", "pod deleted", "FAILED", "pod deleted"),
    ],
    ids=["succeeded", "failed", "error"],
)
def test_a_job_becomes_a_workflow_and_the_controller_is_the_truth(make_scheduler, fake, phase, message, status,
                                                                   status_message):
    scheduler = make_scheduler()
    # WHEN a job is created THEN its Workflow object is in the namespace, labelled, and the record is IN_PROGRESS
    job_id = scheduler.create_job(job_model())
    workflow = _only(fake.workflows)
    labels = workflow["metadata"]["labels"]
    assert labels["argo-scheduler/job-id"] == job_id
    assert labels["argo-scheduler/owner"].startswith("ana-example.com-")
    assert scheduler.get_job(job_id).status == "IN_PROGRESS"
    # WHEN the controller runs it THEN it stays IN_PROGRESS
    name = workflow["metadata"]["name"]
    fake.set_status(NAMESPACE, name, phase="Running", startedAt="2026-11-22T09:59:00Z")
    assert scheduler.get_job(job_id).status == "IN_PROGRESS"
    # WHEN the controller says it is over before the pod recorded anything
    fake.set_status(NAMESPACE, name, phase=phase, message=message, finishedAt="2026-11-22T10:00:00Z")
    # THEN the next listing records it, with the controller's message, using one list call
    before = len(fake.requests("GET"))
    [job] = scheduler.list_jobs(ListJobsQuery()).jobs
    assert job.status == status and status_message in job.status_message
    assert job.end_time == 1795341600000
    assert len(fake.requests("GET")) - before == 1


def test_stop_and_delete(make_scheduler, fake):
    scheduler = make_scheduler()
    job_id = scheduler.create_job(job_model())
    name = _only(fake.workflows)["metadata"]["name"]
    fake.set_status(NAMESPACE, name, phase="Running")
    # WHEN stopped THEN spec.shutdown is patched to Stop and the record waits as STOPPING
    scheduler.stop_job(job_id)
    assert fake.workflows[(NAMESPACE, name)]["spec"]["shutdown"] == "Stop"
    assert scheduler.get_job(job_id).status == "STOPPING"
    # WHEN the controller reports the workflow stopped THEN the record is STOPPED
    fake.set_status(NAMESPACE, name, phase="Failed", message="Stopped with strategy 'Stop'")
    assert scheduler.get_job(job_id).status == "STOPPED"
    # WHEN deleted THEN the Workflow object and the record are gone
    scheduler.delete_job(job_id)
    assert fake.workflows == {} and rows(scheduler) == []
    assert fake.requests("DELETE", f"{CRDS}/workflows/{name}")


def test_definitions_pause_edit_resume_run_delete(make_scheduler, fake):
    scheduler = make_scheduler()
    # WHEN a definition is created THEN its CronWorkflow is in the namespace, active
    definition_id = scheduler.create_job_definition(definition_model())
    cron = _only(fake.crons)
    name, uid = cron["metadata"]["name"], cron["metadata"]["uid"]
    assert cron["spec"]["schedules"] == ["0 6 * * 1-5"] and not cron["spec"].get("suspend")
    # WHEN paused THEN spec.suspend is patched
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(active=False))
    assert fake.crons[(NAMESPACE, name)]["spec"]["suspend"] is True
    # WHEN edited while paused, after the cron controller wrote the object, THEN it stays paused,
    # with the new schedule, in the same object
    fake.touch_cron(NAMESPACE, name)
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(schedule="0 7 * * *", timezone="UTC"))
    cron = fake.crons[(NAMESPACE, name)]
    assert cron["spec"]["suspend"] is True and cron["spec"]["schedules"] == ["0 7 * * *"]
    assert cron["metadata"]["uid"] == uid and "lastScheduledTime" in cron["status"]
    # WHEN resumed THEN it is active again
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(active=True))
    assert fake.crons[(NAMESPACE, name)]["spec"]["suspend"] is False
    # WHEN run now THEN a Workflow labelled with its definition
    job_id = scheduler.create_job_from_definition(definition_id, CreateJobFromDefinition())
    workflow = _only(fake.workflows)
    assert workflow["metadata"]["labels"]["argo-scheduler/job-definition-id"] == definition_id
    assert scheduler.get_job(job_id).status == "IN_PROGRESS"
    # WHEN deleted THEN the CronWorkflow, its runs and their records are gone
    scheduler.delete_job_definition(definition_id)
    assert fake.crons == {} and fake.workflows == {}
    assert rows(scheduler) == [] and rows(scheduler, JobDefinition) == []


def test_a_cron_run_whose_pod_never_started_appears_failed(make_scheduler, fake):
    scheduler = make_scheduler()
    definition_id = scheduler.create_job_definition(definition_model(schedule="0 6 * * *", timezone="UTC"))
    cron = _only(fake.crons)
    # GIVEN the cron controller started a run (from the CronWorkflow's workflowSpec, with its
    # workflowMetadata's labels and annotations) whose image never pulled
    run_metadata = cron["spec"]["workflowSpec"]["workflowMetadata"]
    labels = {**run_metadata["labels"], "workflows.argoproj.io/cron-workflow": cron["metadata"]["name"]}
    run = fake.put_workflow(NAMESPACE, {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"name": cron["metadata"]["name"] + "-1795000000", "labels": labels,
                     "annotations": run_metadata["annotations"]},
        "spec": cron["spec"]["workflowSpec"],
    }, phase="Failed")
    fake.set_status(NAMESPACE, run["metadata"]["name"], message="ImagePullBackOff: image img:1 not found")
    # WHEN the UI lists jobs THEN the run is a FAILED job of its definition, with the controller's reason
    [job] = scheduler.list_jobs(ListJobsQuery()).jobs
    assert (job.job_id, job.job_definition_id, job.status) == (run["metadata"]["uid"], definition_id, "FAILED")
    assert "ImagePullBackOff" in job.status_message


@pytest.mark.parametrize(
    "refusal, message",
    [
        (dict(forbid=("create", "workflows")), "verbs create on workflows"),
        (dict(token="a-newer-token"), "401 Unauthorized"),
        (dict(fault=dict(status=503, times=10)), "503"),
    ],
    ids=["forbidden", "unauthorized", "unavailable"],
)
def test_a_refusing_api_server_leaves_nothing_half_made(make_scheduler, fake, refusal, message):
    scheduler = make_scheduler()
    # GIVEN an API server that refuses to create (RBAC, an expired token, an outage)
    if "forbid" in refusal:
        fake.forbid(*refusal["forbid"])
        fake.forbid("create", "cronworkflows")
    if "token" in refusal:
        fake.token = refusal["token"]
    if "fault" in refusal:
        fake.fail(method="POST", **refusal["fault"])
    # WHEN a job is created THEN the user gets the reason and no record or staging copy stays
    with pytest.raises(SchedulerError, match=message):
        scheduler.create_job(job_model())
    assert rows(scheduler) == []
    staging = Path(scheduler.staging_path)
    assert not staging.exists() or not any(staging.glob("*/*"))
    # AND the same for a definition
    with pytest.raises(SchedulerError, match=message.replace("workflows", "cronworkflows")):
        scheduler.create_job_definition(definition_model())
    assert rows(scheduler, JobDefinition) == []
    assert fake.workflows == {} and fake.crons == {}


def test_an_unreachable_api_server_is_a_clear_error(make_scheduler):
    from support.prism import free_port

    scheduler = make_scheduler(host=f"http://127.0.0.1:{free_port()}", retries=1)
    with pytest.raises(SchedulerError, match="unreachable"):
        scheduler.create_job(job_model())
    assert rows(scheduler) == []


def test_a_failed_pause_keeps_the_record_as_the_cluster_has_it(make_scheduler, fake):
    # GIVEN a definition, and a service account that may not patch cron workflows
    scheduler = make_scheduler()
    definition_id = scheduler.create_job_definition(definition_model())
    fake.forbid("patch", "cronworkflows")
    # WHEN it is paused THEN the user is told which verb is missing, and the record still says active
    with pytest.raises(SchedulerError, match="verbs patch on cronworkflows"):
        scheduler.update_job_definition(definition_id, UpdateJobDefinition(active=False))
    assert scheduler.get_job_definition(definition_id).active is True
    assert not _only(fake.crons)["spec"].get("suspend")


def test_another_users_workflow_is_refused(make_scheduler, fake):
    # GIVEN a job of Ana's, in a database Bob's server shares
    ana = make_scheduler()
    job_id = ana.create_job(job_model())
    bob = make_scheduler(owner="bob")
    # WHEN Bob stops or deletes it THEN it is not found, as an id that does not exist,
    # and Ana's workflow is untouched
    for action in (bob.stop_job, bob.delete_job):
        with pytest.raises(NoResultFound):
            action(job_id)
    assert len(fake.workflows) == 1 and not fake.requests("PATCH") and not fake.requests("DELETE")
    assert [r.status for r in rows(ana)] == ["IN_PROGRESS"] and rows(bob) == []
