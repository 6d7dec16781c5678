"""Sample notebooks, jobs and job definitions, as jupyter-scheduler describes them, for every suite."""

from __future__ import annotations

from pathlib import Path

from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition

# The notebooks tests run or stage (tests/notebooks/build.py writes them).
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

JOB_ID = "0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d"
DEFINITION_ID = "9b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d"
CREATED = 1767225600000  # 2026-01-01T00:00:00Z


def sample_job(**overrides) -> DescribeJob:
    job_id = overrides.get("job_id", JOB_ID)
    fields = dict(
        job_id=job_id,
        name="hello",
        input_filename="hello.ipynb",
        runtime_environment_name="python3",
        url=f"/jobs/{job_id}",
        create_time=CREATED,
        update_time=CREATED,
        output_formats=["ipynb"],
    )
    return DescribeJob(**{**fields, **overrides})


def sample_definition(**overrides) -> DescribeJobDefinition:
    fields = dict(
        job_definition_id=DEFINITION_ID,
        name="nightly report",
        input_filename="report.ipynb",
        runtime_environment_name="python3",
        create_time=CREATED,
        update_time=CREATED,
        active=True,
        schedule="0 6 * * 1-5",
        timezone="Europe/Paris",
        output_formats=["ipynb", "html"],
    )
    return DescribeJobDefinition(**{**fields, **overrides})
