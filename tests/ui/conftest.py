"""Headless Chromium (Debian's, driven by Playwright) against a real JupyterLab on the local engine."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from lab import Lab

CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these Chromium keeps trying it.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images" / "ui"


# pytest-jupyter's autouse loop and in-process server clean-up are not wanted
# here: JupyterLab runs in its own process, and Playwright's sync API runs its
# own loop for the whole session, which pytest-jupyter's would close under it.
@pytest.fixture(autouse=True)
def jp_asyncio_loop():
    yield None


@pytest.fixture(autouse=True)
def jp_server_cleanup():
    yield


# Per module, not per session: Playwright's sync API keeps its event loop
# running while it is open, and the tests after tests/ui get pytest-jupyter's
# loop fixture, which closes the current loop and cannot close a running one.
@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        # Never a silent skip: CI must show a browser test that did not run.
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium package "
                    "(`python3 dev.py test` installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("lab")).start()
    yield lab
    lab.stop()
    from argo_scheduler.engines.local.agent_control import stop_agent

    stop_agent(str(lab.state_dir))


class Shots:
    """Screenshots of each step, in order, in one folder the failing test names."""

    def __init__(self, page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0
        self.for_docs: dict[str, Path] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, docs: bool = False) -> Path:
        """`docs`: docs/ui.md shows it as docs/images/ui/NAME.png (copied under --regen-screenshots)."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path))
        if docs:
            self.for_docs[name] = path
        return path


@pytest.fixture
def page(browser, lab, request, tmp_path_factory):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    page.shots = Shots(page, tmp_path_factory.getbasetemp() / "screenshots" / name)
    yield page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        try:
            page.shots("at-failure")
        except Exception:  # a crashed page still has the earlier steps' shots
            pass
        print(f"\nscreenshots of each step: {page.shots.folder}\njupyter lab's log: {lab.log_path}\n{lab.log_tail(30)}")
    elif request.config.getoption("--regen-screenshots"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for name, shot in page.shots.for_docs.items():
            shutil.copy(shot, DOCS_IMAGES / f"{name}.png")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
