"""A person creates jobs in JupyterLab's scheduler UI, and finds their outcome and outputs there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from scheduler_ui import SchedulerUI

pytestmark = pytest.mark.slow


def test_a_job_with_a_parameter_completes_and_its_downloaded_outputs_show_the_parameter(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "report.ipynb")
    # GIVEN the notebook open in JupyterLab
    ui.open_notebook("report.ipynb")
    page.shots("notebook-open")
    # WHEN the person creates a job from its toolbar, with n=7 and ipynb+html
    ui.create_job_from_notebook_toolbar("report.ipynb")
    page.shots("create-job-form", docs=True)
    ui.fill("jobName", "weekly report")
    ui.add_parameter("n", "7")
    assert ui.checked_formats() == ["ipynb", "html"]
    page.shots("create-job-filled", docs=True)
    answer = ui.submit()
    assert answer["status"] == 200, answer
    job_id = answer["body"]["job_id"]
    # THEN the job is listed, and Completed after Reload
    assert ui.reload_until("weekly report") == ["Completed"], lab.job(job_id)
    page.shots("job-list-completed", docs=True)
    # AND its detail downloads the outputs, a notebook and an HTML page
    ui.open_job("weekly report")
    links = ui.download_job_files()
    page.shots("job-detail-downloaded", docs=True)
    assert sorted(links) == ["HTML", "Notebook"], list(links)
    # WHEN the person opens the notebook output
    links["Notebook"].click()
    # THEN it shows the run with n=7: the parameter arrived as an int
    notebook = page.locator(".jp-NotebookPanel:visible")
    expect(notebook.locator(".jp-OutputArea-output").filter(has_text="PARAMETERS")).to_contain_text('"n": ["int", 7]')
    expect(notebook.locator(".jp-OutputArea-output").last).to_contain_text("0.7")
    page.shots("output-notebook", docs=True)
    # WHEN the person goes back to the job and opens the HTML output
    page.locator(".lm-TabBar-tab", has_text="Jobs").click()
    links = {link.inner_text(): link for link in page.locator("a[title^='Open output file']").all()}
    links["HTML"].click()
    # THEN JupyterLab's HTML viewer shows the same run
    frame = page.frame_locator(".jp-HTMLViewer:visible iframe")
    expect(frame.locator("body")).to_contain_text('"n": ["int", 7]')
    page.shots("output-html")


def test_a_failing_notebook_created_from_the_file_browser_fails_with_its_exception_in_the_detail(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("divide_by_zero.ipynb", "broken.ipynb")
    # GIVEN a notebook that divides by zero, in the file browser
    ui.open_lab()
    # WHEN the person creates a job from its context menu with the form's defaults
    ui.create_job_from_file_browser("broken.ipynb")
    ui.fill("jobName", "broken run")
    answer = ui.submit()
    assert answer["status"] == 200, answer
    # THEN it ends Failed
    assert ui.reload_until("broken run") == ["Failed"]
    # AND its detail says which exception, in which cell
    ui.open_job("broken run")
    message = ui.detail_alert()
    page.shots("job-detail-failed", docs=True)
    assert "ZeroDivisionError: division by zero (in cell In [2])" in message, message
    assert lab.job(answer["body"]["job_id"])["status_message"] == message


def test_a_job_created_with_the_forms_defaults_completes(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "defaults.ipynb")
    ui.open_notebook("defaults.ipynb")
    # WHEN the person opens the form and presses Create without changing anything
    ui.create_job_from_notebook_toolbar("defaults.ipynb")
    defaults = {"environment": page.locator("#jp-create-job-environment").inner_text(),
                "compute type": page.locator("#jp-create-job-computeType").inner_text(),
                "formats": ui.checked_formats()}
    answer = ui.submit()
    assert answer["status"] == 200, answer
    # THEN the job completes with what the form showed
    assert ui.reload_until("defaults") == ["Completed"], lab.job(answer["body"]["job_id"])
    job = lab.job(answer["body"]["job_id"])
    assert defaults == {"environment": job["runtime_environment_name"], "compute type": job["compute_type"],
                        "formats": job["output_formats"]}
    assert defaults == {"environment": "scipy", "compute type": "small", "formats": ["ipynb", "html"]}


def test_a_format_that_cannot_be_made_here_is_refused_in_the_form_and_nothing_is_created(page, lab):
    ui = SchedulerUI(page, lab)
    lab.add_notebook("parameters.ipynb", "printable.ipynb")
    ui.open_notebook("printable.ipynb")
    ui.create_job_from_notebook_toolbar("printable.ipynb")
    # GIVEN an environment configured for webpdf, on a server without Playwright's Chromium
    ui.choose_environment("printing")
    # WHEN the person presses Create with its formats, as the form pre-checks them
    assert ui.checked_formats() == ["ipynb", "webpdf"]
    jobs_before = lab.jobs()
    answer = ui.submit()
    # THEN the form shows why, with what to install
    assert answer["status"] >= 400
    alert = page.locator(".MuiAlert-standardError").filter(has_text="webpdf")
    expect(alert).to_contain_text("output format 'webpdf' cannot be made on this machine: it needs Playwright's Chromium")
    page.shots("form-refused", docs=True)
    # AND nothing was created
    assert lab.jobs() == jobs_before
