"""Job parameters that belong to notifiers: withheld from the notebook, given to notifiers — secret ones to none."""

from __future__ import annotations

import json

from notifier_helpers import Receiver, event

from argo_scheduler.runtime.events import notify
from argo_scheduler.runtime.notifying import for_notebook, pod_notifiers
from argo_scheduler.spec import RunSpec


def spec(url: str, parameters: dict[str, str]) -> RunSpec:
    return RunSpec(
        name="report", input_filename="report.ipynb", input_path="/s/d/report.ipynb", staging_path="/s",
        job_definition_id="d-1", parameters=parameters,
        notifiers=[{"name": "slack", "config": {"timeout": 5}},
                   {"name": "webhook", "config": {"url": url, "timeout": 5}}],
    )


def test_the_notebook_gets_its_own_parameters_and_notifiers_theirs_without_secrets(tmp_path):
    receiver = Receiver([200])
    try:
        # GIVEN a cron run: SLACK_CHANNEL addresses the slack notifier; a SLACK_TOKEN left by an older
        # scheduler in the definition's parameters (and so in the record) is a secret
        run = spec(receiver.url, {"n": "2", "SLACK_CHANNEL": "#reports", "SLACK_TOKEN": "xoxb-legacy"})
        # THEN papermill gets the notebook's parameters only
        assert for_notebook(run).parameters == {"n": "2"}
        # WHEN the notifiers run with the event of a record made from those parameters
        finished = event(tmp_path, parameters={"n": "2", "SLACK_TOKEN": "xoxb-legacy"})
        notify(pod_notifiers(run), finished)
        # THEN the webhook got SLACK_CHANNEL back from the run spec, and never the token
        [request] = receiver.requests
        body = json.loads(request["body"])
        assert body["parameters"] == {"SLACK_CHANNEL": "#reports", "n": "2"}
        assert b"xoxb-legacy" not in request["body"]
    finally:
        receiver.close()


def test_without_notifiers_every_parameter_is_the_notebooks():
    run = RunSpec(name="r", input_filename="r.ipynb", input_path="/s/r.ipynb", staging_path="/s",
                  parameters={"SLACK_CHANNEL": "#mine"})
    assert for_notebook(run) is run
