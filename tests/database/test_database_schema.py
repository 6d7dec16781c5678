"""jupyter-scheduler's tables, as the server makes them, on sqlite and on PostgreSQL: fit for jobs, old rows kept."""

from __future__ import annotations

import pytest
from support.databases import DATABASES, create_tables_with_jupyter_scheduler_alone
from jupyter_scheduler.models import ListJobDefinitionsQuery, ListJobsQuery, Status
from jupyter_scheduler.orm import Base, Job
from sqlalchemy import BigInteger, Column, MetaData, String, Table, create_engine, inspect, text

from argo_scheduler.db import postgresql_widenings

on_every_database = pytest.mark.parametrize("database", DATABASES, indirect=True)

# Columns jupyter-scheduler added in a later release than the oldest tables
# still in use, and the owner column argo_scheduler adds (db.py).
NEWER_COLUMNS = {"package_input_folder", "packaged_files", "owner"}
EPOCH_MS = 1_700_000_000_000


def columns_in(db_url: str, table: str) -> dict:
    engine = create_engine(db_url)
    try:
        return {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


@on_every_database
def test_the_server_makes_jupyter_schedulers_tables_hold_epoch_milliseconds(
    database, empty_db_url, make_scheduler_home, make_scheduler
):
    # GIVEN the tables as SchedulerApp makes them with jupyter-scheduler's create_tables
    # (on PostgreSQL its INTEGER time columns are 32 bits), before ArgoScheduler is loaded
    create_tables_with_jupyter_scheduler_alone(empty_db_url)
    scheduler = make_scheduler(home=make_scheduler_home(empty_db_url), engine="local")
    # WHEN ArgoScheduler first reads the database, then a job row with today's times is written
    assert scheduler.list_jobs(ListJobsQuery()).jobs == []
    with scheduler.db_session() as session:
        session.add(Job(job_id="j1", name="n", input_filename="report.ipynb", runtime_environment_name="python3",
                        status=Status.COMPLETED.value, start_time=EPOCH_MS, end_time=EPOCH_MS + 1))
        session.commit()
    # THEN the row reads back whole, and on PostgreSQL times are BIGINT and JSON is TEXT
    job = scheduler.get_job("j1", job_files=False)
    assert (job.start_time, job.end_time) == (EPOCH_MS, EPOCH_MS + 1)
    assert job.create_time > 2**31
    if database == "postgresql":
        for table, targets in postgresql_widenings().items():
            types = columns_in(empty_db_url, table)
            for name, target in targets.items():
                # TEXT, or a VARCHAR without a length (packaged_files): no limit either way
                if target == "TEXT":
                    assert isinstance(types[name], String) and types[name].length is None, (table, name, types[name])
                else:
                    assert isinstance(types[name], BigInteger), (table, name, types[name])


def create_old_tables(db_url: str) -> None:
    """The tables of an older jupyter-scheduler, with one job and one definition in them.

    On PostgreSQL its time columns are BIGINT: jobs could only be stored
    there once an administrator had widened them (jupyter-scheduler#375).
    """
    old = MetaData()
    for table in Base.metadata.sorted_tables:
        Table(table.name, old, *[
            Column(c.name, c.type, primary_key=c.primary_key) for c in table.columns if c.name not in NEWER_COLUMNS
        ])
    engine = create_engine(db_url)
    try:
        old.create_all(engine)
        with engine.begin() as connection:
            connection.execute(old.tables["job_definitions"].insert().values(
                job_definition_id="d1", name="nightly", input_filename="report.ipynb",
                runtime_environment_name="python3", output_formats=["ipynb"], parameters={"n": "2"},
                schedule="0 6 * * *", timezone="UTC", active=True, create_time=EPOCH_MS, update_time=EPOCH_MS,
            ))
            connection.execute(old.tables["jobs"].insert().values(
                job_id="j1", job_definition_id="d1", name="nightly run", input_filename="report.ipynb",
                runtime_environment_name="python3", output_formats=["ipynb", "html"], parameters={"n": "2"},
                status="COMPLETED", create_time=EPOCH_MS, start_time=EPOCH_MS, end_time=EPOCH_MS + 5000,
                update_time=EPOCH_MS + 5000, url="/jobs/j1",
            ))
    finally:
        engine.dispose()


@on_every_database
def test_an_older_schemas_rows_stay_readable(database, empty_db_url, make_scheduler_home, make_scheduler):
    # GIVEN a database an older jupyter-scheduler wrote: no package_input_folder, no packaged_files, no owner
    create_old_tables(empty_db_url)
    # WHEN the server starts (SchedulerApp's create_tables migrates, then ArgoScheduler reads)
    scheduler = make_scheduler(home=make_scheduler_home(empty_db_url), engine="local", owner="ana")
    jobs = scheduler.list_jobs(ListJobsQuery()).jobs
    definitions = scheduler.list_job_definitions(ListJobDefinitionsQuery()).job_definitions
    if database == "postgresql":
        # THEN on a database many owners may share, rows without owner are nobody's ...
        assert (jobs, definitions) == ([], [])
        # ... until the administrator gives them to their owner (docs/database.md)
        engine = create_engine(empty_db_url)
        with engine.begin() as connection:
            for table in ("jobs", "job_definitions"):
                connection.execute(text(f"UPDATE {table} SET owner = 'ana' WHERE owner IS NULL"))
        engine.dispose()
        jobs = scheduler.list_jobs(ListJobsQuery()).jobs
        definitions = scheduler.list_job_definitions(ListJobDefinitionsQuery()).job_definitions
    # THEN the old job and definition are listed with everything they had (on sqlite, a file
    # in the user's own data directory, they are the first owner's at once)
    assert [(j.job_id, j.name, j.status, j.parameters, j.output_formats, j.end_time) for j in jobs] == [
        ("j1", "nightly run", "COMPLETED", {"n": "2"}, ["ipynb", "html"], EPOCH_MS + 5000)
    ]
    assert [(d.job_definition_id, d.schedule, d.active) for d in definitions] == [("d1", "0 6 * * *", True)]
    # AND the newer columns now exist in the database
    assert NEWER_COLUMNS <= set(columns_in(empty_db_url, "jobs"))
