"""The /argo-scheduler/ handlers with a real Jupyter server: run options, a job's run, a definition's schedule.

Only the server's owner's records, 404 for anyone else's, a bounded log
tail, never a secret (docs/http.md).
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from test_rest_job_definitions import definition_body
from test_rest_jobs import create_job_body
from test_rest_owner_isolation import add_others_records

pytestmark = pytest.mark.slow

PLANTED = "planted-s3cret-value-77"


@pytest.fixture
def jp_server_config(jp_server_config):
    # Notifiers whose pod halves reach nothing but 127.0.0.1 (they are not what is tested here).
    jp_server_config["ArgoScheduler"].update(
        notifiers=["slack", "email"], timeout_seconds=3600, retries=1, argo_ui_url="https://argo.example.com",
    )
    jp_server_config["SlackNotifier"] = {
        "channel": "#alerts", "allowed_channels": ["#data"], "base_url": "http://127.0.0.1:9/api/",
    }
    jp_server_config["EmailNotifier"] = {
        "host": "127.0.0.1", "port": 9, "security": "none", "sender": "jobs@example.com",
        "to": ["team@example.com"], "allowed_recipient_domains": ["example.com"], "events": ["failure"],
    }
    return jp_server_config


class Details:
    def __init__(self, fetch):
        self.fetch = fetch

    async def call(self, *path: str, **params):
        response = await self.fetch("argo-scheduler", *path, params=params, raise_error=False)
        return response.code, json.loads(response.body.decode())

    async def ok(self, *path: str, **params) -> dict:
        code, data = await self.call(*path, **params)
        assert code == 200, (path, code, data)
        return data


@pytest.fixture
def details(jp_fetch) -> Details:
    return Details(jp_fetch)


async def test_options_say_what_a_form_may_offer(details):
    options = await details.ok("options")
    assert options["defaults"] == {
        "timeout_seconds": 3600, "retries": 1, "retry_backoff_seconds": 10, "cell_timeout_seconds": 0,
        "concurrency_policy": "Allow", "starting_deadline_seconds": 0,
    }
    assert options["limits"] == {
        "timeout_seconds": 2592000, "retries": 10, "retry_backoff_seconds": 2592000, "cell_timeout_seconds": 2592000,
        "starting_deadline_seconds": 2592000,
    }
    assert options["notifications"] == {
        "events": ["success", "failure"],
        "default_events": ["success", "failure"],
        "targets": [
            {"key": "notify_slack_channel", "notifier": "slack", "label": "Slack channel", "default": "#alerts",
             "allowed": ["#data", "#alerts"], "placeholder": "#channel", "hint": None},
            {"key": "notify_email_to", "notifier": "email", "label": "E-mail recipients", "default": "team@example.com",
             "allowed": None, "placeholder": "ana@example.com, ops@example.com", "hint": "addresses at example.com only"},
        ],
    }
    assert options["concurrency_policies"] == ["Allow", "Forbid", "Replace"]
    # The local engine has no Argo UI to link to, whatever is configured
    assert options["argo_ui_url"] is None


async def test_a_finished_jobs_run_log_attempts_and_options(api, details, notebook):
    # GIVEN a job with its own options that ran to its end
    name = notebook("parameters.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name, parameters={"n": "3"}, runtime_environment_parameters={
        "retries": "0", "notify_on": "failure", "notify_slack_channel": "#data",
    })))["job_id"]
    assert (await api.wait_job(job_id))["status"] == "COMPLETED"
    # WHEN its detail is asked for
    job = await details.ok("jobs", job_id)
    # THEN it says how the run went: the last cell reached, one attempt that succeeded
    assert job["status"] == "COMPLETED" and job["status_message"] is None
    assert job["progress"]["cell"] == job["progress"]["cells"] == 5 and job["progress"]["elapsed_seconds"] > 0
    assert job["attempts"] == [{"attempt": 1, "status": "succeeded", "message": None}]
    # AND the log's tail, whole when it is short
    assert "Executing Cell 5" in job["log"]["tail"] and job["log"]["truncated"] is False
    assert job["log"]["size"] == len(job["log"]["tail"].encode())
    # AND the options it ran with, the configured ones filled in
    assert job["options"] == {
        "timeout_seconds": 3600, "retries": 0, "retry_backoff_seconds": 10, "cell_timeout_seconds": 0,
        "notify_on": ["failure"], "targets": {"notify_slack_channel": "#data", "notify_email_to": "team@example.com"},
    }
    assert (job["compute_type"], job["output_formats"], job["environment"]) == (None, ["ipynb", "html"], "python3")
    # AND its workflow, without a link on the local engine
    assert job["workflow"]["name"].startswith("parameters-") and job["workflow"]["url"] is None


async def test_the_log_tail_is_bounded(api, details, notebook):
    name = notebook("parameters.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name)))["job_id"]
    await api.wait_job(job_id)
    whole = (await details.ok("jobs", job_id))["log"]
    # WHEN a small tail is asked for THEN it is at most that many bytes, whole lines, flagged as cut
    small = (await details.ok("jobs", job_id, log_bytes="300"))["log"]
    assert len(small["tail"].encode()) <= 300 and small["truncated"] is True and small["size"] == whole["size"]
    assert whole["tail"].endswith(small["tail"]) and small["tail"].startswith("20")  # a line's timestamp
    # WHEN more than the cap is asked for THEN the cap applies; a bad value is refused
    assert len((await details.ok("jobs", job_id, log_bytes=str(10**9)))["log"]["tail"].encode()) <= 65536
    assert (await details.call("jobs", job_id, log_bytes="lots"))[0] == 400
    assert (await details.ok("jobs", job_id, log_bytes="0"))["log"] is None


async def test_no_secret_leaves_the_server(api, details, notebook, local_engine):
    # GIVEN a Secret of the local engine, and a notebook that prints its value and a URL with a password
    local_engine.put_secret("team-token", {"token": PLANTED})
    name = notebook("parameters.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name, parameters={
        "label": f"postgresql://ana:hunter2-pass@db/x {PLANTED}", "extra": "xoxb-1234567890-abcdefgh",
    })))["job_id"]
    await api.wait_job(job_id)
    # WHEN its detail is asked for
    code, job = await details.call("jobs", job_id)
    text = json.dumps(job)
    # THEN the log is there, with every secret masked
    assert code == 200 and "PARAMETERS" in job["log"]["tail"]
    assert PLANTED not in text and "hunter2-pass" not in text and "xoxb-1234567890" not in text
    assert "postgresql://ana:[secret]@db/x [secret]" in job["log"]["tail"]


async def test_another_owners_job_and_definition_are_not_found(details, jp_serverapp):
    job_id, definition_id = add_others_records(jp_serverapp.web_app.settings["scheduler"].db_url)
    for path in (("jobs", job_id), ("job-definitions", definition_id)):
        hers = await details.call(*path)
        nobodys = await details.call(path[0], "00000000-0000-4000-8000-000000000000")
        assert hers[0] == nobodys[0] == 404
        assert set(hers[1]) == {"message"} and "no job" in hers[1]["message"]


async def test_the_handlers_need_a_logged_in_user(http_server_client, jp_base_url):
    for path in ("options", "jobs/00000000-0000-4000-8000-000000000000"):
        response = await http_server_client.fetch(f"{jp_base_url}argo-scheduler/{path}", raise_error=False)
        assert response.code == 403, path


async def test_a_running_jobs_progress_moves_on(api, details, notebook):
    # GIVEN a slow notebook running on the local engine (a second per step)
    name = notebook("steps.ipynb")
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name, parameters={"pause": "1.5"})))["job_id"]
    # WHEN its detail is polled while it runs
    seen, elapsed = [], []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = await details.ok("jobs", job_id)
        if job["status"] == "IN_PROGRESS" and job["progress"]:
            if not seen or seen[-1] != job["progress"]["cell"]:
                seen.append(job["progress"]["cell"])
                elapsed.append(job["progress"]["elapsed_seconds"])
            assert job["attempts"] == [{"attempt": 1, "status": "running", "message": None}]
        if job["status"] in ("COMPLETED", "FAILED", "STOPPED"):
            break
        await asyncio.sleep(0.3)
    # THEN the cell climbed while it ran, and so did the time
    assert len(seen) >= 3 and seen == sorted(seen), seen
    assert elapsed == sorted(elapsed) and elapsed[-1] > elapsed[0]
    # AND it ended with every cell run, its log showing the steps
    assert job["status"] == "COMPLETED"
    assert job["progress"]["cell"] == job["progress"]["cells"] == 8
    assert "step 5" in job["log"]["tail"]


async def test_a_definitions_schedule_options_and_next_runs(api, details, notebook):
    name = notebook("parameters.ipynb")
    definition_id = (await api.ok("POST", "job_definitions", body=definition_body(name, runtime_environment_parameters={
        "concurrency_policy": "Forbid", "starting_deadline_seconds": "300",
    })))["job_definition_id"]
    definition = await details.ok("job-definitions", definition_id)
    assert (definition["schedule"], definition["timezone"], definition["active"]) == ("0 6 * * 1-5", "Europe/Paris", True)
    assert definition["options"]["concurrency_policy"] == "Forbid"
    assert definition["options"]["starting_deadline_seconds"] == 300
    assert definition["cron_workflow"]["name"].startswith("parameters-") and definition["cron_workflow"]["url"] is None
    # THEN the next five weekday mornings, 06:00 in Paris, in epoch ms
    runs = definition["next_runs"]
    assert len(runs) == 5 and runs == sorted(runs) and runs[0] > time.time() * 1000
    import datetime as dt
    import zoneinfo

    local = [dt.datetime.fromtimestamp(ms / 1000, zoneinfo.ZoneInfo("Europe/Paris")) for ms in runs]
    assert all((t.hour, t.minute) == (6, 0) and t.isoweekday() <= 5 for t in local)
    # WHEN it is paused THEN nothing is next
    await api.ok("PATCH", "job_definitions", definition_id, body={"active": False})
    assert (await details.ok("job-definitions", definition_id))["next_runs"] == []
    await api.ok("DELETE", "job_definitions", definition_id)


async def test_a_refused_option_is_the_forms_message_and_creates_nothing(api, notebook):
    name = notebook("parameters.ipynb")
    code, data = await api.call("POST", "jobs", body=create_job_body(name, runtime_environment_parameters={
        "notify_slack_channel": "#random",
    }))
    assert code >= 400 and "notify_slack_channel: #random is not a channel allowed here" in data["message"]
    assert (await api.ok("GET", "jobs"))["total_count"] == 0
