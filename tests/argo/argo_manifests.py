"""Sample jobs and job definitions, rendered by the real builder."""

from __future__ import annotations

import uuid

from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition

from argo_scheduler.workflow import BuildContext, build_cron_workflow, build_workflow, to_manifest

NAMESPACE = "jupyter"
CONTEXT = BuildContext(
    staging_path="/home/jovyan/.local/share/jupyter/scheduler_staging_area",
    image="quay.io/jupyter/scipy-notebook:2026-11-01",
    db_url="sqlite:////home/jovyan/.local/share/jupyter/scheduler.sqlite",
    owner="jovyan",
    namespace=NAMESPACE,
)


def job(job_id: str | None = None, **overrides) -> DescribeJob:
    job_id = job_id or str(uuid.uuid4())
    fields = dict(
        job_id=job_id,
        name="hello",
        input_filename="hello.ipynb",
        runtime_environment_name="python3",
        url=f"/jobs/{job_id}",
        create_time=1767225600000,
        update_time=1767225600000,
        output_formats=["ipynb"],
        parameters={"n": "3", "greeting": "it's {{ here }}"},
    )
    return DescribeJob(**{**fields, **overrides})


def definition(definition_id: str | None = None, **overrides) -> DescribeJobDefinition:
    fields = dict(
        job_definition_id=definition_id or str(uuid.uuid4()),
        name="nightly report",
        input_filename="report.ipynb",
        runtime_environment_name="python3",
        create_time=1767225600000,
        update_time=1767225600000,
        active=True,
        schedule="0 6 * * 1-5",
        timezone="Europe/Paris",
        output_formats=["ipynb", "html"],
    )
    return DescribeJobDefinition(**{**fields, **overrides})


def workflow_manifest(job_id: str | None = None, **overrides) -> dict:
    return to_manifest(build_workflow(job(job_id, **overrides), CONTEXT))


def cron_manifest(definition_id: str | None = None, **overrides) -> dict:
    return to_manifest(build_cron_workflow(definition(definition_id, **overrides), CONTEXT))
