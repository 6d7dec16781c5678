"""Output formats per environment: what the form offers and pre-checks, and what a submission may ask for."""

from __future__ import annotations

import os
import stat

import pytest
from environment_helpers import COMPUTE_TYPES, IMAGES
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJob, CreateJobDefinition, ListJobsQuery
from test_submission_checks import nothing_created
from traitlets import TraitError

from argo_scheduler.checks.formats import formats_check


def offered(manager) -> dict[str, list[str]]:
    return {e.name: e.output_formats for e in manager.list_environments()}


def test_every_environment_offers_ipynb_and_html_unless_configured(make_manager):
    # GIVEN images (one with its own formats), the local kernels, and one kernel given formats by name
    images = {**IMAGES, "reports": {"image": "img:reports", "output_formats": ["ipynb", "html", "pdf"]}}
    manager = make_manager(images=images, compute_types=COMPUTE_TYPES,
                           environment_output_formats={"python3": ["ipynb", "webpdf"]})
    # WHEN the UI lists the environments
    listed = offered(manager)
    # THEN each offers what its entry says, the rest ipynb and html
    assert listed["torch-gpu"] == listed["plain"] == ["ipynb", "html"]
    assert listed["reports"] == ["ipynb", "html", "pdf"]
    assert listed["python3"] == ["ipynb", "webpdf"]


def test_the_default_formats_are_configurable(make_manager):
    manager = make_manager(images=IMAGES, compute_types=COMPUTE_TYPES, output_formats=["ipynb", "markdown"])
    assert set(map(tuple, offered(manager).values())) == {("ipynb", "markdown")}


@pytest.mark.parametrize(
    "traits, message",
    [
        ({"output_formats": ["ipynb", "docx"]}, "ArgoEnvironmentManager.output_formats: unknown output format(s) docx"),
        ({"output_formats": []}, "ArgoEnvironmentManager.output_formats offers no output format"),
        ({"environment_output_formats": {"python3": "html"}},
         "ArgoEnvironmentManager.environment_output_formats['python3'] must be a list"),
        ({"images": {"x": {"image": "i", "output_formats": ["ipynb", "odt"]}}},
         "image environment 'x': output_formats: unknown output format(s) odt"),
    ],
    ids=["unknown-default", "empty-default", "not-a-list", "unknown-in-image"],
)
def test_a_mistaken_format_stops_the_server_naming_the_setting(make_manager, traits, message):
    with pytest.raises(TraitError) as raised:
        make_manager(**traits)
    assert message in str(raised.value)


@pytest.mark.parametrize("create", ["create_job", "create_job_definition"])
def test_a_format_the_environment_does_not_offer_is_refused_and_nothing_is_created(make_scheduler, create):
    # GIVEN the default formats
    scheduler = make_scheduler(images=IMAGES, compute_types=COMPUTE_TYPES)
    # WHEN a submission asks for pdf (what the old form pre-checked)
    fields = dict(input_uri="parameters.ipynb", name="r", runtime_environment_name="python3",
                  output_formats=["ipynb", "html", "pdf"])
    model = CreateJob(**fields) if create == "create_job" else CreateJobDefinition(
        **fields, schedule="0 6 * * *", timezone="UTC")
    with pytest.raises(SchedulerError) as raised:
        getattr(scheduler, create)(model)
    # THEN the error names the format, what the environment offers and who can add it
    assert str(raised.value) == (
        "output format(s) pdf not offered by environment 'python3', which offers ipynb, html: "
        "choose among those, or ask your administrator to add them (c.ArgoEnvironmentManager.output_formats)"
    )
    nothing_created(scheduler)


@pytest.fixture
def path_without(tmp_path, monkeypatch):
    """PATH holding only this Python's folder: no xelatex, no pandoc, whatever the machine has."""
    import sys

    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "no-browsers"))


def test_a_configured_format_whose_converter_is_missing_here_is_refused_before_anything_is_created(
    make_scheduler, path_without
):
    # GIVEN an environment configured for pdf and webpdf, on a machine without TeX, pandoc or Playwright's Chromium
    scheduler = make_scheduler(environment_output_formats={"python3": ["ipynb", "pdf", "webpdf"]})
    # WHEN a job asks for them
    model = CreateJob(input_uri="parameters.ipynb", name="r", runtime_environment_name="python3",
                      output_formats=["ipynb", "pdf", "webpdf"])
    with pytest.raises(SchedulerError) as raised:
        scheduler.create_job(model)
    # THEN it is refused before the run, saying what to install for each
    message = str(raised.value)
    assert message.startswith("output format 'pdf' cannot be made on this machine: it needs XeLaTeX")
    assert "pandoc (https://pandoc.org/installing.html" in message
    assert "output format 'webpdf' cannot be made on this machine: it needs Playwright's Chromium" in message
    assert message.endswith(": install that, or choose other formats")
    nothing_created(scheduler)


def write_program(folder, name: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    "programs, formats, runs_here, status",
    [
        ([], ["ipynb", "html", "markdown", "script", "slides"], True, "ok"),
        ([], ["latex"], True, "failed"),
        (["pandoc"], ["latex", "rst", "asciidoc"], True, "ok"),
        (["pandoc"], ["pdf"], True, "failed"),
        (["pandoc", "xelatex"], ["pdf"], True, "ok"),
        ([], ["pdf", "webpdf"], False, "ok"),
    ],
    ids=["plain-formats", "latex-without-pandoc", "pandoc-formats", "pdf-without-tex", "pdf", "in-a-cluster"],
)
def test_the_converters_looked_for_are_those_nbconvert_runs(
    tmp_path, monkeypatch, path_without, programs, formats, runs_here, status
):
    # GIVEN a PATH holding just these programs
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in programs:
        write_program(bin_dir, program)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    # WHEN the formats are checked for a job that runs here, or in a cluster's image
    check = formats_check(formats, None, "python3", runs_here)
    # THEN only a missing converter on this machine fails
    assert check.status == status, check.message


def test_the_job_list_asks_nbconvert_for_its_formats_once(make_scheduler, monkeypatch):
    import nbconvert.exporters
    from jupyter_scheduler.orm import Job

    from argo_scheduler.environments import formats

    # GIVEN 20 finished jobs, and nbconvert's exporter listing counted from a cold cache
    scheduler = make_scheduler()
    with scheduler.db_session() as session:
        for i in range(20):
            session.add(Job(name=f"job-{i}", input_filename="parameters.ipynb", runtime_environment_name="python3",
                            output_formats=["ipynb", "html"], status="COMPLETED"))
        session.commit()
    calls = []
    real = nbconvert.exporters.get_export_names
    monkeypatch.setattr(nbconvert.exporters, "get_export_names", lambda *a, **k: calls.append(1) or real(*a, **k))
    formats._known.cache_clear()
    # WHEN the UI lists a page of them, twice, as jupyter-scheduler does (output_formats_mapping per job)
    for _ in range(2):
        listed = scheduler.list_jobs(ListJobsQuery(max_items=20))
    # THEN every job has its files labelled, and nbconvert was asked once
    assert len(listed.jobs) == 20
    assert {f.display_name for j in listed.jobs for f in j.job_files} >= {"Notebook", "HTML"}
    assert len(calls) == 1
