"""SlackNotifier against a fake Slack Web API: the current upload flow, fallbacks, tokens, errors."""

from __future__ import annotations

import json
import logging

import pytest
from kubernetes.client import ApiClient
from notifier_helpers import SLACK_TOKEN, event
from traitlets.config import Config

from argo_scheduler.notifiers.base import NotifierError
from argo_scheduler.notifiers.slack import SlackNotifier
from argo_scheduler.spec import RunSpec

JOB_TOKEN = {"ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN": SLACK_TOKEN}
HTML = "<html><body><h1>Report</h1><p>42</p></body></html>"


def notifier(fake, **traits) -> SlackNotifier:
    # Built as the pod builds it: from the config the server put in the run spec.
    return SlackNotifier(config=Config({"SlackNotifier": {"base_url": fake.base_url, "timeout": 10, **traits}}))


def test_the_html_output_is_uploaded_with_the_current_flow(fake_slack, pod_secrets, tmp_path):
    # GIVEN a completed run with an HTML output, a job token and a channel given by name
    pod_secrets(JOB_TOKEN)
    finished = event(tmp_path, html=HTML, parameters={"SLACK_CHANNEL": "#reports"})
    # WHEN the notifier runs
    notifier(fake_slack).notify(finished)
    # THEN the name is resolved (paging), then files.getUploadURLExternal, the bytes, files.completeUploadExternal
    assert fake_slack.methods() == [
        "conversations.list", "conversations.list",
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal",
    ]
    # AND every API call carried the token; the upload URL got none (it is pre-signed)
    assert {c.token for c in fake_slack.calls if c.method != "upload"} == {SLACK_TOKEN}
    get_url = fake_slack.calls[2].params
    assert get_url["filename"] == "report-2026-01-05-09-00-00-AM.html" and get_url["length"] == str(len(HTML))
    [upload] = fake_slack.uploads.values()
    assert upload["data"] == HTML.encode()
    # AND the file is shared in the channel, by id, with the summary as its comment
    [shared] = fake_slack.shared
    assert shared["channel_id"] == "C07REPORTS"
    assert shared["initial_comment"] == "report — COMPLETED in 3 min 4 s (notebook report.ipynb)"
    assert shared["files"][0]["title"] == "report COMPLETED"
    assert fake_slack.messages == []


def test_a_channel_id_needs_no_lookup(fake_slack, pod_secrets, tmp_path):
    pod_secrets(JOB_TOKEN)
    notifier(fake_slack, channel="C01GENERAL").notify(event(tmp_path, html=HTML))
    assert fake_slack.methods() == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert fake_slack.shared[0]["channel_id"] == "C01GENERAL"


def test_a_failed_run_without_html_uploads_its_error(fake_slack, pod_secrets, tmp_path):
    # GIVEN a failed run whose only trace is its log
    pod_secrets(JOB_TOKEN)
    log = "".join(f"line {i}\n" for i in range(100)) + "ZeroDivisionError: division by zero\n"
    failed = event(tmp_path, status="FAILED", log=log, parameters={"SLACK_CHANNEL": "C07REPORTS"})
    # WHEN notified
    notifier(fake_slack).notify(failed)
    # THEN the error text is the file: the reason and the end of the log
    [upload] = fake_slack.uploads.values()
    text = upload["data"].decode()
    assert upload["filename"] == "report-error.txt"
    assert "Why: ZeroDivisionError: division by zero (in cell In [3])" in text
    assert text.endswith("line 99\nZeroDivisionError: division by zero\n") and "line 10\n" not in text
    # AND the comment says what happened, for how long, and why
    comment = fake_slack.shared[0]["initial_comment"]
    assert comment.splitlines() == [
        "report — FAILED after 3 min 4 s (notebook report.ipynb)",
        "Why: ZeroDivisionError: division by zero (in cell In [3])",
    ]


def test_nothing_to_attach_is_a_message(fake_slack, pod_secrets, tmp_path):
    pod_secrets(JOB_TOKEN)
    notifier(fake_slack, channel="#general").notify(event(tmp_path))
    assert fake_slack.methods() == ["chat.postMessage"]
    assert fake_slack.messages == [
        {"channel": "#general", "text": "report — COMPLETED in 3 min 4 s (notebook report.ipynb)"}
    ]


@pytest.mark.parametrize(
    ("errors", "channel", "why"),
    [
        ({"conversations.list": "missing_scope"}, "#reports", "Slack said missing_scope"),
        ({}, "#private-team", "no channel named #private-team is visible to the Slack app"),
        ({"files.completeUploadExternal": "not_in_channel"}, "#reports", "Slack said not_in_channel"),
    ],
    ids=["no-channels-read-scope", "unlisted-channel", "bot-not-in-channel"],
)
def test_when_the_file_cannot_be_attached_the_summary_is_posted(fake_slack, pod_secrets, tmp_path, errors, channel, why):
    # GIVEN an HTML output that cannot be shared in the channel
    pod_secrets(JOB_TOKEN)
    fake_slack.errors.update(errors)
    fake_slack.unlisted["private-team"] = "G0PRIVATE1"
    # WHEN notified
    notifier(fake_slack, channel=channel).notify(event(tmp_path, html=HTML))
    # THEN the user still hears about the run, and why the output is missing
    [message] = fake_slack.messages
    assert message["channel"] == channel
    assert message["text"].startswith("report — COMPLETED in 3 min 4 s")
    assert why in message["text"]


def test_the_jobs_own_token_wins_over_the_deployments(fake_slack, pod_secrets, tmp_path):
    # GIVEN the deployment's token (token_secret) and a job's SLACK_TOKEN parameter
    pod_secrets({"ARGO_SCHEDULER_SECRET_SLACK_TOKEN": "xoxb-deployment",
                 "ARGO_SCHEDULER_SECRET_DEFINITION_PARAMETER_SLACK_TOKEN": SLACK_TOKEN})
    # WHEN notified THEN the job's (here, its definition's) token is used
    notifier(fake_slack, token_secret="slack", channel="#general").notify(event(tmp_path))
    assert [c.token for c in fake_slack.calls] == [SLACK_TOKEN]


def test_the_deployments_token_alone(fake_slack, pod_secrets, tmp_path):
    fake_slack.token = "xoxb-deployment"
    pod_secrets({"ARGO_SCHEDULER_SECRET_SLACK_TOKEN": "xoxb-deployment"})
    notifier(fake_slack, token_secret="slack", channel="#general").notify(event(tmp_path))
    assert fake_slack.messages


def test_missing_token_or_channel_is_a_clear_error(fake_slack, pod_secrets, tmp_path):
    with pytest.raises(NotifierError, match="no Slack token: set c.SlackNotifier.token_secret"):
        notifier(fake_slack, channel="#general").notify(event(tmp_path))
    pod_secrets(JOB_TOKEN)
    with pytest.raises(NotifierError, match="no Slack channel: set c.SlackNotifier.channel"):
        notifier(fake_slack).notify(event(tmp_path))
    assert fake_slack.calls == []


def test_a_refused_token_is_reported_without_the_token(fake_slack, pod_secrets, tmp_path, caplog):
    # GIVEN a token Slack does not accept
    pod_secrets({"ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN": "xoxb-revoked-secret"})
    caplog.set_level(logging.DEBUG)
    # WHEN notified THEN the error names Slack's reason, and no log line or message holds the token
    with pytest.raises(NotifierError, match="invalid_auth") as raised:
        notifier(fake_slack, channel="#general").notify(event(tmp_path, html=HTML))
    assert "xoxb-revoked-secret" not in str(raised.value)
    assert "xoxb-revoked-secret" not in caplog.text


def test_pod_env_references_secrets_and_never_holds_values():
    # GIVEN the server half with a deployment Secret
    slack = SlackNotifier(config=Config({"SlackNotifier": {"token_secret": "slack-bot", "token_secret_key": "bot"}}))
    spec = RunSpec(name="r", input_filename="r.ipynb", input_path="/s/r.ipynb", staging_path="/s",
                   job_id="5b0f3c0e-0000-4000-8000-000000000001", job_definition_id="d7c1e2a4-0000-4000-8000-000000000002")
    # WHEN it wires the pod
    env = ApiClient().sanitize_for_serialization(slack.pod_env(spec))
    # THEN only references: the job's and the definition's per-job Secrets (optional), and the deployment's
    assert env == [
        {"name": "ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN", "valueFrom": {"secretKeyRef": {
            "name": "argo-scheduler-5b0f3c0e-0000-4000-8000-000000000001", "key": "SLACK_TOKEN", "optional": True}}},
        {"name": "ARGO_SCHEDULER_SECRET_DEFINITION_PARAMETER_SLACK_TOKEN", "valueFrom": {"secretKeyRef": {
            "name": "argo-scheduler-d7c1e2a4-0000-4000-8000-000000000002", "key": "SLACK_TOKEN", "optional": True}}},
        {"name": "ARGO_SCHEDULER_SECRET_SLACK_TOKEN", "valueFrom": {"secretKeyRef": {"name": "slack-bot", "key": "bot"}}},
    ]
    # AND its pod config is plain JSON settings
    assert json.loads(json.dumps(slack.pod_config()))["token_secret"] == "slack-bot"


def test_the_default_base_url_is_slack_sdks():
    from slack_sdk import WebClient

    assert SlackNotifier().base_url == WebClient.BASE_URL
