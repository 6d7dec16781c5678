"""Helpers of the runtime tests: specs, server-like job rows, the runtime's command line."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from jupyter_scheduler.orm import Job, create_session
from support.samples import NOTEBOOKS

from argo_scheduler.runtime.records import JobSnapshot, JobStore
from argo_scheduler.spec import DB_URL_ENV, RunSpec

DEFINITION_ID = "0b7d3a4e-5a29-4b53-8a0e-3f7f1f0c2d11"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def definition_spec(notebook: str, staging: Path, db_url: str | None, **fields) -> RunSpec:
    """The spec of a cron run: no job id; the notebook comes from the definition's staging folder."""
    definition_folder = staging / DEFINITION_ID
    definition_folder.mkdir(exist_ok=True)
    shutil.copyfile(NOTEBOOKS / notebook, definition_folder / notebook)
    defaults = dict(
        name=f"scheduled {notebook}",
        input_filename=notebook,
        input_path=str(definition_folder / notebook),
        staging_path=str(staging),
        runtime_environment_name="python3",
        job_definition_id=DEFINITION_ID,
        output_formats=["ipynb"],
        db_url=db_url,
    )
    return RunSpec(**{**defaults, **fields})


def create_job_like_the_server(spec: RunSpec, db_url: str, **columns) -> RunSpec:
    """What jupyter-scheduler's create_job does before a one-off run: a row and a staged input.

    Returns the spec of that job, as the server would build it.
    """
    job_id = str(uuid.uuid4())
    folder = Path(spec.staging_path) / job_id
    folder.mkdir(parents=True)
    shutil.copyfile(spec.input_path, folder / spec.input_filename)
    with create_session(db_url)() as session:
        session.add(
            Job(
                job_id=job_id,
                name=spec.name,
                input_filename=spec.input_filename,
                runtime_environment_name=spec.runtime_environment_name,
                output_formats=list(spec.output_formats),
                parameters=dict(spec.parameters),
                **columns,
            )
        )
        session.commit()
    return dataclasses.replace(
        spec, job_id=job_id, job_definition_id=None, input_path=str(folder / spec.input_filename)
    )


def read_job(db_url: str, job_id: str) -> JobSnapshot | None:
    with JobStore(db_url) as store:
        return store.get(job_id)


def count_jobs(db_url: str) -> int:
    with create_session(db_url)() as session:
        return session.query(Job).count()


def runtime_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m argo_scheduler.runtime ARGS`, the way the pod runs it."""
    return subprocess.run(
        [sys.executable, "-m", "argo_scheduler.runtime", *args],
        env=env if env is not None else without_db_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def without_db_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != DB_URL_ENV}


def workflow_args(spec: RunSpec, uid: str, name: str = "nb-run-abc12") -> list[str]:
    return ["--spec", spec.to_json(), "--workflow-name", name, "--workflow-uid", uid]



def new_uid() -> str:
    """A workflow uid: Kubernetes UIDs are UUIDs."""
    return str(uuid.uuid4())
