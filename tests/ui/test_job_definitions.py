"""A person schedules a notebook in the UI, and pauses, resumes, edits, runs and deletes the schedule."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scheduler_ui import FINAL, SchedulerUI

pytestmark = pytest.mark.slow


def test_a_definition_every_minute_runs_and_is_paused_resumed_edited_run_and_deleted(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "nightly.ipynb")
    ui.open_notebook("nightly.ipynb")
    # GIVEN a job definition made in the form: every minute, n=3
    ui.create_job_from_notebook_toolbar("nightly.ipynb")
    ui.add_parameter("n", "3")
    ui.run_on_schedule("Minute")
    page.shots("create-definition-form", docs=True)
    answer = ui.submit("scheduler/job_definitions")
    assert answer["status"] == 200, answer
    definition_id = answer["body"]["job_definition_id"]
    assert lab.cron(definition_id)["schedules"] == ["* * * * *"]
    # WHEN a minute passes, THEN a run of it is listed among the jobs and completes
    ui.list_tab("Jobs")
    ui.reload_until("nightly", lambda statuses: "Completed" in statuses, timeout=150)
    runs = [j for j in lab.jobs() if j["job_definition_id"] == definition_id]
    assert runs and runs[0]["parameters"] == {"n": "3"}
    page.shots("definition-run-listed")
    # WHEN the person opens the definition
    ui.list_tab("Job Definitions")
    ui.open_definition("nightly")
    # THEN its detail lists its runs too
    ui.reload_until("nightly", lambda statuses: "Completed" in statuses)
    page.shots("definition-detail", docs=True)
    # AND presses Pause
    page.get_by_role("button", name="Pause").click()
    # THEN it is paused, here and in the engine
    page.get_by_role("button", name="Resume").wait_for()
    assert lab.api("GET", f"scheduler/job_definitions/{definition_id}")["active"] is False
    assert lab.cron(definition_id)["suspend"] is True
    # WHEN the person presses Resume, THEN it runs again
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Pause").wait_for()
    assert lab.api("GET", f"scheduler/job_definitions/{definition_id}")["active"] is True
    assert lab.cron(definition_id)["suspend"] is False
    # WHEN the person edits the schedule to 06:30 on weekdays
    page.get_by_role("button", name="Edit Job Definition").click()
    ui.choose("interval", "Custom schedule")
    page.locator("input[name='schedule']").fill("30 6 * * 1-5")
    page.shots("edit-definition", docs=True)
    with page.expect_response(lambda r: r.request.method == "PATCH" and definition_id in r.url) as patched:
        page.get_by_role("button", name="Save Changes").click()
    assert patched.value.status == 204, patched.value.text()
    # THEN the definition and its CronWorkflow have the new schedule, still active
    page.get_by_role("button", name="Edit Job Definition").wait_for()
    definition = lab.api("GET", f"scheduler/job_definitions/{definition_id}")
    assert (definition["schedule"], definition["active"]) == ("30 6 * * 1-5", True)
    assert lab.cron(definition_id)["schedules"] == ["30 6 * * 1-5"]
    # WHEN the person presses Run Job and changes n to 5
    page.get_by_role("button", name="Run Job").click()
    page.get_by_role("heading", name="Create Job from Job Definition").wait_for()
    page.shots("run-job-from-definition", docs=True)
    ui.fill("parameter-0-value", "5")
    runs_before = len([j for j in lab.jobs() if j["job_definition_id"] == definition_id])
    answer = ui.submit(f"scheduler/job_definitions/{definition_id}/jobs")
    assert answer["status"] == 200, answer
    # THEN one more run of it is listed, and they all end Completed
    statuses = ui.reload_until("nightly", lambda s: len(s) > runs_before and all(x in FINAL for x in s))
    assert set(statuses) == {"Completed"}
    # AND the new one ran with n=5
    job = lab.job(answer["body"]["job_id"])
    assert (job["job_definition_id"], job["parameters"]) == (definition_id, {"n": "5"})
    # WHEN the person deletes the definition
    ui.list_tab("Job Definitions")
    ui.open_definition("nightly")
    page.get_by_role("button", name="Delete Job Definition").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    # THEN it is gone from the list, the API and the engine
    expect(ui.row("nightly")).to_have_count(0)
    assert definition_id not in [d["job_definition_id"] for d in lab.definitions()]
    assert lab.cron(definition_id) is None
