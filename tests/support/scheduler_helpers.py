"""What the scheduler tests of the cluster engines (argo, kubernetes) share: the models a user sends, the rows left."""

from __future__ import annotations

from jupyter_scheduler.models import CreateJob, CreateJobDefinition
from jupyter_scheduler.orm import Job

OWNER = "ana@example.com"


def job_model(**extra) -> CreateJob:
    return CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                     output_formats=["ipynb"], parameters={"n": "2"}, **extra)


def definition_model(**extra) -> CreateJobDefinition:
    fields = dict(input_uri="report.ipynb", name="nightly", runtime_environment_name="python3",
                  output_formats=["ipynb"], schedule="0 6 * * 1-5", timezone="Europe/Paris")
    return CreateJobDefinition(**{**fields, **extra})


def rows(scheduler, table=Job) -> list:
    with scheduler.db_session() as session:
        return session.query(table).all()
