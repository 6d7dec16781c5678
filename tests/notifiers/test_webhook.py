"""WebhookNotifier against a local HTTP receiver: the body receivers accept, retries, refusals, the URL kept secret."""

from __future__ import annotations

import json
import logging
from typing import Any, Iterator

import pytest
from kubernetes.client import ApiClient
from notifier_helpers import SECRET_PATH, Receiver, event
from traitlets.config import Config

from argo_scheduler.notifiers.base import NotifierError
from argo_scheduler.notifiers.webhook import WebhookNotifier
from argo_scheduler.spec import RunSpec


@pytest.fixture
def receiver() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(*statuses: int) -> Receiver:
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for r in made:
        r.close()


def webhook(**traits) -> WebhookNotifier:
    return WebhookNotifier(config=Config({"WebhookNotifier": {"backoff_factor": 0.01, "timeout": 10, **traits}}))


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(receiver, pod_secrets, tmp_path, caplog):
    # GIVEN a receiver answering 503, 502, then 200, its URL in a Secret
    hook = receiver(503, 502, 200)
    pod_secrets({"ARGO_SCHEDULER_SECRET_WEBHOOK_URL": hook.url})
    caplog.set_level(logging.DEBUG)
    # WHEN a failed run is notified
    webhook(url_secret="hook").notify(event(tmp_path, status="FAILED", html="<p>x</p>"))
    # THEN three identical JSON POSTs reached it
    assert len(hook.requests) == 3 and len({r["body"] for r in hook.requests}) == 1
    assert hook.requests[0]["headers"]["Content-Type"] == "application/json"
    body = json.loads(hook.requests[-1]["body"])
    # AND the body has a human summary where Slack-style, Teams, Mattermost (text) and Discord (content) read it
    summary = "report — FAILED after 3 min 4 s (notebook report.ipynb)\nWhy: ZeroDivisionError: division by zero (in cell In [3])"
    assert body["text"] == body["content"] == summary
    # AND the event's fields for automations
    assert body["event"] == "job.finished" and body["status"] == "FAILED" and body["job_name"] == "report"
    assert body["parameters"] == {"n": "2"} and body["outputs"]["html"].endswith(".html")
    # AND the secret URL's path appears in no log line
    assert "s3cr3t" not in caplog.text and "127.0.0.1" in caplog.text


def test_a_plain_url_setting(receiver, pod_secrets, tmp_path):
    hook = receiver(204)
    webhook(url=hook.url).notify(event(tmp_path))
    assert [r["path"] for r in hook.requests] == [SECRET_PATH]


def test_retries_are_bounded_and_the_error_hides_the_path(receiver, pod_secrets, tmp_path):
    # GIVEN a receiver that always fails
    hook = receiver(500)
    pod_secrets({"ARGO_SCHEDULER_SECRET_WEBHOOK_URL": hook.url})
    # WHEN notified with two retries
    with pytest.raises(NotifierError) as raised:
        webhook(url_secret="hook", retries=2).notify(event(tmp_path))
    # THEN it tried three times and says so, naming the host only
    assert len(hook.requests) == 3
    message = str(raised.value)
    assert message.startswith("the webhook at http://127.0.0.1:") and "after 3 attempts: HTTP 500" in message
    assert "s3cr3t" not in message


def test_a_client_error_is_final(receiver, tmp_path):
    hook = receiver(400)
    with pytest.raises(NotifierError, match="refused the notification: HTTP 400"):
        webhook(url=hook.url).notify(event(tmp_path))
    assert len(hook.requests) == 1


def test_connection_errors_are_retried(receiver, tmp_path):
    # GIVEN a port nobody listens on
    hook = receiver(200)
    url = hook.url
    hook.close()
    with pytest.raises(NotifierError, match="did not accept the notification after 3 attempts"):
        webhook(url=url, retries=2).notify(event(tmp_path))


def test_the_server_half_needs_a_url_and_references_the_secret():
    spec = RunSpec(name="r", input_filename="r.ipynb", input_path="/s/r.ipynb", staging_path="/s", job_id="j-1")
    with pytest.raises(ValueError, match="set c.WebhookNotifier.url_secret"):
        webhook().pod_env(spec)
    env = ApiClient().sanitize_for_serialization(webhook(url_secret="teams", url_secret_key="u").pod_env(spec))
    assert env == [{"name": "ARGO_SCHEDULER_SECRET_WEBHOOK_URL",
                    "valueFrom": {"secretKeyRef": {"name": "teams", "key": "u"}}}]
