"""What reconcile asks Argo (through Prism): only about records that can still change, in few requests."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE
from jupyter_scheduler.models import CountJobsQuery, ListJobsQuery, Status
from jupyter_scheduler.orm import Job
from support.scheduler_helpers import definition_model, job_model

LIST = f"/api/v1/workflows/{NAMESPACE}"
CRON_LABEL = "workflows.argoproj.io/cron-workflow"


@pytest.fixture
def scheduler(make_scheduler, engine):
    return make_scheduler(engine, reconcile_batch_size=2)


def listings(fake, since: int) -> list[str]:
    """The label selectors of the workflow listings Argo was asked for after the `since`-th request."""
    return [r.query["listOptions.labelSelector"] for r in fake.log[since:] if r.method == "GET" and r.path == LIST]


def settle_as_the_pod_would(scheduler, job_id: str) -> None:
    with scheduler.db_session() as session:
        session.query(Job).filter(Job.job_id == job_id).update({"status": Status.COMPLETED})
        session.commit()


def cron_run(fake, phase: str) -> dict:
    """A run Argo's cron controller started, labelled from the CronWorkflow's workflowMetadata."""
    [cron] = fake.crons.values()
    metadata = cron["spec"]["workflowSpec"]["workflowMetadata"]
    labels = {**metadata["labels"], CRON_LABEL: cron["metadata"]["name"]}
    name = f"{cron['metadata']['name']}-{1795000000 + len(fake.workflows)}"
    return fake.put_workflow(NAMESPACE, {"metadata": {"name": name, "labels": labels,
                                                      "annotations": metadata["annotations"]},
                                         "spec": cron["spec"]["workflowSpec"]}, phase=phase)


def test_a_listing_asks_only_about_unfinished_records_batched_by_job_id(scheduler, fake):
    # GIVEN five jobs, two of which their pods already recorded COMPLETED
    job_ids = [scheduler.create_job(job_model()) for _ in range(5)]
    for job_id in job_ids[:2]:
        settle_as_the_pod_would(scheduler, job_id)
    unfinished = sorted(job_ids[2:])
    # WHEN the UI lists jobs (batches of 2 ids)
    since = len(fake.log)
    scheduler.list_jobs(ListJobsQuery())
    # THEN Argo is asked by job id, for the three unfinished only, in two requests; no schedule, no cron listing
    selectors = listings(fake, since)
    assert len(selectors) == 2
    asked = [s.split(",", 2)[2] for s in selectors]
    assert asked == [f"argo-scheduler/job-id in ({unfinished[0]},{unfinished[1]})",
                     f"argo-scheduler/job-id={unfinished[2]}"]
    assert not fake.requests("GET", "/api/v1/cron-workflows")


def test_get_job_costs_one_request_while_running_and_none_once_final(scheduler, fake):
    running, final = scheduler.create_job(job_model()), scheduler.create_job(job_model())
    settle_as_the_pod_would(scheduler, final)
    [name] = [w["metadata"]["name"] for w in fake.workflows.values()
              if w["metadata"]["labels"]["argo-scheduler/job-id"] == running]
    # WHEN the detail view of a running job is opened THEN one request: a GET of its workflow, by name
    since = len(fake.log)
    assert scheduler.get_job(running).status == Status.IN_PROGRESS
    assert [(r.method, r.path) for r in fake.log[since:]] == [("GET", f"{LIST}/{name}")]
    # WHEN that of a final one THEN none
    since = len(fake.log)
    assert scheduler.get_job(final).status == Status.COMPLETED
    assert fake.log[since:] == []


def test_nothing_unfinished_and_no_schedule_asks_argo_nothing(scheduler, fake):
    settle_as_the_pod_would(scheduler, scheduler.create_job(job_model()))
    since = len(fake.log)
    # WHEN the list and its count are read
    scheduler.list_jobs(ListJobsQuery())
    scheduler.count_jobs(CountJobsQuery())
    # THEN Argo is not asked at all
    assert fake.log[since:] == []


def test_schedules_cost_one_listing_of_their_runs_and_one_of_the_cron_workflows(scheduler, fake):
    # GIVEN a schedule with one run that ended before its pod wrote a record, one still running
    # with the record its pod made, and a one-off job already recorded
    definition_id = scheduler.create_job_definition(definition_model())
    failed = cron_run(fake, "Failed")
    running = cron_run(fake, "Running")
    settle_as_the_pod_would(scheduler, scheduler.create_job(job_model()))
    with scheduler.db_session() as session:
        session.add(Job(job_id=running["metadata"]["uid"], job_definition_id=definition_id, name="nightly",
                        input_filename="report.ipynb", runtime_environment_name="python3", output_formats=["ipynb"],
                        status=Status.IN_PROGRESS))
        session.commit()
    # WHEN the UI lists jobs
    since = len(fake.log)
    jobs = {job.job_id: job for job in scheduler.list_jobs(ListJobsQuery()).jobs}
    # THEN the unrecorded run is FAILED and the running one left as it is
    assert jobs[failed["metadata"]["uid"]].status == Status.FAILED
    assert jobs[running["metadata"]["uid"]].status == Status.IN_PROGRESS
    # AND it cost one listing by job id (the running cron run's record), one of the schedule's runs,
    # and one of the CronWorkflows (refused runs)
    selectors = [s.split(",", 2)[2] for s in listings(fake, since)]
    assert selectors == [f"argo-scheduler/job-id={running['metadata']['uid']}", CRON_LABEL]
    assert len(fake.requests("GET", "/api/v1/cron-workflows")) == 1
    # WHEN that run's workflow finishes THEN get_job of it settles it in two requests: the name a one-off
    # job of that id would have (none), then its schedule's runs
    fake.set_status(NAMESPACE, running["metadata"]["name"], phase="Succeeded")
    since = len(fake.log)
    assert scheduler.get_job(running["metadata"]["uid"]).status == Status.COMPLETED
    assert len(fake.log) - since == 2
    assert fake.log[since].path.startswith(f"{LIST}/report-") and fake.log[since].status == 404
    assert [s.split(",", 2)[2] for s in listings(fake, since)] == [
        f"argo-scheduler/job-definition-id={definition_id},{CRON_LABEL}",
    ]


def test_a_workflow_gone_after_its_time_to_live(scheduler, fake):
    # GIVEN two jobs: one its pod recorded COMPLETED, one whose pod never recorded its end
    recorded, unrecorded = scheduler.create_job(job_model()), scheduler.create_job(job_model())
    settle_as_the_pod_would(scheduler, recorded)
    # WHEN Argo's TTL controller has deleted both workflows before JupyterLab looked
    fake.workflows.clear()
    jobs = {job.job_id: job for job in scheduler.list_jobs(ListJobsQuery()).jobs}
    # THEN the recorded one is left as its pod wrote it, the other says why it is FAILED
    assert (jobs[recorded].status, jobs[recorded].status_message) == (Status.COMPLETED, None)
    assert jobs[unrecorded].status == Status.FAILED
    assert "time to live (c.ArgoScheduler.workflow_ttl_seconds)" in jobs[unrecorded].status_message


def test_the_time_to_live_and_pod_gc_are_configurable(make_scheduler, engine, fake):
    scheduler = make_scheduler(engine, workflow_ttl_seconds=3600, pod_gc_strategy="onworkflowcompletion")
    # WHEN a job and a schedule are created
    scheduler.create_job(job_model())
    scheduler.create_job_definition(definition_model())
    # THEN Argo got both settings on the job's Workflow and on the schedule's runs
    [workflow], [cron] = fake.workflows.values(), fake.crons.values()
    for spec in (workflow["spec"], cron["spec"]["workflowSpec"]):
        assert spec["ttlStrategy"] == {"secondsAfterCompletion": 3600}
        assert spec["podGC"] == {"strategy": "OnWorkflowCompletion"}
