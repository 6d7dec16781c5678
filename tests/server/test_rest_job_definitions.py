"""Job definitions through the REST API: CronWorkflows created, edited in place, paused, run, deleted."""

from __future__ import annotations

import asyncio
import time

from argo_scheduler.engines.local.agent_control import agent_running


def definition_body(input_uri: str, **extra) -> dict:
    # The fields the JupyterLab "Create Job" form sends with "Run on a schedule".
    return {
        "name": "weekday report",
        "input_uri": input_uri,
        "runtime_environment_name": "python3",
        "output_formats": ["ipynb", "html"],
        "parameters": {"n": "2"},
        "compute_type": None,
        "tags": [],
        "schedule": "0 6 * * 1-5",
        "timezone": "Europe/Paris",
        "package_input_folder": False,
        **extra,
    }


def only_cron(engine) -> dict:
    crons = engine.crons()
    assert len(crons) == 1, crons
    return next(iter(crons.values()))


async def test_definition_lifecycle(api, notebook, local_engine, jp_data_dir):
    name = notebook("parameters.ipynb")
    # WHEN the UI creates a job definition
    definition_id = (await api.ok("POST", "job_definitions", body=definition_body(name)))["job_definition_id"]
    # THEN a CronWorkflow exists with its schedule and time zone, active, and its agent runs
    cron = only_cron(local_engine)
    assert (cron["schedules"], cron["timezone"], cron["suspend"]) == (["0 6 * * 1-5"], "Europe/Paris", False)
    state_dir = str(jp_data_dir / "argo_scheduler" / "local")
    deadline = time.monotonic() + 30
    while not agent_running(state_dir):
        assert time.monotonic() < deadline, "the cron agent did not start"
        await asyncio.sleep(0.2)
    described = await api.ok("GET", "job_definitions", definition_id)
    assert described["schedule"] == "0 6 * * 1-5" and described["active"] is True

    # WHEN its schedule, time zone and parameters are edited
    await api.ok("PATCH", "job_definitions", definition_id, body={
        "schedule": "30 7 * * *", "timezone": "America/New_York", "parameters": {"n": "5"}, "name": "daily",
    })
    # THEN the same CronWorkflow is updated in place
    cron = only_cron(local_engine)
    assert (cron["schedules"], cron["timezone"]) == (["30 7 * * *"], "America/New_York")
    assert (await api.ok("GET", "job_definitions", definition_id))["name"] == "daily"

    # WHEN paused THEN suspended
    await api.ok("PATCH", "job_definitions", definition_id, body={"active": False})
    assert only_cron(local_engine)["suspend"] is True
    # WHEN a paused definition is edited THEN it stays paused
    await api.ok("PATCH", "job_definitions", definition_id, body={"schedule": "0 8 * * *", "timezone": "America/New_York"})
    cron = only_cron(local_engine)
    assert cron["suspend"] is True and cron["schedules"] == ["0 8 * * *"]
    assert (await api.ok("GET", "job_definitions", definition_id))["active"] is False
    # WHEN resumed THEN active again
    await api.ok("PATCH", "job_definitions", definition_id, body={"active": True})
    assert only_cron(local_engine)["suspend"] is False

    # WHEN run now THEN a job of that definition runs with the edited parameters
    job_id = (await api.ok("POST", "job_definitions", definition_id, "jobs", body={}))["job_id"]
    job = await api.wait_job(job_id)
    assert job["status"] == "COMPLETED" and job["job_definition_id"] == definition_id
    assert job["parameters"] == {"n": "5"}
    listed = await api.ok("GET", "jobs", params={"job_definition_id": definition_id})
    assert [j["job_id"] for j in listed["jobs"]] == [job_id]

    # WHEN deleted THEN the CronWorkflow, its runs, their records and files are gone
    await api.ok("DELETE", "job_definitions", definition_id)
    assert local_engine.crons() == {}
    assert local_engine.status() == {}
    assert (await api.ok("GET", "jobs"))["total_count"] == 0
    staging = jp_data_dir / "scheduler_staging_area"
    assert not (staging / definition_id).exists() and not (staging / job_id).exists()


async def test_bad_schedule_is_refused_and_nothing_is_created(api, notebook, local_engine):
    name = notebook("parameters.ipynb")
    code, data = await api.call("POST", "job_definitions", body=definition_body(name, schedule="every morning"))
    assert code >= 400 and "not a valid cron schedule" in str(data)
    assert (await api.ok("GET", "job_definitions"))["total_count"] == 0
    assert local_engine.crons() == {}


async def test_bad_edit_is_refused_and_the_definition_is_unchanged(api, notebook, local_engine):
    name = notebook("parameters.ipynb")
    definition_id = (await api.ok("POST", "job_definitions", body=definition_body(name)))["job_definition_id"]
    code, data = await api.call("PATCH", "job_definitions", definition_id, body={"schedule": "0 6 * *", "timezone": "Mars/Base"})
    assert code >= 400
    assert (await api.ok("GET", "job_definitions", definition_id))["schedule"] == "0 6 * * 1-5"
    assert only_cron(local_engine)["schedules"] == ["0 6 * * 1-5"]
    await api.ok("DELETE", "job_definitions", definition_id)
