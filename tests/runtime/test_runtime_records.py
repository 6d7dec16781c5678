"""The job record through jupyter-scheduler's ORM: creation, lookup of the database, busy sqlite."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from support.databases import create_tables_with_jupyter_scheduler_alone
from jupyter_scheduler.models import Status
from jupyter_scheduler.orm import Job, create_session
from runtime_helpers import (
    count_jobs,
    definition_spec,
    new_uid,
    read_job,
    runtime_cli,
    without_db_env,
    workflow_args,
)

from argo_scheduler.runtime.__main__ import main
from argo_scheduler.runtime.records import (
    STATUS_MESSAGE_LIMIT,
    DatabaseNotConfigured,
    JobStore,
    clip_message,
    job_id_for,
    resolve_db_url,
)
from argo_scheduler.spec import DB_URL_ENV


def test_a_cron_runs_record_is_created_once(db_url, staging):
    # GIVEN the spec of a cron run and its workflow's uid
    spec = definition_spec("parameters.ipynb", staging, db_url, parameters={"n": "3"}, tags=["nightly"])
    job_id = job_id_for(spec, new_uid())
    with JobStore(db_url) as store:
        # WHEN its record is ensured twice (a retried pod)
        first, created_first = store.ensure_job(spec, job_id)
        second, created_second = store.ensure_job(spec, job_id)
    # THEN one row exists, created by the first call, carrying the spec's fields
    assert (created_first, created_second) == (True, False)
    assert count_jobs(db_url) == 1
    assert second == first
    assert first.status is Status.CREATED
    assert first.job_definition_id == spec.job_definition_id
    assert first.parameters == {"n": "3"}
    assert first.name == spec.name and first.input_filename == "parameters.ipynb"


def test_a_cron_runs_job_id_is_its_workflow_uid(staging):
    # GIVEN a cron run's spec (no job id) WHEN its job id is derived THEN it is the uid, canonical
    spec = definition_spec("parameters.ipynb", staging, None)
    uid = new_uid()
    assert job_id_for(spec, uid.upper()) == uid


@pytest.mark.parametrize("uid", ["", "{{workflow.uid}}", "not-a-uuid"], ids=["empty", "unsubstituted", "garbage"])
def test_a_cron_run_without_a_usable_uid_is_refused(staging, uid):
    # GIVEN no job id and a uid that is not one WHEN a job id is derived THEN a clear error
    spec = definition_spec("parameters.ipynb", staging, None)
    with pytest.raises(ValueError, match="not a UUID"):
        job_id_for(spec, uid)


def test_a_one_off_jobs_id_comes_from_the_spec(staging):
    # GIVEN a one-off job's spec THEN its job id wins over the workflow's uid
    spec = definition_spec("parameters.ipynb", staging, None, job_id="given-id")
    assert job_id_for(spec, new_uid()) == "given-id"


@pytest.mark.parametrize(
    ("explicit", "in_spec", "in_env", "expected"),
    [
        ("sqlite:///a", "sqlite:///b", "sqlite:///c", "sqlite:///a"),
        (None, "sqlite:///b", "sqlite:///c", "sqlite:///b"),
        (None, None, "sqlite:///c", "sqlite:///c"),
    ],
    ids=["explicit-first", "spec-next", "environment-last"],
)
def test_the_database_url_comes_from_the_caller_the_spec_or_the_environment(
    staging, explicit, in_spec, in_env, expected
):
    # GIVEN database URLs in some of the three places THEN the first one present is used
    spec = definition_spec("parameters.ipynb", staging, in_spec)
    assert resolve_db_url(spec, explicit, {DB_URL_ENV: in_env}) == expected


def test_no_database_url_is_a_clear_error(staging):
    # GIVEN no URL anywhere THEN the error names the environment variable to set
    spec = definition_spec("parameters.ipynb", staging, None)
    with pytest.raises(DatabaseNotConfigured, match=DB_URL_ENV):
        resolve_db_url(spec, None, {})


def test_the_pods_command_refuses_to_run_without_a_database(staging):
    # GIVEN a spec without db_url and a pod environment without the variable
    spec = definition_spec("parameters.ipynb", staging, None)
    # WHEN the pod's command runs
    result = runtime_cli("run", *workflow_args(spec, new_uid()), env=without_db_env())
    # THEN it exits non-zero, naming the variable to set, without a traceback
    assert result.returncode == 2
    assert DB_URL_ENV in result.stderr
    assert "Traceback" not in result.stderr


def test_the_exit_handler_refuses_to_run_without_a_database(staging, monkeypatch, caplog):
    # GIVEN no URL anywhere WHEN the exit handler's command runs THEN exit 2 with the variable named
    monkeypatch.delenv(DB_URL_ENV, raising=False)
    spec = definition_spec("parameters.ipynb", staging, None)
    args = ["record-failure", *workflow_args(spec, new_uid()), "--workflow-status", "Failed"]
    assert main(args) == 2
    assert DB_URL_ENV in caplog.text


def test_a_fresh_database_gets_jupyter_schedulers_tables(empty_db_url, staging):
    # GIVEN a database nothing has created tables in
    spec = definition_spec("parameters.ipynb", staging, empty_db_url)
    with JobStore(empty_db_url) as store:
        # WHEN the runtime prepares it and records a job
        store.ensure_schema()
        store.ensure_schema()
        store.ensure_job(spec, new_uid())
    # THEN the server's schema is there and holds the job
    assert count_jobs(empty_db_url) == 1


def test_tables_jupyter_scheduler_made_hold_the_runs_times(empty_db_url, staging):
    # GIVEN the tables exactly as jupyter-scheduler's create_tables makes them (32-bit
    # INTEGER time columns on PostgreSQL), before any ArgoScheduler touched them
    create_tables_with_jupyter_scheduler_alone(empty_db_url)
    spec = definition_spec("parameters.ipynb", staging, empty_db_url)
    uid = new_uid()
    # WHEN the pod prepares the database and records a run with epoch-millisecond times
    with JobStore(empty_db_url) as store:
        store.ensure_schema()
        created, _ = store.ensure_job(spec, uid)
        store.update(uid, lambda row: {"start_time": row.create_time, "end_time": row.create_time + 1})
    # THEN the times are stored whole
    after = read_job(empty_db_url, uid)
    assert after.create_time > 2**31 and after.end_time == created.create_time + 1


def test_a_run_with_long_parameters_and_tags_is_recorded_whole(db_url, staging):
    # GIVEN a cron run whose parameters and tags, as JSON, are far beyond the
    # columns' declared String(1024) (sqlite never enforced it; PostgreSQL does)
    parameters = {f"p{i}": "x" * 100 for i in range(40)}
    tags = [f"tag-{i}-" + "y" * 60 for i in range(30)]
    spec = definition_spec("parameters.ipynb", staging, db_url, parameters=parameters, tags=tags)
    uid = new_uid()
    # WHEN its record is created
    with JobStore(db_url) as store:
        store.ensure_schema()
        store.ensure_job(spec, uid)
    # THEN every parameter and tag is stored and read back as it was
    assert read_job(db_url, uid).parameters == parameters
    with create_session(db_url)() as session:
        assert session.get(Job, uid).tags == tags


@pytest.mark.parametrize("attempts", [2, 6], ids=["retried-pod", "six-at-once"])
def test_attempts_of_one_run_racing_create_one_record(empty_db_url, staging, attempts):
    # GIVEN attempts of the same cron run starting together on a database without tables
    spec = definition_spec("parameters.ipynb", staging, empty_db_url)
    job_id = job_id_for(spec, new_uid())
    barrier = threading.Barrier(attempts)
    outcomes, errors = [], []

    def attempt() -> None:
        try:
            with JobStore(empty_db_url) as store:
                barrier.wait(10)
                store.ensure_schema()
                outcomes.append(store.ensure_job(spec, job_id))
        except Exception as error:  # reported below, with the others
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    # WHEN each prepares the database and ensures the run's record at the same moment
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # THEN none failed, exactly one created the record, and all see that one
    assert errors == []
    assert sorted(created for _, created in outcomes) == [False] * (attempts - 1) + [True]
    assert all(snapshot == outcomes[0][0] for snapshot, _ in outcomes)
    assert count_jobs(empty_db_url) == 1


def test_a_long_message_is_clipped_to_the_column():
    # GIVEN a message longer than status_message's String(1024) THEN it is cut to fit, visibly
    clipped = clip_message("x" * 5000)
    assert len(clipped) == STATUS_MESSAGE_LIMIT and clipped.endswith("…")
    assert clip_message("short") == "short"


def hold_lock(db_path: Path, statement: str, seconds: float) -> threading.Event:
    """Take a lock on the sqlite file from another connection for `seconds`; the event is set once held."""
    held = threading.Event()

    def holder() -> None:
        connection = sqlite3.connect(db_path, isolation_level=None)
        connection.execute(statement)
        connection.execute("UPDATE jobs SET name = name")
        held.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
        connection.close()

    threading.Thread(target=holder, daemon=True).start()
    assert held.wait(5)
    return held


@pytest.mark.parametrize("database", ["sqlite"])  # sqlite's file locks
@pytest.mark.parametrize("statement", ["BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"], ids=["write-lock", "exclusive-lock"])
def test_an_update_retries_while_another_writer_holds_the_database(tmp_path, db_url, staging, caplog, statement):
    # GIVEN a job row, and a store whose sqlite busy timeout is too short to wait the lock out
    spec = definition_spec("parameters.ipynb", staging, db_url)
    job_id = new_uid()
    with JobStore(db_url) as store:
        store.ensure_job(spec, job_id)
    store = JobStore(db_url, busy_timeout=0.05)
    # WHEN another connection holds the database for 1.5 s while the status is updated
    hold_lock(tmp_path / "scheduler.sqlite", statement, 1.5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="argo_scheduler.runtime.records"):
        after = store.update(job_id, lambda row: {"status": Status.IN_PROGRESS.value})
    store.close()
    # THEN the update retried until the lock was gone, and succeeded
    assert time.monotonic() - started >= 1.0
    assert "busy; retrying" in caplog.text
    assert after.status is Status.IN_PROGRESS
    assert read_job(db_url, job_id).status is Status.IN_PROGRESS


@pytest.mark.parametrize("database", ["sqlite"])  # sqlite's file locks
def test_the_retry_gives_up_after_its_budget(tmp_path, db_url, staging):
    # GIVEN a lock held longer than the store's retry budget
    # WHEN the status is updated THEN the lock error surfaces instead of waiting forever
    spec = definition_spec("parameters.ipynb", staging, db_url)
    job_id = new_uid()
    with JobStore(db_url) as store:
        store.ensure_job(spec, job_id)
    hold_lock(tmp_path / "scheduler.sqlite", "BEGIN EXCLUSIVE", 2.0)
    with JobStore(db_url, busy_timeout=0.05, retry_for=0.3) as store:
        with pytest.raises(Exception, match="database is locked"):
            store.update(job_id, lambda row: {"status": Status.FAILED.value})


@pytest.mark.parametrize("database", ["sqlite"])  # sqlite's file locks
def test_the_pods_command_waits_for_a_busy_database(tmp_path, db_url, staging):
    # GIVEN a cron run whose pod never started, and another process holding the database
    spec = definition_spec("parameters.ipynb", staging, db_url)
    uid = new_uid()
    hold_lock(tmp_path / "scheduler.sqlite", "BEGIN EXCLUSIVE", 1.5)
    # WHEN the exit handler records the failure meanwhile
    result = runtime_cli(
        "record-failure",
        *workflow_args(spec, uid),
        "--workflow-status",
        "Error",
        "--workflow-failures",
        '[{"displayName": "nb", "message": "ImagePullBackOff", "phase": "Error"}]',
    )
    # THEN it waited, then recorded the run
    assert result.returncode == 0, result.stderr
    job = read_job(db_url, uid)
    assert job.status is Status.FAILED
    assert "ImagePullBackOff" in job.status_message


@pytest.mark.parametrize(
    ("db_url", "exit_code", "says"),
    [
        ("sqlite:////nonexistent-folder/scheduler.sqlite", 1, "unable to open database file"),
        ("postgresql://user:hunter2@db:notaport/jobs", 2, "not a URL sqlalchemy can parse"),
    ],
    ids=["unreachable", "unparseable"],
)
def test_the_exit_handler_fails_only_when_it_cannot_record(staging, caplog, db_url, exit_code, says):
    # GIVEN a database the exit handler cannot use
    spec = definition_spec("parameters.ipynb", staging, db_url)
    args = ["record-failure", *workflow_args(spec, new_uid()), "--workflow-status", "Error"]
    # WHEN it runs THEN it exits non-zero with the reason, and never shows the password
    assert main(args) == exit_code
    assert says in caplog.text
    assert "hunter2" not in caplog.text
