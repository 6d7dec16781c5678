"""ArgoScheduler on the Argo engine: the whole lifecycle through Prism, and what users see when Argo says no."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.manifests import NAMESPACE
from support.databases import DATABASES
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJobDefinition, CreateJobFromDefinition, ListJobsQuery, UpdateJobDefinition
from jupyter_scheduler.orm import JobDefinition
from support.scheduler_helpers import definition_model, job_model, rows
from sqlalchemy.exc import NoResultFound


@pytest.mark.parametrize("database", DATABASES, indirect=True)
def test_a_job_becomes_a_workflow_and_argo_is_the_truth(make_scheduler, engine, fake):
    scheduler = make_scheduler(engine)
    # WHEN a job is created THEN its workflow is in Argo, labelled, and the record is IN_PROGRESS
    job_id = scheduler.create_job(job_model())
    [workflow] = fake.workflows.values()
    labels = workflow["metadata"]["labels"]
    assert labels["argo-scheduler/job-id"] == job_id and labels["argo-scheduler/owner"] == "ana-example.com-" + labels["argo-scheduler/owner"][-8:]
    assert scheduler.get_job(job_id).status == "IN_PROGRESS"
    # WHEN Argo says the pod was OOM-killed before it could record anything
    fake.set_status(NAMESPACE, workflow["metadata"]["name"], phase="Failed", message="OOMKilled (exit code 137)",
                    finishedAt="2026-11-22T10:00:00Z")
    # THEN the next listing records FAILED with Argo's message, using one list call
    before = len(fake.requests("GET"))
    listed = scheduler.list_jobs(ListJobsQuery())
    assert [(j.status, j.status_message) for j in listed.jobs] == [("FAILED", "OOMKilled (exit code 137)")]
    assert len(fake.requests("GET")) - before == 1


def test_stop_and_delete(make_scheduler, engine, fake):
    scheduler = make_scheduler(engine)
    job_id = scheduler.create_job(job_model())
    name = next(iter(fake.workflows.values()))["metadata"]["name"]
    # WHEN stopped THEN Argo's stop is called and the record waits as STOPPING
    scheduler.stop_job(job_id)
    assert fake.requests("PUT", "/stop")
    assert scheduler.get_job(job_id).status == "STOPPING"
    # WHEN Argo reports the workflow stopped THEN the record is STOPPED
    fake.set_status(NAMESPACE, name, phase="Failed", message="Stopped with strategy 'Stop'")
    assert scheduler.get_job(job_id).status == "STOPPED"
    # WHEN deleted THEN the workflow and the record are gone
    scheduler.delete_job(job_id)
    assert fake.workflows == {} and rows(scheduler) == []


def test_definitions_pause_edit_resume_run_delete(make_scheduler, engine, fake):
    scheduler = make_scheduler(engine)
    definition_id = scheduler.create_job_definition(definition_model())
    [cron] = fake.crons.values()
    assert cron["spec"]["schedules"] == ["0 6 * * 1-5"] and not cron["spec"].get("suspend")
    # pause, then edit while paused: the edit keeps it paused
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(active=False))
    assert next(iter(fake.crons.values()))["spec"]["suspend"] is True
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(schedule="0 7 * * *", timezone="UTC"))
    cron = next(iter(fake.crons.values()))
    assert cron["spec"]["suspend"] is True and cron["spec"]["schedules"] == ["0 7 * * *"]
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(active=True))
    assert not next(iter(fake.crons.values()))["spec"].get("suspend")
    # run now: a workflow labelled with its definition
    job_id = scheduler.create_job_from_definition(definition_id, CreateJobFromDefinition())
    [workflow] = fake.workflows.values()
    assert workflow["metadata"]["labels"]["argo-scheduler/job-definition-id"] == definition_id
    # delete: the CronWorkflow, its runs and their records
    scheduler.delete_job_definition(definition_id)
    assert fake.crons == {} and fake.workflows == {}
    assert rows(scheduler) == [] and rows(scheduler, JobDefinition) == []
    assert job_id


@pytest.mark.parametrize("database", DATABASES, indirect=True)
def test_a_cron_run_whose_pod_never_started_appears_failed(make_scheduler, engine, fake):
    scheduler = make_scheduler(engine)
    definition_id = scheduler.create_job_definition(definition_model(schedule="0 6 * * *", timezone="UTC"))
    cron = next(iter(fake.crons.values()))
    # GIVEN Argo's cron controller started a run whose image never pulled (with the
    # workflowMetadata's labels and annotations, as the controller applies them)
    run_metadata = cron["spec"]["workflowSpec"]["workflowMetadata"]
    labels = {**run_metadata["labels"], "workflows.argoproj.io/cron-workflow": cron["metadata"]["name"]}
    run = fake.put_workflow(NAMESPACE, {"metadata": {"name": cron["metadata"]["name"] + "-1795000000", "labels": labels,
                                                     "annotations": run_metadata["annotations"]},
                                        "spec": cron["spec"]["workflowSpec"]}, phase="Failed")
    fake.set_status(NAMESPACE, run["metadata"]["name"], message="ImagePullBackOff: image img:1 not found")
    # WHEN the UI lists jobs THEN the run is a FAILED job of its definition, with Argo's reason
    [job] = scheduler.list_jobs(ListJobsQuery()).jobs
    assert (job.job_id, job.job_definition_id, job.status) == (run["metadata"]["uid"], definition_id, "FAILED")
    assert "ImagePullBackOff" in job.status_message


@pytest.mark.parametrize(
    "fault, message",
    [
        (dict(status=403, times=10), "verbs"),
        (dict(status=401, times=10), "token"),
        (dict(status=503, times=10), "503"),
    ],
    ids=["forbidden", "unauthorized", "unavailable"],
)
def test_argo_refusing_leaves_nothing_half_made(make_scheduler, direct_engine, direct_fake, fault, message):
    scheduler = make_scheduler(direct_engine)
    direct_fake.fail(method="POST", **fault)
    # WHEN Argo refuses the workflow THEN the user gets Argo's reason and no record or staging copy stays
    with pytest.raises(SchedulerError, match=message):
        scheduler.create_job(job_model())
    assert rows(scheduler) == []
    assert not any(Path(scheduler.staging_path).glob("*/*")) if Path(scheduler.staging_path).exists() else True
    # AND the same for a definition
    with pytest.raises(SchedulerError, match=message):
        scheduler.create_job_definition(CreateJobDefinition(
            input_uri="report.ipynb", name="n", runtime_environment_name="python3", schedule="0 6 * * *", timezone="UTC"))
    assert rows(scheduler, JobDefinition) == []


def test_argo_unreachable_is_a_clear_error(make_scheduler):
    from support.argo_helpers import make_engine

    engine = make_engine("http://127.0.0.1:9/", retries=1)
    scheduler = make_scheduler(engine)
    with pytest.raises(SchedulerError, match="unreachable"):
        scheduler.create_job(job_model())
    assert rows(scheduler) == []


def test_another_users_workflow_is_refused(make_scheduler, direct_engine, direct_fake):
    # GIVEN a job of Ana's, in a database Bob's server shares
    ana = make_scheduler(direct_engine)
    job_id = ana.create_job(job_model())
    bob = make_scheduler(direct_engine, owner="bob")
    # WHEN Bob stops or deletes it THEN it is not found, as an id that does not exist,
    # and Ana's workflow is untouched (tests/engines/cluster/argo/scheduler/test_argo_owner_isolation.py has the rest)
    for action in (bob.stop_job, bob.delete_job):
        with pytest.raises(NoResultFound):
            action(job_id)
    assert len(direct_fake.workflows) == 1 and not direct_fake.requests("PUT", "/stop")
    # AND Ana's record is as it was
    assert [r.status for r in rows(ana)] == ["IN_PROGRESS"] and rows(bob) == []
