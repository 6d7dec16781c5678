"""What a person does in jupyter-scheduler's UI, as Playwright steps: open, fill, press, read.

Only the UI drives; the REST API (Lab.api) is for the tests to cross-check.
Waits are on selectors and responses; the one loop is pressing Reload, as a
person does, because the job list does not poll.
"""

from __future__ import annotations

import json
import re
import time

from playwright.sync_api import Page, expect

FORM = "form.jp-create-job-form"
FINAL = ("Completed", "Failed", "Stopped")
# The ids of the extension's fields: this prefix and the runtime_environment_parameters key.
OPTION = "jp-argo-scheduler-"


class SchedulerUI:
    def __init__(self, page: Page, lab):
        self.page, self.lab = page, lab

    # ---- JupyterLab -----------------------------------------------------

    def open_lab(self, path: str = "") -> None:
        where = f"lab/tree/{path}" if path else "lab"
        self.page.goto(f"{self.lab.url}/{where}?token={self.lab.token}&reset")
        self.page.locator("#jp-main-dock-panel").wait_for()
        # The file browser lists the root once the contents API answered.
        self.page.locator(".jp-DirListing-content").wait_for()

    def open_notebook(self, name: str) -> None:
        self.open_lab(name)
        self.page.locator(".jp-NotebookPanel-toolbar").wait_for()
        # jupyter-scheduler's toolbar button takes the file browser's selected
        # file, not the notebook's: it is right once the browser has selected
        # the opened notebook, which it does a moment after opening it.
        self.page.locator(f".jp-DirListing-item.jp-mod-selected[title^='Name: {name}']").wait_for()

    def file_item(self, name: str):
        return self.page.locator(f".jp-DirListing-item[title^='Name: {name}']")

    # ---- the Create Job form --------------------------------------------

    def create_job_from_notebook_toolbar(self, name: str) -> None:
        self.page.locator(".jp-NotebookPanel-toolbar [data-command='scheduling:create-from-notebook']").click()
        self.wait_form()
        expect(self.page.locator("#jp-create-job-inputFile")).to_have_value(name)

    def create_job_from_file_browser(self, name: str) -> None:
        self.page.locator("#filebrowser").get_by_text(name, exact=True).click(button="right")
        self.page.locator(".lm-Menu-item[data-command='scheduling:create-from-filebrowser']").click()
        self.wait_form()
        expect(self.page.locator("#jp-create-job-inputFile")).to_have_value(name)

    def wait_form(self) -> None:
        self.page.locator(FORM).wait_for()
        # The environments have been listed when the output formats show.
        self.page.locator(f"{FORM} input[type=checkbox][id^='jp-create-job-outputFormat-']").first.wait_for()

    def fill(self, field: str, value: str) -> None:
        # The Jobs panel shows one form at a time (create, or create from a definition).
        field = self.page.locator(f"input[name='{field}']")
        field.fill(value)
        # The form validates a field when it loses focus, as when a person tabs on.
        field.blur()

    def add_parameter(self, name: str, value: str) -> None:
        index = self.page.locator(f"{FORM} input[name$='-name'][name^='parameter-']").count()
        self.page.locator(FORM).get_by_role("button", name="Add new parameter").click()
        self.fill(f"parameter-{index}-name", name)
        self.fill(f"parameter-{index}-value", value)

    def choose(self, select_id: str, option: str) -> None:
        """An MUI select: open its list, press the option whose text is `option`."""
        self.page.locator(f"#{select_id}").click()
        self.page.locator("ul[role=listbox] li[role=option]").get_by_text(option, exact=True).click()
        expect(self.page.locator(f"#{select_id}")).to_have_text(option)

    def choose_environment(self, name: str) -> None:
        self.choose("jp-create-job-environment", name)

    def choose_compute_type(self, name: str) -> None:
        self.choose("jp-create-job-computeType", name)

    def environment_option_titles(self) -> dict[str, str]:
        """Each environment the picker offers, with its tooltip (the item's title)."""
        self.page.locator("#jp-create-job-environment").click()
        options = self.page.locator("ul[role=listbox] li[role=option]")
        options.first.wait_for()
        titles = {options.nth(i).inner_text(): options.nth(i).get_attribute("title") or "" for i in range(options.count())}
        self.page.keyboard.press("Escape")
        return titles

    def set_format(self, fmt: str, checked: bool) -> None:
        self.page.locator(f"#jp-create-job-outputFormat-{fmt}").set_checked(checked)

    def checked_formats(self) -> list[str]:
        boxes = self.page.locator(f"{FORM} input[type=checkbox][id^='jp-create-job-outputFormat-']")
        return [boxes.nth(i).get_attribute("value") for i in range(boxes.count()) if boxes.nth(i).is_checked()]

    def submit(self, path: str = "scheduler/jobs") -> dict:
        """Press Create; the server's answer to the form's POST to `path`."""
        with self.page.expect_response(
            lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path)
        ) as answer:
            self.page.get_by_role("button", name="Create", exact=True).click()
        response = answer.value
        return {"status": response.status, "body": json.loads(response.text() or "null")}

    def run_on_schedule(self, interval: str = "Minute") -> None:
        self.page.get_by_label("Run on a schedule").check()
        self.choose("jp-create-job-createType-definition-interval", interval)

    # ---- the job list and detail ----------------------------------------

    def row(self, name: str):
        first_cell = self.page.locator("td:first-child", has_text=re.compile(f"^{re.escape(name)}$"))
        return self.page.locator("tbody tr", has=first_cell)

    def statuses(self, name: str) -> list[str]:
        """The Status column of every listed job named `name`, top to bottom."""
        return [row.locator("td").nth(4).inner_text() for row in self.row(name).all()]

    def reload_until(self, name: str, until=None, timeout: float = 180) -> list[str]:
        """Press Reload until the statuses of the jobs named `name` satisfy `until`
        (default: one job, finished); those statuses."""
        until = until or (lambda statuses: len(statuses) == 1 and statuses[0] in FINAL)
        deadline = time.monotonic() + timeout
        while True:
            with self.page.expect_response(lambda r: "/scheduler/jobs" in r.url and r.request.method == "GET"):
                self.page.get_by_role("button", name="Reload", exact=True).click()
            statuses = self.statuses(name)
            if until(statuses):
                return statuses
            if time.monotonic() > deadline:
                raise AssertionError(f"jobs named {name!r}: {statuses or 'none listed'} after {timeout} s")
            self.page.wait_for_timeout(1000)  # a person's pause between presses of Reload

    def open_job(self, name: str) -> None:
        self.row(name).locator("td").first.get_by_text(name, exact=True).click()
        self.page.get_by_role("heading", name="Job Detail").wait_for()

    def open_definition(self, name: str) -> None:
        self.row(name).locator("td").first.get_by_text(name, exact=True).click()
        self.page.get_by_role("button", name="Edit Job Definition").wait_for()

    def download_job_files(self) -> dict[str, object]:
        """Press Download Job Files; the detail's output file links, by file name, once they show."""
        self.page.get_by_role("button", name="Download Job Files").click()
        links = self.page.locator("a[title^='Open output file']")
        # The detail reloads itself 5 s after the download was asked for.
        links.first.wait_for(timeout=60_000)
        return {links.nth(i).inner_text(): links.nth(i) for i in range(links.count())}

    def detail_alert(self) -> str:
        """The error alert of the job detail: its status message."""
        alert = self.page.locator(".MuiAlert-standardError")
        alert.first.wait_for()
        return alert.first.inner_text()

    def list_tab(self, name: str) -> None:
        """The list's own tabs, "Jobs" and "Job Definitions" (not JupyterLab's "Jobs" main-area tab)."""
        self.page.locator("button[role=tab]", has_text=re.compile(f"^{re.escape(name)}$")).click()

    # ---- argo_scheduler's additional options (labextension/) -------------

    def open_additional_options(self) -> None:
        """Expand the form's "Additional options", where the extension's fields are."""
        summary = self.page.locator(f"{FORM} #panel-header")
        if summary.get_attribute("aria-expanded") != "true":
            summary.click()
        self.page.locator(f"#{OPTION}timeout_seconds").wait_for()

    def set_option(self, key: str, value: str) -> None:
        """A text field of the extension, by its runtime_environment_parameters key."""
        self.fill(key, value)

    def option_help(self, key: str):
        """The helper text under a field: the server's default and limit."""
        return self.page.locator(f"#{OPTION}{key}-helper-text")

    def choose_option(self, key: str, option: str) -> None:
        self.choose(f"{OPTION}{key}", option)

    def notify_on(self, event: str, checked: bool) -> None:
        self.page.locator(f"#{OPTION}notify-{event}").set_checked(checked)

    def notify_checked(self) -> list[str]:
        return [event for event in ("success", "failure")
                if self.page.locator(f"#{OPTION}notify-{event}").is_checked()]

    def run(self, test_id: str):
        """A part of the run's panel in the job detail: argo-progress, argo-log, argo-attempts, …"""
        return self.page.get_by_test_id(test_id)

    def attempts(self) -> list[str]:
        """Each attempt's line in the job detail, first to last."""
        return [item.inner_text() for item in self.page.locator("[data-testid^='argo-attempt-']").all()]

    def log_text(self) -> str:
        return self.run("argo-log").locator("pre").inner_text()
