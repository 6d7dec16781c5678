"""A PostgreSQL URL with a password reaches the job's pod by Secret reference only, and the run records there."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJob, CreateJobDefinition, ListJobsQuery, Status
from jupyter_scheduler.orm import JobDefinition

from argo_scheduler.runtime.records import JobStore

pytestmark = pytest.mark.slow

SECRET, KEY = "scheduler-db", "url"
PASSWORD_REFUSED = "the database URL carries a password, which must not travel in a manifest"


@pytest.fixture
def make_scheduler(make_scheduler, make_scheduler_home, postgres_url):
    """ArgoScheduler on the local engine, its database on this session's PostgreSQL server."""
    home = make_scheduler_home(postgres_url)
    return lambda **traits: make_scheduler(home=home, engine="local", **traits)


def wait_done(scheduler, job_id: str, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while (job := scheduler.get_job(job_id)).status not in ("COMPLETED", "FAILED", "STOPPED"):
        assert time.monotonic() < deadline, f"job {job_id} still {job.status}"
        time.sleep(0.5)
    return job


def files_holding(root: Path, needle: str, skip: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and skip not in p.parents and needle.encode() in p.read_bytes()]


def job_model() -> CreateJob:
    return CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                     output_formats=["ipynb", "html"], parameters={"n": "3"})


def test_the_password_travels_by_reference_and_the_run_records_in_postgresql(
    make_scheduler, postgres_url, postgres_cluster, tmp_path
):
    # GIVEN the server's PostgreSQL URL, password included, stored as a Secret the pod reads
    scheduler = make_scheduler(db_url_secret_name=SECRET, db_url_secret_key=KEY)
    scheduler.get_engine().put_secret(SECRET, {KEY: postgres_url})
    # WHEN a job is created
    job_id = scheduler.create_job(job_model())
    # THEN the manifest the engine received names the Secret and holds no password
    manifest = scheduler.render_job(scheduler.get_job(job_id, job_files=False))
    text = json.dumps(manifest)
    assert postgres_cluster.password not in text
    env = {e["name"]: e for t in manifest["spec"]["templates"] for e in (t.get("container") or {}).get("env", [])}
    assert env["ARGO_SCHEDULER_DB_URL"]["valueFrom"] == {"secretKeyRef": {"name": SECRET, "key": KEY}}
    # AND the run ends COMPLETED with its outputs, recorded by the pod in PostgreSQL
    job = wait_done(scheduler, job_id)
    assert (job.status, job.status_message) == ("COMPLETED", None)
    assert set(scheduler.staged_outputs(job)) == {"ipynb", "html"}
    with JobStore(postgres_url) as store:
        record = store.get(job_id)
    assert record.status is Status.COMPLETED and record.start_time <= record.end_time
    # AND no file but the engine's Secret store holds the password: manifests, run state, logs, outputs
    assert files_holding(tmp_path, postgres_cluster.password, skip=tmp_path / "engine" / "secrets") == []


@pytest.mark.parametrize(
    "create",
    [
        lambda scheduler: scheduler.create_job(job_model()),
        lambda scheduler: scheduler.create_job_definition(CreateJobDefinition(
            input_uri="report.ipynb", name="nightly", runtime_environment_name="python3",
            output_formats=["ipynb"], schedule="0 6 * * *", timezone="UTC",
        )),
    ],
    ids=["job", "job-definition"],
)
def test_a_password_url_without_a_secret_is_refused_and_leaves_nothing(make_scheduler, tmp_path, create):
    # GIVEN a PostgreSQL URL with a password and no Secret configured for it
    scheduler = make_scheduler()
    # WHEN a job or a schedule is created THEN it is refused with the reason, before anything runs
    with pytest.raises(SchedulerError, match=PASSWORD_REFUSED):
        create(scheduler)
    # AND no record, staged input, workflow or schedule is left
    assert scheduler.list_jobs(ListJobsQuery()).total_count == 0
    with scheduler.db_session() as session:
        assert session.query(JobDefinition).count() == 0
    staging = Path(scheduler.staging_path)
    assert not staging.exists() or not any(staging.iterdir())
    engine = scheduler.get_engine()
    assert engine.status() == {} and engine.crons() == {}
