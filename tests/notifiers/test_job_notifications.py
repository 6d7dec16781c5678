"""A job's own notifications: which events, and per-notifier targets within what the administrator allows.

Checked once by the scheduler for every submission (run_options), carried to
the pod in the run spec's notifier entries, honoured by the pod half.
"""

from __future__ import annotations

import pytest
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJob, CreateJobDefinition, DescribeJob, UpdateJobDefinition
from jupyter_scheduler.orm import Job, JobDefinition

from argo_scheduler.spec import RunSpec

JOB_ID = "5b0f3c0e-0000-4000-8000-0000000000aa"
# What the administrator configured: Slack and e-mail, each with the targets a job may choose.
NOTIFIER_CONFIG = {
    "SlackNotifier": {"token_secret": "slack-bot", "channel": "#alerts", "allowed_channels": ["#data", "C0123ABCD"]},
    "EmailNotifier": {"host": "smtp.example.com", "sender": "jobs@example.com", "to": ["team@example.com"],
                      "allowed_recipient_domains": ["example.com"], "events": ["failure"]},
}


@pytest.fixture
def make_scheduler(make_scheduler):
    """make_scheduler(notifiers): on the local engine, running those of the configured notifiers."""
    return lambda notifiers=("slack", "email"): make_scheduler(NOTIFIER_CONFIG, engine="local", notifiers=list(notifiers))


@pytest.fixture
def scheduler(make_scheduler):
    return make_scheduler()


def job(**fields) -> DescribeJob:
    return DescribeJob(job_id=JOB_ID, name="report", input_filename="report.ipynb", runtime_environment_name="python3",
                       output_formats=["ipynb"], status="CREATED", create_time=1767600000000,
                       update_time=1767600000000, url="", job_files=[], downloaded=False, **fields)


def notifier_entries(manifest: dict) -> dict[str, dict]:
    [parameter] = manifest["spec"]["arguments"]["parameters"]
    return {entry["name"]: entry for entry in RunSpec.from_json(parameter["value"]).notifiers}


def test_a_jobs_events_and_targets_reach_its_run_spec(scheduler, argo_schema_validator):
    # GIVEN a job that wants to hear of success only, in its own channel and mailbox
    manifest = scheduler.render_job(job(runtime_environment_parameters={
        "notify_on": "success", "notify_slack_channel": "#Data", "notify_email_to": "ana@example.com, bo@EXAMPLE.com",
    }))
    argo_schema_validator(manifest)
    entries = notifier_entries(manifest)
    # THEN each notifier's pod half gets the job's events and its checked target
    assert entries["slack"]["config"]["events"] == ["success"] and entries["slack"]["target"] == "#data"
    assert entries["email"]["config"]["events"] == ["success"]
    assert entries["email"]["target"] == "ana@example.com, bo@EXAMPLE.com"
    # AND a job that says nothing keeps each notifier's configured events and targets
    plain = notifier_entries(scheduler.render_job(job()))
    assert plain["slack"]["config"]["events"] == ["success", "failure"] and "target" not in plain["slack"]
    assert plain["email"]["config"]["events"] == ["failure"] and "target" not in plain["email"]


@pytest.mark.parametrize(
    ("parameters", "job_parameters", "message"),
    [
        ({"notify_on": "sometimes"}, {}, 'notify_on must be "success", "failure", "success,failure" or "none"'),
        ({"notify_on": "none,failure"}, {}, "notify_on must be"),
        ({"notify_slack_channel": "#ops"}, {}, "notify_slack_channel: #ops is not a channel allowed here; allowed: #data, C0123ABCD, #alerts"),
        ({"notify_slack_channel": "not a channel"}, {}, "notify_slack_channel: 'not a channel' is not a Slack channel"),
        ({}, {"SLACK_CHANNEL": "#random"}, "parameter SLACK_CHANNEL: #random is not a channel allowed here"),
        ({"notify_email_to": "ana@elsewhere.org"}, {}, "notify_email_to: ana@elsewhere.org is not at a domain allowed here; allowed: example.com"),
        ({"notify_email_to": "ana@example.com\nBcc: all@example.com"}, {}, "is not an e-mail address"),
        ({"notify_webhook_url": "https://x"}, {}, "notify_webhook_url: no notifier takes it (per-job targets here: notify_email_to, notify_slack_channel)"),
        ({"notify_teams_channel": "x"}, {}, "notify_teams_channel: no notifier takes it"),
        ({"notify_slack_channel": 5}, {}, "notify_slack_channel must be text"),
        ({"concurrency_policy": "Sometimes"}, {}, "concurrency_policy must be one of Allow, Forbid, Replace, got 'Sometimes'"),
        ({"starting_deadline_seconds": "-1"}, {}, "starting_deadline_seconds must be between 0 and 2592000 seconds, got -1"),
        ({"starting_deadline_seconds": "soon"}, {}, "starting_deadline_seconds must be a whole number of seconds"),
    ],
    ids=["event", "none-and-event", "channel-not-allowed", "channel-syntax", "legacy-parameter", "email-domain",
         "email-header", "no-target", "unknown-key", "not-text", "policy", "deadline-negative", "deadline-text"],
)
def test_a_bad_option_is_refused_before_anything_exists(scheduler, parameters, job_parameters, message):
    # WHEN a job with the option is submitted
    with pytest.raises(SchedulerError) as refused:
        scheduler.create_job(CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                                       runtime_environment_parameters=parameters, parameters=job_parameters))
    # THEN the one-line message names the field and what is allowed
    assert message in str(refused.value) and "\n" not in str(refused.value)
    # AND nothing was created: no record, no workflow
    with scheduler.db_session() as session:
        assert session.query(Job).count() == 0
    assert scheduler.get_engine().status() == {}


def test_a_target_for_a_notifier_not_configured_is_refused(make_scheduler):
    # GIVEN a server that notifies by Slack only
    scheduler = make_scheduler(notifiers=("slack",))
    # WHEN a job names e-mail recipients THEN it hears that the email notifier is not configured here
    with pytest.raises(SchedulerError, match="notify_email_to: the email notifier is not configured on this server"):
        scheduler.create_job(CreateJob(input_uri="report.ipynb", name="r", runtime_environment_name="python3",
                                       runtime_environment_parameters={"notify_email_to": "a@example.com"}))


def test_events_without_any_notifier_are_refused_but_none_is_fine(make_scheduler):
    scheduler = make_scheduler(notifiers=())
    with pytest.raises(SchedulerError, match="no notifier configured"):
        scheduler.check_run_settings(job(runtime_environment_parameters={"notify_on": "failure"}))
    scheduler.check_run_settings(job(runtime_environment_parameters={"notify_on": "none", "notify_slack_channel": ""}))


def test_an_update_of_a_definition_is_checked_the_same_way_and_changes_nothing_when_refused(scheduler):
    # GIVEN a definition with a channel the administrator allows (the bot's token in its Secret)
    scheduler.get_engine().put_secret("slack-bot", {"token": "xoxb-not-used"})
    definition_id = scheduler.create_job_definition(CreateJobDefinition(
        input_uri="report.ipynb", name="nightly", runtime_environment_name="python3", schedule="0 6 * * *",
        runtime_environment_parameters={"notify_slack_channel": "#data", "concurrency_policy": "Forbid"},
    ))
    cron = scheduler.cron_name(scheduler.get_job_definition(definition_id))
    # WHEN it is edited to a channel not allowed THEN the edit is refused
    with pytest.raises(SchedulerError, match="#ops is not a channel allowed here"):
        scheduler.update_job_definition(definition_id, UpdateJobDefinition(
            runtime_environment_parameters={"notify_slack_channel": "#ops"}))
    # AND the record and the CronWorkflow keep what they had
    with scheduler.db_session() as session:
        stored = session.query(JobDefinition).one().runtime_environment_parameters
    assert stored == {"notify_slack_channel": "#data", "concurrency_policy": "Forbid"}
    assert scheduler.get_engine().crons()[cron]["concurrencyPolicy"] == "Forbid"
    # WHEN it is edited to another policy THEN the CronWorkflow follows
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(
        runtime_environment_parameters={"concurrency_policy": "Replace", "starting_deadline_seconds": "120"}))
    assert scheduler.get_engine().crons()[cron]["concurrencyPolicy"] == "Replace"
    scheduler.delete_job_definition(definition_id)
