"""ArgoScheduler + local engine + pod runtime + SlackNotifier: a SLACK_TOKEN job parameter, as argo-jupyter-scheduler took it.

The token reaches Slack and nothing else: not the database, the manifest,
the notebook, the run's files or logs. Only the engine's 0600 secret store
holds it, and only until the job is deleted.
"""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_scheduler.models import CreateJob, CreateJobDefinition, CreateJobFromDefinition
from jupyter_scheduler.orm import Job, JobDefinition
from notifier_helpers import SLACK_TOKEN

from argo_scheduler import ArgoScheduler

pytestmark = pytest.mark.slow


@pytest.fixture
def scheduler(make_scheduler, fake_slack):
    config = {"SlackNotifier": {"base_url": fake_slack.base_url, "timeout": 30.0}}
    return make_scheduler(config, engine="local", notifiers=["slack"])


def wait_done(scheduler: ArgoScheduler, job_id: str, timeout: float = 240) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = scheduler.get_job(job_id).status
        if status in ("COMPLETED", "FAILED", "STOPPED") or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def files_holding(root: Path, needle: str, skip: Path) -> list[Path]:
    return [
        p for p in root.rglob("*")
        if p.is_file() and skip not in p.parents and needle.encode() in p.read_bytes()
    ]


def test_a_slack_token_parameter_reaches_slack_and_nothing_else(scheduler, fake_slack, tmp_path):
    # WHEN a job is created with argo-jupyter-scheduler's Slack parameters
    job_id = scheduler.create_job(CreateJob(
        input_uri="report.ipynb", name="report", runtime_environment_name="python3", output_formats=["ipynb", "html"],
        parameters={"SLACK_TOKEN": SLACK_TOKEN, "SLACK_CHANNEL": "#reports", "n": "3"},
    ))
    # THEN it completes
    assert wait_done(scheduler, job_id) == "COMPLETED", scheduler.get_job(job_id).status_message
    # AND Slack received the HTML output, with the token, through the current upload flow
    # (the notifiers run after the record is final)
    fake_slack.wait_for("files.completeUploadExternal")
    assert fake_slack.methods()[-3:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert {c.token for c in fake_slack.calls if c.method != "upload"} == {SLACK_TOKEN}
    [shared] = fake_slack.shared
    assert shared["channel_id"] == "C07REPORTS" and shared["initial_comment"].startswith("report — COMPLETED in ")
    [upload] = fake_slack.uploads.values()
    assert upload["filename"].endswith(".html") and b"PARAMETERS" in upload["data"]
    # AND the database row keeps the parameters, without the token
    with scheduler.db_session() as session:
        assert session.query(Job).one().parameters == {"SLACK_CHANNEL": "#reports", "n": "3"}
    # AND the manifest the engine ran holds only a reference to the job's Secret
    [manifest_path] = (tmp_path / "engine" / "runs").glob("*/manifest.json")
    manifest = json.loads(manifest_path.read_text())
    env = manifest["spec"]["templates"][0]["container"]["env"]
    assert {"name": "ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN", "valueFrom": {"secretKeyRef": {
        "name": f"argo-scheduler-{job_id}", "key": "SLACK_TOKEN", "optional": True}}} in env
    # AND the notebook received its own parameter only
    [executed] = (tmp_path / "staging" / job_id).glob("report-*.ipynb")
    injected = next(c for c in nbformat.read(str(executed), 4).cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "n = 3" in injected.source and "SLACK" not in injected.source
    # AND the token is in no file anywhere — database, manifest, state, run and step logs, outputs — but the secret store
    store = tmp_path / "engine" / "secrets"
    assert files_holding(tmp_path, SLACK_TOKEN, skip=store) == []
    token_file = store / f"argo-scheduler-{job_id}" / "SLACK_TOKEN"
    assert token_file.read_text() == SLACK_TOKEN and stat.S_IMODE(token_file.stat().st_mode) == 0o600
    # WHEN the job is deleted THEN its Secret goes with it
    scheduler.delete_job(job_id)
    assert not (store / f"argo-scheduler-{job_id}").exists()


def test_a_definitions_slack_token_serves_its_runs_and_goes_with_it(scheduler, fake_slack, tmp_path):
    # GIVEN a job definition created with a SLACK_TOKEN parameter
    definition_id = scheduler.create_job_definition(CreateJobDefinition(
        input_uri="report.ipynb", name="nightly", runtime_environment_name="python3", output_formats=["ipynb"],
        parameters={"SLACK_TOKEN": SLACK_TOKEN, "SLACK_CHANNEL": "C01GENERAL"},
    ))
    with scheduler.db_session() as session:
        assert session.query(JobDefinition).one().parameters == {"SLACK_CHANNEL": "C01GENERAL"}
    # WHEN it is run now
    job_id = scheduler.create_job_from_definition(definition_id, CreateJobFromDefinition())
    assert wait_done(scheduler, job_id) == "COMPLETED"
    # THEN the run used the definition's token (no HTML output, nothing failed: the summary is a message)
    fake_slack.wait_for("chat.postMessage")
    assert fake_slack.methods() == ["chat.postMessage"] and fake_slack.calls[0].token == SLACK_TOKEN
    assert fake_slack.messages[0]["channel"] == "C01GENERAL"
    store = tmp_path / "engine" / "secrets"
    assert files_holding(tmp_path, SLACK_TOKEN, skip=store) == []
    # WHEN the definition is deleted THEN its Secret is gone
    scheduler.delete_job_definition(definition_id)
    assert list(store.iterdir()) == []


def test_a_jobs_own_channel_and_events_are_what_the_pod_honours(scheduler, fake_slack):
    from argo_scheduler.workflow import job_workflow_name

    def run(runtime_environment_parameters: dict) -> str:
        job_id = scheduler.create_job(CreateJob(
            input_uri="report.ipynb", name="report", runtime_environment_name="python3", output_formats=["ipynb"],
            parameters={"SLACK_TOKEN": SLACK_TOKEN, "SLACK_CHANNEL": "#reports"},
            runtime_environment_parameters=runtime_environment_parameters,
        ))
        # The notifiers run after the record is final: the workflow's end is the pod's.
        scheduler.get_engine().wait(job_workflow_name("report.ipynb", job_id), timeout=240)
        assert scheduler.get_job(job_id).status == "COMPLETED"
        return job_id

    # WHEN a job that wants to hear of failures only completes THEN Slack hears nothing
    run({"notify_on": "failure"})
    assert fake_slack.calls == []
    # WHEN a job names its own channel THEN the message goes there, not to its SLACK_CHANNEL parameter's
    run({"notify_on": "success", "notify_slack_channel": "C01GENERAL"})
    assert fake_slack.methods() == ["chat.postMessage"] and fake_slack.messages[0]["channel"] == "C01GENERAL"
