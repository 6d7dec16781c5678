"""argo_scheduler's own options in the Create Job form (labextension/): what a person sets there reaches the run.

This module's JupyterLab has the Slack notifier, pointed at the fake Slack,
with two channels a job may pick.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from lab import Lab
from scheduler_ui import SchedulerUI

from support.fake_slack import FakeSlack

pytestmark = pytest.mark.slow

SLACK_TOKEN = "xoxb-ui-tests-5d1e"
SLACK_SECRET = "slack-bot"


@pytest.fixture(scope="module")
def slack():
    with FakeSlack(token=SLACK_TOKEN) as fake:
        yield fake


@pytest.fixture(scope="module")
def lab(tmp_path_factory, slack):
    lab = Lab(tmp_path_factory.mktemp("lab"), config={
        "ArgoScheduler": {"notifiers": ["slack"]},
        "SlackNotifier": {
            "base_url": slack.base_url, "token_secret": SLACK_SECRET, "channel": "#reports",
            "allowed_channels": ["#general"], "events": ["failure"],
        },
    })
    # The administrator's Secret with the bot token, which the pod reads by reference.
    lab.put_secret(SLACK_SECRET, {"token": SLACK_TOKEN})
    lab.start()
    yield lab
    lab.stop()
    from argo_scheduler.engines.local.agent_control import stop_agent

    stop_agent(str(lab.state_dir))


def run_template(workflow_spec: dict) -> dict:
    return next(t for t in workflow_spec["templates"] if t["name"] == "run")


def run_spec(manifest: dict) -> dict:
    return json.loads(next(p["value"] for p in manifest["spec"]["arguments"]["parameters"] if p["name"] == "spec"))


def test_timeout_retries_and_a_notification_set_in_the_form_reach_the_manifest_and_slack(page, lab, slack):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "limited.ipynb")
    ui.open_notebook("limited.ipynb")
    # GIVEN the form, its additional options open: the server's defaults and limits under each field
    ui.create_job_from_notebook_toolbar("limited.ipynb")
    ui.open_additional_options()
    expect(ui.option_help("retries")).to_have_text(
        "Empty: the server's default, 0 (no retry); 0: no retry; at most 10")
    # AND Slack's configured events (failure) and channels
    assert ui.notify_checked() == ["failure"]
    page.locator("#jp-argo-scheduler-notify_slack_channel").scroll_into_view_if_needed()
    page.shots("additional-options", docs=True)
    # WHEN the person sets a timeout, retries, a backoff, a per-cell timeout,
    # to be told of success too, in another allowed channel
    ui.set_option("timeout_seconds", "900")
    ui.set_option("retries", "2")
    ui.set_option("retry_backoff_seconds", "5")
    ui.set_option("cell_timeout_seconds", "120")
    ui.notify_on("success", True)
    ui.choose_option("notify_slack_channel", "#general")
    ui.set_format("html", False)
    page.locator("#jp-argo-scheduler-notify_slack_channel").scroll_into_view_if_needed()
    page.shots("additional-options-filled", docs=True)
    answer = ui.submit()
    assert answer["status"] == 200, answer
    job_id = answer["body"]["job_id"]
    # THEN the job keeps them (jupyter-scheduler's model reads the form's numbers as numbers)
    assert lab.job(job_id)["runtime_environment_parameters"] == {
        "timeout_seconds": 900, "retries": 2, "retry_backoff_seconds": 5, "cell_timeout_seconds": 120,
        "notify_on": "success,failure", "notify_slack_channel": "#general"}
    # AND its Workflow has the deadline, the retry strategy, the cell timeout and the notifier's target
    manifest = lab.manifest(job_id)
    assert manifest["spec"]["activeDeadlineSeconds"] == 900
    run = run_template(manifest["spec"])
    assert run["retryStrategy"] == {"limit": 2, "retryPolicy": "Always", "backoff": {"duration": "5", "factor": 2}}
    arguments = run["container"]["args"]
    assert arguments[arguments.index("--cell-timeout") + 1] == "120"
    assert SLACK_TOKEN not in json.dumps(manifest)
    # AND when it completes, Slack hears of its success in that channel
    assert ui.reload_until("limited") == ["Completed"], lab.job(job_id)
    slack.wait_for("chat.postMessage")
    assert [m["channel"] for m in slack.messages] == ["#general"], slack.messages
    assert "limited" in slack.messages[0]["text"]


def test_a_bad_value_shows_the_servers_message_in_the_form_and_creates_nothing(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "refused.ipynb")
    ui.open_notebook("refused.ipynb")
    ui.create_job_from_notebook_toolbar("refused.ipynb")
    ui.open_additional_options()
    # GIVEN more retries than the server allows
    ui.set_option("retries", "50")
    jobs_before = lab.jobs()
    # WHEN the person presses Create
    answer = ui.submit()
    # THEN the server refuses it, and the form shows its message
    assert answer["status"] >= 400, answer
    alert = page.locator(".MuiAlert-standardError").filter(has_text="retries")
    expect(alert).to_contain_text("retries must be between 0 and 10")
    page.shots("options-refused", docs=True)
    # AND nothing was created
    assert lab.jobs() == jobs_before
    # WHEN the person corrects it, and gives a timeout with a unit
    ui.open_additional_options()
    ui.set_option("retries", "1")
    ui.set_option("timeout_seconds", "10 min")
    answer = ui.submit()
    # THEN that is refused too, with what is allowed
    assert answer["status"] >= 400, answer
    expect(page.locator(".MuiAlert-standardError").filter(has_text="timeout_seconds")).to_contain_text(
        "timeout_seconds must be a whole number of seconds, got '10 min'")
    assert lab.jobs() == jobs_before


def test_the_idempotency_token_and_tags_of_jupyter_schedulers_own_options_still_work(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "tagged.ipynb")
    ui.open_notebook("tagged.ipynb")
    ui.create_job_from_notebook_toolbar("tagged.ipynb")
    ui.open_additional_options()
    # WHEN the person gives an idempotency token and three tags, and deletes the second
    ui.fill("idempotencyToken", "nightly-2026-12-03")
    for _ in range(3):
        page.get_by_role("button", name="Add new tag").click()
    ui.fill("tag-0", "finance")
    ui.fill("tag-1", "scratch")
    ui.fill("tag-2", "weekly")
    page.get_by_role("button", name="Delete tag 2").click()
    expect(page.locator("input[name='tag-1']")).to_have_value("weekly")
    answer = ui.submit()
    assert answer["status"] == 200, answer
    job_id = answer["body"]["job_id"]
    # THEN the job has them
    job = lab.job(job_id)
    assert (job["idempotency_token"], job["tags"]) == ("nightly-2026-12-03", ["finance", "weekly"])
    # AND its detail shows them
    ui.reload_until("tagged")
    ui.open_job("tagged")
    expect(ui.run("argo-idempotency-token")).to_have_text("nightly-2026-12-03")
    expect(ui.run("argo-tags")).to_have_text("finance, weekly")


def test_a_definitions_concurrency_policy_and_starting_deadline_reach_its_cron_workflow_and_its_detail(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "daily.ipynb")
    ui.open_notebook("daily.ipynb")
    ui.create_job_from_notebook_toolbar("daily.ipynb")
    # GIVEN a job definition, every day
    ui.run_on_schedule("Day")
    ui.open_additional_options()
    # WHEN the person forbids overlapping runs, and lets a missed run start up to 10 minutes late
    ui.choose_option("concurrency_policy", "Forbid")
    ui.set_option("starting_deadline_seconds", "600")
    ui.set_option("retries", "1")
    page.locator("#jp-argo-scheduler-starting_deadline_seconds").scroll_into_view_if_needed()
    page.shots("definition-options", docs=True)
    answer = ui.submit("scheduler/job_definitions")
    assert answer["status"] == 200, answer
    definition_id = answer["body"]["job_definition_id"]
    # THEN its CronWorkflow has them
    spec = lab.cron_manifest(definition_id)["spec"]
    assert (spec["concurrencyPolicy"], spec["startingDeadlineSeconds"]) == ("Forbid", 600)
    assert run_template(spec["workflowSpec"])["retryStrategy"]["limit"] == 1
    # AND the definition's detail shows the CronWorkflow, its next runs and the settings each run gets
    ui.list_tab("Job Definitions")
    ui.open_definition("daily")
    definition = lab.api("GET", f"argo-scheduler/job-definitions/{definition_id}")
    expect(ui.run("argo-cron-workflow").locator("code")).to_have_text(definition["cron_workflow"]["name"])
    expect(ui.run("argo-next-runs").locator("li")).to_have_count(5)
    expect(ui.run("argo-option-concurrency_policy")).to_have_text("Forbid")
    expect(ui.run("argo-option-starting_deadline_seconds")).to_have_text("600 s (10 min)")
    expect(ui.run("argo-option-retries")).to_have_text("1")
    ui.run("argo-option-retries").scroll_into_view_if_needed()
    page.shots("definition-detail-options", docs=True)
    # WHEN the person pauses it, THEN nothing is scheduled any more
    page.get_by_role("button", name="Pause").click()
    expect(ui.run("argo-next-runs")).to_have_text("none: it is paused")
    page.get_by_role("button", name="Delete Job Definition").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(ui.row("daily")).to_have_count(0)


# ---- the job's detail: the run behind it ------------------------------------


def test_a_notebook_that_fails_once_and_succeeds_on_its_retry_shows_both_attempts_in_its_detail(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("fails_first_time.ipynb", "flaky.ipynb")
    ui.open_notebook("flaky.ipynb")
    # GIVEN a notebook that fails on its first run, with one retry a second later
    ui.create_job_from_notebook_toolbar("flaky.ipynb")
    ui.open_additional_options()
    ui.set_option("retries", "1")
    ui.set_option("retry_backoff_seconds", "1")
    answer = ui.submit()
    assert answer["status"] == 200, answer
    job_id = answer["body"]["job_id"]
    # WHEN it has run
    assert ui.reload_until("flaky") == ["Completed"], lab.job(job_id)
    ui.open_job("flaky")
    # THEN its detail shows both attempts: the first failed and why, the second succeeded
    expect(ui.run("argo-attempt-2")).to_contain_text("Attempt 2: succeeded")
    assert ui.attempts() == [
        "Attempt 1: failed — ZeroDivisionError: division by zero (in cell In [3])",
        "Attempt 2: succeeded",
    ], ui.attempts()
    # AND what it ran with, on what, and the workflow behind it (no link: the local engine has no Argo UI)
    expect(ui.run("argo-option-retries")).to_have_text("1")
    expect(ui.run("argo-option-retry_backoff_seconds")).to_have_text("1 s")
    expect(ui.run("argo-compute-type")).to_have_text("small")
    expect(ui.run("argo-output-formats")).to_have_text("ipynb, html")
    run = lab.api("GET", f"argo-scheduler/jobs/{job_id}")
    expect(ui.run("argo-workflow").locator("code")).to_have_text(run["workflow"]["name"])
    expect(ui.run("argo-workflow").locator("a")).to_have_count(0)
    # AND the log of both attempts
    assert ui.log_text().count("second time lucky") == 1, ui.log_text()
    ui.run("argo-log").scroll_into_view_if_needed()
    page.shots("job-detail-attempts", docs=True)


def test_a_slow_notebooks_log_and_progress_update_in_its_detail_while_it_runs(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("steps.ipynb", "slow.ipynb")
    ui.open_notebook("slow.ipynb")
    # GIVEN a job of five steps of 3 s each, printing as it goes
    ui.create_job_from_notebook_toolbar("slow.ipynb")
    ui.add_parameter("pause", "3")
    answer = ui.submit()
    assert answer["status"] == 200, answer
    # WHEN the person opens its detail while it runs
    ui.reload_until("slow", lambda statuses: statuses == ["In progress"])
    ui.open_job("slow")
    # THEN the log and the progress show how far it got, and move on by themselves
    log = ui.run("argo-log").locator("pre")
    expect(log).to_contain_text("step 2", timeout=60_000)
    assert "step 5" not in log.inner_text()
    progress = ui.run("argo-progress")
    expect(progress).to_contain_text(re.compile(r"Cell [1-9] of \d+ · .* so far"))
    early = progress.inner_text()
    log.scroll_into_view_if_needed()
    page.shots("job-detail-running", docs=True)
    expect(log).to_contain_text("step 5", timeout=60_000)
    expect(ui.run("argo-attempt-1")).to_have_text("Attempt 1: succeeded", timeout=60_000)
    expect(progress).not_to_contain_text("so far")
    cell, cells = map(int, re.search(r"Cell (\d+) of (\d+)", progress.inner_text()).groups())
    assert cell == cells and f"Cell {cell} of" not in early, (early, progress.inner_text())
    # AND nothing was asked of the person: the panel asked the server, and stopped once the job was final
    assert lab.job(answer["body"]["job_id"])["status"] == "COMPLETED"
