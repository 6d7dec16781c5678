"""Through the REST API: another owner's jobs and definitions in the same database are not there for this server."""

from __future__ import annotations

import uuid

import pytest
from support.databases import DATABASES
from jupyter_scheduler.orm import Job, JobDefinition
from sqlalchemy.orm import Session

from argo_scheduler.db import make_engine, owner_sessions

SERVER_OWNER = "bob"
OTHER_OWNER = "Zoë"


@pytest.fixture
def jp_server_config(jp_server_config):
    jp_server_config["ArgoScheduler"]["owner"] = SERVER_OWNER
    return jp_server_config


@pytest.fixture
def db_url(jp_serverapp) -> str:
    return jp_serverapp.web_app.settings["scheduler"].db_url


def add_others_records(db_url: str) -> tuple[str, str]:
    """A running job and a definition of another owner, as her own server would have stored them."""
    engine = make_engine(db_url)
    try:
        with owner_sessions(engine, OTHER_OWNER)() as session:
            definition = JobDefinition(job_definition_id=str(uuid.uuid4()), name="hers", input_filename="hers.ipynb",
                                       runtime_environment_name="python3", output_formats=["ipynb"], active=True)
            job = Job(job_id=str(uuid.uuid4()), name="hers", input_filename="hers.ipynb", runtime_environment_name="python3",
                      output_formats=["ipynb"], status="IN_PROGRESS", start_time=1)
            session.add_all([definition, job])
            session.commit()
            return job.job_id, definition.job_definition_id
    finally:
        engine.dispose()


def every_row(db_url: str) -> list:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return [(j.owner, j.name, j.status) for j in session.query(Job)] + [
                (d.owner, d.name, d.active) for d in session.query(JobDefinition)
            ]
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", DATABASES, indirect=True)
async def test_another_owners_records_are_not_there_for_this_server(api, db_url):
    # GIVEN Zoë's running job and her definition in the database Bob's server uses
    job_id, definition_id = add_others_records(db_url)
    unknown = str(uuid.uuid4())

    # WHEN Bob's UI lists and counts (listing reconciles his records with his workflows)
    # THEN hers are not there
    jobs = await api.ok("GET", "jobs")
    assert (jobs["jobs"], jobs["total_count"]) == ([], 0)
    assert (await api.ok("GET", "jobs", "count", params={"status": "IN_PROGRESS"}))["count"] == 0
    definitions = await api.ok("GET", "job_definitions")
    assert (definitions["job_definitions"], definitions["total_count"]) == ([], 0)

    # WHEN it names her ids THEN each answer is the one for an id that does not exist
    for method, path, body in [
        ("GET", ("jobs", "{job}"), None),
        ("PATCH", ("jobs", "{job}"), {"name": "mine now"}),
        ("PATCH", ("jobs", "{job}"), {"status": "STOPPED"}),
        ("DELETE", ("jobs", "{job}"), None),
        ("GET", ("jobs", "{job}", "download_files"), None),
        ("GET", ("job_definitions", "{definition}"), None),
        ("PATCH", ("job_definitions", "{definition}"), {"active": False}),
        ("POST", ("job_definitions", "{definition}", "jobs"), {}),
        ("DELETE", ("job_definitions", "{definition}"), None),
    ]:
        hers = await api.call(method, *[p.format(job=job_id, definition=definition_id) for p in path], body=body)
        nobodys = await api.call(method, *[p.format(job=unknown, definition=unknown) for p in path], body=body)
        assert hers[0] >= 400 and hers == nobodys, (method, path, hers, nobodys)

    # THEN her records are as she left them: her job not settled FAILED, not renamed, not stopped
    assert sorted(every_row(db_url), key=str) == sorted(
        [(OTHER_OWNER, "hers", "IN_PROGRESS"), (OTHER_OWNER, "hers", True)], key=str
    )
