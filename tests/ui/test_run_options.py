"""The extension's fields in the Create Job form (labextension/): what a person sets there reaches the run."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scheduler_ui import SchedulerUI

pytestmark = pytest.mark.slow


def run_template(manifest: dict) -> dict:
    return next(t for t in manifest["spec"]["templates"] if t["name"] == "run")


def test_timeout_retries_backoff_and_cell_timeout_set_in_the_form_reach_the_manifest(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "limited.ipynb")
    ui.open_notebook("limited.ipynb")
    # GIVEN the form, its additional options open
    ui.create_job_from_notebook_toolbar("limited.ipynb")
    ui.open_additional_options()
    page.shots("additional-options", docs=True)
    # WHEN the person sets a timeout, retries, a backoff and a per-cell timeout
    ui.set_option("timeout_seconds", "900")
    ui.set_option("retries", "2")
    ui.set_option("retry_backoff_seconds", "5")
    ui.set_option("cell_timeout_seconds", "120")
    page.shots("additional-options-filled", docs=True)
    answer = ui.submit()
    assert answer["status"] == 200, answer
    job_id = answer["body"]["job_id"]
    # THEN the job keeps them (jupyter-scheduler's model reads the form's text as numbers)
    assert lab.job(job_id)["runtime_environment_parameters"] == {
        "timeout_seconds": 900, "retries": 2, "retry_backoff_seconds": 5, "cell_timeout_seconds": 120}
    # AND its Workflow has the deadline, the retry strategy and the cell timeout
    assert ui.reload_until("limited") == ["Completed"], lab.job(job_id)
    manifest = lab.manifest(job_id)
    assert manifest["spec"]["activeDeadlineSeconds"] == 900
    run = run_template(manifest)
    assert run["retryStrategy"] == {"limit": 2, "retryPolicy": "Always", "backoff": {"duration": "5", "factor": 2}}
    arguments = run["container"]["args"]
    assert arguments[arguments.index("--cell-timeout") + 1] == "120"


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
    # WHEN the person corrects it to a value with a unit
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
    # WHEN the person gives an idempotency token and two tags, and deletes one of them
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
    expect(page.get_by_test_id("argo-idempotency-token")).to_have_text("nightly-2026-12-03")
    expect(page.get_by_test_id("argo-tags")).to_have_text("finance, weekly")
