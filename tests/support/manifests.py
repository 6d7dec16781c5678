"""Sample jobs and job definitions, rendered by the real builder."""

from __future__ import annotations

import uuid

from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition

from support.samples import sample_definition, sample_job

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
    return sample_job(**{"job_id": job_id, "url": f"/jobs/{job_id}",
                         "parameters": {"n": "3", "greeting": "it's {{ here }}"}, **overrides})


def definition(definition_id: str | None = None, **overrides) -> DescribeJobDefinition:
    return sample_definition(job_definition_id=definition_id or str(uuid.uuid4()), **overrides)


def workflow_manifest(job_id: str | None = None, **overrides) -> dict:
    return to_manifest(build_workflow(job(job_id, **overrides), CONTEXT))


def cron_manifest(definition_id: str | None = None, **overrides) -> dict:
    return to_manifest(build_cron_workflow(definition(definition_id, **overrides), CONTEXT))
