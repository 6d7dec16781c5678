"""The Jupyter server's log holds neither the database password nor a SLACK_TOKEN parameter.

The server logs every refused request with its traceback
(jupyter-scheduler's handlers), so refusals and failures are driven here
along with a job that runs.
"""

from __future__ import annotations

import logging

import pytest
from test_rest_jobs import create_job_body

from support.fake_slack import FakeSlack

pytestmark = pytest.mark.slow

TOKEN = "xoxb-planted-rest-51c2"


@pytest.fixture
def slack():
    with FakeSlack(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def jp_server_config(jp_server_config, slack):
    # The conftest's server (PostgreSQL with its URL in a Secret), with the Slack notifier.
    return {
        **jp_server_config,
        "ArgoScheduler": {**jp_server_config["ArgoScheduler"], "notifiers": ["slack"]},
        "SlackNotifier": {"base_url": slack.base_url},
    }


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_the_server_log_holds_no_secret(api, notebook, slack, postgres_cluster, jp_data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    name = notebook("parameters.ipynb")
    planted = {"SLACK_TOKEN": TOKEN, "SLACK_CHANNEL": "#reports", "n": "3"}
    # WHEN a job with the token runs, one with the token is refused, and an unknown job is asked for
    job_id = (await api.ok("POST", "jobs", body=create_job_body(name, parameters=planted)))["job_id"]
    assert (await api.wait_job(job_id))["status"] == "COMPLETED"
    code, _ = await api.call("POST", "jobs", body=create_job_body(name, parameters={**planted, "class": "2"}))
    assert code >= 400
    code, _ = await api.call("GET", "jobs", "00000000-0000-0000-0000-000000000000")
    assert code >= 400
    # THEN Slack got the token
    slack.wait_for("chat.postMessage", "files.completeUploadExternal")
    assert {c.token for c in slack.calls if c.method != "upload"} == {TOKEN}
    # AND the server's log holds neither it nor the database password
    log = "\n".join(record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "") for record in caplog.records)
    assert job_id in log or "scheduler" in log  # the log is the server's
    assert TOKEN not in log and postgres_cluster.password not in log
    assert TOKEN not in caplog.text and postgres_cluster.password not in caplog.text

