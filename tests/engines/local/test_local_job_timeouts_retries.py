"""End to end: a job's timeouts and retries, from ArgoScheduler through the local engine to real notebooks."""

from __future__ import annotations

import json

import pytest
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJob, CreateJobDefinition, UpdateJobDefinition
from jupyter_scheduler.orm import Job, JobDefinition

from argo_scheduler.engines.local import cron as local_cron
from argo_scheduler.workflow import job_workflow_name

pytestmark = pytest.mark.slow


@pytest.fixture
def make_scheduler(make_scheduler):
    """A real ArgoScheduler on the local engine, these notebooks in its Jupyter root; its runs deleted afterwards."""
    made = []

    def make(**traits):
        scheduler = make_scheduler(
            {"LocalEngine": {"stop_grace_seconds": 5.0}}, engine="local",
            notebooks=("sleep.ipynb", "fails_first_time.ipynb", "divide_by_zero.ipynb"), **traits,
        )
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        engine = scheduler.get_engine()
        for name in engine.status():
            engine.delete(name)


def submit(scheduler, notebook: str, settings: dict, **parameters) -> str:
    return scheduler.create_job(CreateJob(
        input_uri=notebook, name=notebook, runtime_environment_name="python3", output_formats=["ipynb"],
        runtime_environment_parameters=settings, parameters={k: str(v) for k, v in parameters.items()} or None,
    ))


def finished(scheduler, notebook: str, job_id: str):
    """The job's record once its workflow, exit handler included, has ended."""
    engine = scheduler.get_engine()
    state = engine.wait(job_workflow_name(notebook, job_id), timeout=240)
    assert state.phase in ("Succeeded", "Failed", "Error"), state
    return record(scheduler, job_id)


def record(scheduler, job_id: str) -> Job:
    with scheduler.db_session() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
        return job


def wait_for_record(scheduler, job_id: str, predicate, wf):
    return wf.wait_for(lambda: (lambda job: job if predicate(job) else None)(record(scheduler, job_id)),
                       timeout=180, what="the job record")


def test_a_notebook_past_its_timeout_ends_failed_timed_out(make_scheduler):
    # GIVEN a job whose notebook sleeps far longer than its timeout
    scheduler = make_scheduler()
    job_id = submit(scheduler, "sleep.ipynb", {"timeout_seconds": "5"}, seconds=600)
    # WHEN it runs on the local engine
    job = finished(scheduler, "sleep.ipynb", job_id)
    # THEN it ended FAILED, saying it timed out and how Argo put it
    assert job.status == "FAILED"
    assert job.status_message.startswith("timed out after 5 s (Argo: Step exceeded its deadline)"), job.status_message
    assert job.end_time is not None


def test_a_notebook_failing_its_first_attempt_completes_on_its_second(make_scheduler, tmp_path):
    # GIVEN a notebook that fails until its marker file exists, and a job with two retries
    scheduler = make_scheduler()
    marker = tmp_path / "marker"
    job_id = submit(scheduler, "fails_first_time.ipynb", {"retries": "2", "retry_backoff_seconds": "1"}, marker=marker)
    # WHEN it runs
    job = finished(scheduler, "fails_first_time.ipynb", job_id)
    # THEN it COMPLETED on its second attempt, the first attempt's failure kept in its message
    assert job.status == "COMPLETED", job.status_message
    assert job.status_message.startswith("attempt 2 of 3 succeeded; attempt 1: ZeroDivisionError: division by zero")
    assert marker.exists()
    # AND Argo's view agrees: two attempts of the run, the exit handler skipped
    nodes = scheduler.get_engine().record(job_workflow_name("fails_first_time.ipynb", job_id))["nodes"].values()
    attempts = sorted(n["displayName"] for n in nodes if n["type"] == "Pod" and n["templateName"] == "run")
    assert [a[-3:] for a in attempts] == ["(0)", "(1)"]


def test_a_run_out_of_retries_ends_failed_with_every_attempt(make_scheduler):
    # GIVEN a notebook that always fails, and one retry
    scheduler = make_scheduler()
    job_id = submit(scheduler, "divide_by_zero.ipynb", {"retries": 1, "retry_backoff_seconds": 0})
    # WHEN it runs
    job = finished(scheduler, "divide_by_zero.ipynb", job_id)
    # THEN it is FAILED, its last attempt's reason first and the earlier one kept
    assert job.status == "FAILED"
    reason = "ZeroDivisionError: division by zero (in cell In [2])"
    assert job.status_message == f"attempt 2 of 2 failed: {reason}; attempt 1: {reason}"


def test_a_cell_past_the_per_cell_timeout_fails_the_run(make_scheduler):
    # GIVEN a job whose sleeping cell runs longer than the per-cell timeout
    scheduler = make_scheduler()
    job_id = submit(scheduler, "sleep.ipynb", {"cell_timeout_seconds": "3"}, seconds=600)
    # WHEN it runs
    job = finished(scheduler, "sleep.ipynb", job_id)
    # THEN papermill stopped that cell and the record names it
    assert job.status == "FAILED"
    assert job.status_message == (
        "CellTimeoutError: cell In [4] ran longer than the per-cell timeout of 3 s (cell_timeout_seconds)"
    )


def test_between_attempts_the_job_stays_in_progress_and_can_be_stopped(make_scheduler, tmp_path, wf):
    # GIVEN a job whose first attempt fails, with a long wait before the retry
    scheduler = make_scheduler()
    job_id = submit(
        scheduler, "fails_first_time.ipynb", {"retries": "1", "retry_backoff_seconds": "600"}, marker=tmp_path / "m"
    )
    # WHEN the first attempt has failed
    job = wait_for_record(scheduler, job_id, lambda j: "retrying" in (j.status_message or ""), wf)
    # THEN the record is still IN_PROGRESS and says which attempt failed, why, and that it retries
    assert job.status == "IN_PROGRESS"
    assert job.status_message.startswith("attempt 1 of 2 failed: ZeroDivisionError: division by zero")
    assert job.status_message.endswith("; retrying")
    # AND WHEN the user stops it during the wait THEN no further attempt runs and it ends STOPPED
    scheduler.stop_job(job_id)
    job = finished(scheduler, "fails_first_time.ipynb", job_id)
    assert job.status == "STOPPED"


def test_config_defaults_reach_the_manifest_and_the_job_overrides_them(make_scheduler):
    # GIVEN a deployment's defaults in config
    scheduler = make_scheduler(timeout_seconds=3600, retries=2, retry_backoff_seconds=30, cell_timeout_seconds=600)
    # WHEN a job that sets only its timeout is rendered
    job_id = submit(scheduler, "sleep.ipynb", {"timeout_seconds": "120"}, seconds=0)
    manifest = scheduler.render_job(scheduler.get_job(job_id))
    # THEN its own timeout wins, and the configured retries and cell timeout apply
    assert manifest["spec"]["activeDeadlineSeconds"] == 120
    run = next(t for t in manifest["spec"]["templates"] if t["name"] == "run")
    assert run["retryStrategy"] == {"limit": 2, "retryPolicy": "Always", "backoff": {"duration": "30", "factor": 2}}
    assert "--cell-timeout" in run["container"]["args"]
    finished(scheduler, "sleep.ipynb", job_id)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timeout_seconds": "-1"}, "timeout_seconds must be between 0 and 2592000 seconds, got -1"),
        ({"retries": "lots"}, "retries must be a whole number of retries, got 'lots'"),
        ({"retries": "100"}, "retries must be between 0 and 10 retries, got 100"),
    ],
    ids=["negative-timeout", "not-a-number", "absurd-retries"],
)
def test_bad_settings_are_refused_before_anything_is_created(make_scheduler, settings, message):
    # GIVEN a scheduler
    scheduler = make_scheduler()
    # WHEN a job and a job definition with an unusable setting are submitted
    with pytest.raises(SchedulerError, match=message):
        submit(scheduler, "sleep.ipynb", settings)
    with pytest.raises(SchedulerError, match=message):
        scheduler.create_job_definition(CreateJobDefinition(
            input_uri="sleep.ipynb", name="nightly", runtime_environment_name="python3",
            runtime_environment_parameters=settings, schedule="0 6 * * *", output_formats=["ipynb"],
        ))
    # THEN nothing was created: no record, no workflow, no schedule
    with scheduler.db_session() as session:
        assert session.query(Job).count() == 0 and session.query(JobDefinition).count() == 0
    assert scheduler.get_engine().status() == {} and scheduler.get_engine().crons() == {}


def test_a_definitions_settings_reach_its_cron_and_bad_updates_change_nothing(make_scheduler):
    # GIVEN a job definition with a timeout and a retry, on the local engine's cron
    scheduler = make_scheduler()
    definition_id = scheduler.create_job_definition(CreateJobDefinition(
        input_uri="sleep.ipynb", name="nightly", runtime_environment_name="python3",
        runtime_environment_parameters={"timeout_seconds": "900", "retries": "1"},
        schedule="0 6 * * *", output_formats=["ipynb"],
    ))
    definition = scheduler.get_job_definition(definition_id)
    cron_manifest = local_cron.CronDir(scheduler.get_engine().crons_dir / scheduler.cron_name(definition)).manifest

    def workflow_spec() -> dict:
        return json.loads(cron_manifest.read_text())["spec"]["workflowSpec"]

    assert workflow_spec()["activeDeadlineSeconds"] == 900
    # WHEN an update asks for an unusable value
    with pytest.raises(SchedulerError, match="retries must be between 0 and 10 retries, got 50"):
        scheduler.update_job_definition(definition_id, UpdateJobDefinition(runtime_environment_parameters={"retries": "50"}))
    # THEN neither the record nor the schedule changed
    assert scheduler.get_job_definition(definition_id).runtime_environment_parameters == {
        "timeout_seconds": 900, "retries": 1,
    }
    assert workflow_spec()["activeDeadlineSeconds"] == 900
    # AND WHEN a usable update comes THEN the schedule's runs get it
    scheduler.update_job_definition(
        definition_id, UpdateJobDefinition(runtime_environment_parameters={"timeout_seconds": "60"})
    )
    assert workflow_spec()["activeDeadlineSeconds"] == 60
    assert "retryStrategy" not in next(t for t in workflow_spec()["templates"] if t["name"] == "run")
