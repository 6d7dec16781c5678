"""Manifests with notifiers configured: Argo's schema accepts them, the local engine runs them, and they hold references only."""

from __future__ import annotations

import json

import pytest
from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition

from argo_scheduler.engines.local import cron as local_cron, manifest as local_manifest

JOB_ID = "5b0f3c0e-0000-4000-8000-000000000001"
DEFINITION_ID = "d7c1e2a4-0000-4000-8000-000000000002"


@pytest.fixture
def scheduler(make_scheduler):
    config = {
        "SlackNotifier": {"token_secret": "slack-bot"},
        "WebhookNotifier": {"url_secret": "teams-webhook"},
        "EmailNotifier": {"host": "smtp.example.com", "sender": "jobs@example.com", "to": ["team@example.com"],
                          "credentials_secret": "smtp-credentials"},
    }
    return make_scheduler(config, engine="local", notifiers=["slack", "webhook", "email"])


def env_of(manifest: dict, workflow_spec_key: str = "spec") -> dict[str, dict]:
    spec = manifest["spec"] if workflow_spec_key == "spec" else manifest["spec"]["workflowSpec"]
    templates = {t["name"]: t for t in spec["templates"]}
    run, record = templates["run"]["container"]["env"], templates["record-failure"]["container"]["env"]
    # The exit handler's pod runs the notifiers too: it gets the same env.
    assert run == record
    return {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in run}


def test_a_job_manifest_references_every_notifiers_secrets(scheduler, argo_schema_validator):
    job = DescribeJob(job_id=JOB_ID, name="report", input_filename="report.ipynb", runtime_environment_name="python3",
                      output_formats=["ipynb", "html"], parameters={"SLACK_CHANNEL": "#reports"}, status="CREATED",
                      create_time=1767600000000, update_time=1767600000000, url="", job_files=[], downloaded=False)
    manifest = scheduler.render_job(job)
    # THEN Argo's schema accepts it, and the local engine can run it
    argo_schema_validator(manifest)
    local_manifest.parse(manifest)
    # AND each secret is a reference: the deployment's Secrets, and the optional per-job one
    env = env_of(manifest)
    assert {k: v for k, v in env.items() if k.startswith("ARGO_SCHEDULER_SECRET_")} == {
        "ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN": {"name": f"argo-scheduler-{JOB_ID}", "key": "SLACK_TOKEN", "optional": True},
        "ARGO_SCHEDULER_SECRET_SLACK_TOKEN": {"name": "slack-bot", "key": "token"},
        "ARGO_SCHEDULER_SECRET_WEBHOOK_URL": {"name": "teams-webhook", "key": "url"},
        "ARGO_SCHEDULER_SECRET_EMAIL_USERNAME": {"name": "smtp-credentials", "key": "username"},
        "ARGO_SCHEDULER_SECRET_EMAIL_PASSWORD": {"name": "smtp-credentials", "key": "password"},
    }
    # AND the run spec carries the notifiers' settings, names of Secrets only
    spec = json.loads(manifest["spec"]["arguments"]["parameters"][0]["value"])
    assert [n["name"] for n in spec["notifiers"]] == ["slack", "webhook", "email"]
    assert spec["notifiers"][0]["config"]["token_secret"] == "slack-bot"


def test_a_cron_manifest_references_its_definitions_secret(scheduler, argo_schema_validator):
    definition = DescribeJobDefinition(
        job_definition_id=DEFINITION_ID, name="nightly", input_filename="report.ipynb",
        runtime_environment_name="python3", output_formats=["ipynb"], schedule="0 6 * * *", timezone="UTC",
        create_time=1767600000000, update_time=1767600000000, active=True,
    )
    manifest = scheduler.render_definition(definition)
    argo_schema_validator(manifest)
    local_cron.parse(manifest)
    env = env_of(manifest, "workflowSpec")
    # Its runs have no job id yet: only the definition's Secret can hold a SLACK_TOKEN
    assert env["ARGO_SCHEDULER_SECRET_DEFINITION_PARAMETER_SLACK_TOKEN"] == {
        "name": f"argo-scheduler-{DEFINITION_ID}", "key": "SLACK_TOKEN", "optional": True}
    assert "ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN" not in env
