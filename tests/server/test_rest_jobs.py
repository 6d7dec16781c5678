"""Jobs through jupyter-scheduler's REST API, as the JupyterLab UI drives them."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from support.databases import DATABASES


def create_job_body(input_uri: str, **extra) -> dict:
    # The fields the JupyterLab "Create Job" form sends.
    return {
        "name": os.path.splitext(input_uri)[0],
        "input_uri": input_uri,
        "runtime_environment_name": "python3",
        "output_formats": ["ipynb", "html"],
        "parameters": {},
        "compute_type": None,
        "idempotency_token": None,
        "tags": [],
        "package_input_folder": False,
        **extra,
    }


@pytest.mark.parametrize("database", DATABASES, indirect=True)
async def test_a_job_runs_to_completed_with_downloadable_outputs(api, notebook, jp_root_dir):
    # GIVEN a notebook in the user's root dir, and the server's database on sqlite or PostgreSQL
    name = notebook("parameters.ipynb")
    # WHEN the UI creates a job with parameters
    created = await api.ok("POST", "jobs", body=create_job_body(name, parameters={"n": "4", "rate": "0.25", "flag": "false", "label": "q4"}))
    job_id = created["job_id"]
    # THEN the record shows IN_PROGRESS at once, never the default STOPPED
    job = await api.ok("GET", "jobs", job_id)
    assert job["status"] in ("IN_PROGRESS", "COMPLETED")
    # AND it ends COMPLETED
    job = await api.wait_job(job_id)
    assert job["status"] == "COMPLETED", job
    # WHEN the UI asks for the files
    await api.ok("GET", "jobs", job_id, "download_files")
    deadline = time.monotonic() + 30
    while not (job := await api.ok("GET", "jobs", job_id))["downloaded"]:
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.3)
    # THEN every output is in the user's jobs folder
    paths = {f["file_format"]: f["file_path"] for f in job["job_files"]}
    assert set(paths) == {"ipynb", "html", "input"}
    for path in paths.values():
        assert (jp_root_dir / path).is_file()
    assert '\\"n\\": [\\"int\\", 4]' in (jp_root_dir / paths["ipynb"]).read_text()


async def test_a_failing_job_says_why(api, notebook):
    name = notebook("divide_by_zero.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name)))["job_id"]
    job = await api.wait_job(job_id)
    assert job["status"] == "FAILED"
    assert "ZeroDivisionError: division by zero" in job["status_message"]


async def test_idempotency_token_is_honoured(api, notebook):
    name = notebook("parameters.ipynb")
    body = create_job_body(name, idempotency_token="once-only")
    job_id = (await api.ok("POST", "jobs", body=body))["job_id"]
    # WHEN the same token comes again THEN it is refused and no second job exists
    code, _ = await api.call("POST", "jobs", body=body)
    assert code == 409
    listed = await api.ok("GET", "jobs")
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    await api.wait_job(job_id)


async def test_stop_then_delete_a_running_job(api, notebook, jp_data_dir):
    name = notebook("sleep.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name, parameters={"seconds": "600"})))["job_id"]
    # WHEN the UI stops it (PATCH status STOPPED)
    await api.ok("PATCH", "jobs", job_id, body={"status": "STOPPED"})
    # THEN it ends STOPPED
    assert (await api.wait_job(job_id))["status"] == "STOPPED"
    # WHEN it is deleted THEN its record and staging folder are gone
    await api.ok("DELETE", "jobs", job_id)
    code, _ = await api.call("GET", "jobs", job_id)
    assert code >= 400
    assert not (jp_data_dir / "scheduler_staging_area" / job_id).exists()


async def test_deleting_one_job_keeps_the_others_outputs(api, notebook, jp_data_dir):
    name = notebook("parameters.ipynb")
    first = (await api.ok("POST", "jobs", body=create_job_body(name)))["job_id"]
    second = (await api.ok("POST", "jobs", body=create_job_body(name)))["job_id"]
    for job_id in (first, second):
        assert (await api.wait_job(job_id))["status"] == "COMPLETED"
    await api.ok("DELETE", "jobs", first)
    staging = jp_data_dir / "scheduler_staging_area"
    assert not (staging / first).exists()
    assert any((staging / second).glob("parameters-*.ipynb"))


async def test_rename_list_and_count(api, notebook):
    name = notebook("parameters.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name)))["job_id"]
    await api.ok("PATCH", "jobs", job_id, body={"name": "renamed"})
    await api.wait_job(job_id)
    listed = await api.ok("GET", "jobs", params={"name": "renamed"})
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]
    count = await api.ok("GET", "jobs", "count", params={"status": "COMPLETED"})
    assert count["count"] == 1


async def test_bad_input_gets_a_clear_error_and_leaves_nothing(api, notebook, jp_data_dir):
    no_kernel = notebook("no_kernelspec.ipynb")
    for body, message in [
        (create_job_body("missing.ipynb"), "missing.ipynb"),
        # An environment that brings no kernel of its own needs the notebook's.
        (create_job_body(no_kernel, runtime_environment_name="not-a-kernel"), "has no kernel"),
        (create_job_body(notebook("parameters.ipynb"), output_formats=["docx"]), "output format(s) docx not offered"),
        # sqlite would keep it; PostgreSQL refuses what does not fit jupyter-scheduler's column.
        (create_job_body(notebook("parameters.ipynb"), name="n" * 300), "at most 256 fit"),
    ]:
        code, data = await api.call("POST", "jobs", body=body)
        assert code >= 400 and message in str(data), data
    assert (await api.ok("GET", "jobs"))["total_count"] == 0
    staging = jp_data_dir / "scheduler_staging_area"
    assert not staging.exists() or not any(staging.iterdir())
