"""Client-set fields of jobs and job definitions, as jupyter-scheduler's REST handlers pass them to ArgoScheduler.

Paths (input_filename, input_uri), parameter names and secret parameters
are refused with a clear message before anything is written: no record, no
file in or outside the staging area, no Secret, no workflow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jupyter_scheduler.models import (
    CreateJob,
    CreateJobDefinition,
    CreateJobFromDefinition,
    UpdateJobDefinition,
)
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.orm import Job, JobDefinition
from support.samples import NOTEBOOKS

TRANSIENT = ("-journal", "-wal", "-shm")


@pytest.fixture
def home(scheduler_home, tmp_path):
    """GIVEN report.ipynb in the root, and notebooks outside it: beside it, and in a folder whose name starts like the root's."""
    for folder in ("outside", "root-evil"):
        (tmp_path / folder).mkdir()
        shutil.copy(NOTEBOOKS / "parameters.ipynb", tmp_path / folder / "x.ipynb")
    return scheduler_home


@pytest.fixture
def make_scheduler(make_scheduler, home):
    return lambda **traits: make_scheduler(home=home, engine="local", **traits)


@pytest.fixture
def scheduler(make_scheduler):
    return make_scheduler()


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and not p.name.endswith(TRANSIENT)}


class Unchanged:
    """Every file under a folder and every record, before an action; compared after it."""

    def __init__(self, scheduler, root: Path):
        self.scheduler, self.root = scheduler, root
        with scheduler.db_session() as session:
            self.records = (session.query(Job).count(), session.query(JobDefinition).count())
        self.files = {p: p.read_bytes() for p in files(root) if p.suffix != ".sqlite"}

    def check(self) -> None:
        with self.scheduler.db_session() as session:
            assert (session.query(Job).count(), session.query(JobDefinition).count()) == self.records
        now = {p: p.read_bytes() for p in files(self.root) if p.suffix != ".sqlite"}
        assert sorted(set(now) - set(self.files)) == [], "files were written"
        assert [p for p in self.files if now.get(p) != self.files[p]] == [], "files were changed"


def job(**fields) -> CreateJob:
    return CreateJob(**{"input_uri": "report.ipynb", "name": "report", "runtime_environment_name": "python3",
                        "output_formats": ["ipynb"], **fields})


def definition(**fields) -> CreateJobDefinition:
    return CreateJobDefinition(**{"input_uri": "report.ipynb", "name": "nightly",
                                  "runtime_environment_name": "python3", "output_formats": ["ipynb"], **fields})


def refused(action, *messages: str) -> str:
    # What jupyter-scheduler's handlers turn into the message the UI shows.
    with pytest.raises(SchedulerError) as caught:
        action()
    text = str(caught.value)
    assert "\n" not in text and all(m in text for m in messages), text
    return text


BAD_FILE_NAMES = pytest.mark.parametrize(
    "input_filename",
    ["../escaped.ipynb", "../../escaped.ipynb", "{tmp}/outside/planted.ipynb", "sub/x.ipynb", "..", "a\\b.ipynb"],
    ids=["parent", "grandparent", "absolute", "subfolder", "dot-dot", "backslash"],
)


@BAD_FILE_NAMES
@pytest.mark.parametrize("kind", ["job", "definition"])
def test_an_input_filename_that_is_not_a_plain_name_is_refused_and_nothing_is_written(
    scheduler, tmp_path, input_filename, kind
):
    # GIVEN a client that sets input_filename itself, as the REST API lets it
    name = input_filename.format(tmp=tmp_path)
    before = Unchanged(scheduler, tmp_path)
    # WHEN it submits a job or a job definition with a name that points elsewhere
    create = scheduler.create_job if kind == "job" else scheduler.create_job_definition
    model = (job if kind == "job" else definition)(input_filename=name)
    # THEN it is refused, naming the field
    refused(lambda: create(model), "input_filename", "plain file name")
    # AND no record, no file anywhere (staging area, its parents, the absolute target) exists
    before.check()
    assert not (tmp_path / "outside" / "planted.ipynb").exists() and not (tmp_path / "escaped.ipynb").exists()
    assert not (tmp_path / "engine" / "runs").exists() or not any((tmp_path / "engine" / "runs").iterdir())


OUTSIDE_URIS = pytest.mark.parametrize(
    "input_uri",
    ["../outside/x.ipynb", "{tmp}/outside/x.ipynb", "../root-evil/x.ipynb"],
    # jupyter-scheduler's file_exists compares string prefixes: <root>-evil passes it.
    ids=["relative", "absolute", "sibling-with-the-roots-name-as-prefix"],
)


@OUTSIDE_URIS
@pytest.mark.parametrize("kind", ["job", "definition", "definition-update"])
def test_an_input_uri_outside_the_root_is_refused_and_nothing_is_copied(scheduler, tmp_path, input_uri, kind):
    # GIVEN notebooks outside the server's root folder
    uri = input_uri.format(tmp=tmp_path)
    existing = scheduler.create_job_definition(definition()) if kind == "definition-update" else None
    before = Unchanged(scheduler, tmp_path)
    # WHEN a client names one as the notebook to run
    action = {
        "job": lambda: scheduler.create_job(job(input_uri=uri)),
        "definition": lambda: scheduler.create_job_definition(definition(input_uri=uri)),
        "definition-update": lambda: scheduler.update_job_definition(existing, UpdateJobDefinition(input_uri=uri)),
    }[kind]
    # THEN it is refused and nothing was copied or recorded
    refused(action, "input_uri", "outside the server's root folder")
    before.check()


def test_a_run_of_a_definition_runs_only_its_staged_notebook(scheduler, tmp_path):
    # GIVEN a job definition
    definition_id = scheduler.create_job_definition(definition())
    before = Unchanged(scheduler, tmp_path)
    # WHEN a client creates a job "of" it that names another notebook, or "of" a definition that does not exist
    refused(lambda: scheduler.create_job(job(job_definition_id=definition_id, input_uri=str(tmp_path / "outside" / "x.ipynb"))),
            "input_uri", "staged notebook only")
    refused(lambda: scheduler.create_job(job(job_definition_id="no-such-definition", input_uri=str(tmp_path / "outside" / "x.ipynb"))),
            "no such job definition")
    # THEN nothing was copied or recorded
    before.check()
    # AND the definition's own run still works the way the UI asks for it
    job_id = scheduler.create_job_from_definition(definition_id, CreateJobFromDefinition())
    assert scheduler.get_job(job_id, job_files=False).job_definition_id == definition_id


BAD_PARAMETER_NAMES = pytest.mark.parametrize(
    "name, message",
    [("class", "is a Python keyword"), ("None", "is a Python keyword"), ("1x", "is not a Python name"),
     ("a-b", "is not a Python name"), ("", "is not a Python name")],
    ids=["keyword", "None", "leading-digit", "dash", "empty"],
)


@BAD_PARAMETER_NAMES
@pytest.mark.parametrize("kind", ["job", "definition", "definition-update", "job-from-definition"])
def test_a_parameter_name_papermill_could_not_assign_is_refused(scheduler, tmp_path, name, message, kind):
    # GIVEN a parameter the job's pod would inject as `<name> = 2`
    parameters = {name: "2", "n": "3"}
    existing = scheduler.create_job_definition(definition()) if kind.startswith("definition-") or kind == "job-from-definition" else None
    before = Unchanged(scheduler, tmp_path)
    action = {
        "job": lambda: scheduler.create_job(job(parameters=parameters)),
        "definition": lambda: scheduler.create_job_definition(definition(parameters=parameters)),
        "definition-update": lambda: scheduler.update_job_definition(existing, UpdateJobDefinition(parameters=parameters)),
        "job-from-definition": lambda: scheduler.create_job_from_definition(
            existing, CreateJobFromDefinition(parameters=parameters)
        ),
    }[kind]
    # WHEN it is submitted THEN it is refused at once, naming the parameter
    refused(action, f"parameter name {name!r}", message)
    # AND nothing was recorded or written
    before.check()


@pytest.mark.parametrize("kind", ["job", "definition", "definition-update"])
def test_a_secret_parameter_no_notifier_reads_is_refused_not_dropped(scheduler, tmp_path, kind):
    # GIVEN a server with no Slack notifier, and a user passing argo-jupyter-scheduler's SLACK_TOKEN
    token = "xoxb-planted-0001"
    parameters = {"SLACK_TOKEN": token, "n": "3"}
    existing = scheduler.create_job_definition(definition()) if kind == "definition-update" else None
    before = Unchanged(scheduler, tmp_path)
    action = {
        "job": lambda: scheduler.create_job(job(parameters=parameters)),
        "definition": lambda: scheduler.create_job_definition(definition(parameters=parameters)),
        "definition-update": lambda: scheduler.update_job_definition(existing, UpdateJobDefinition(parameters=parameters)),
    }[kind]
    # WHEN it is submitted THEN it is refused, saying which notifier would read it, without the value
    text = refused(action, "SLACK_TOKEN", "slack notifier", "c.ArgoScheduler.notifiers")
    assert token not in text
    # AND nothing was recorded or stored
    before.check()


def test_a_refused_definition_edit_keeps_its_secret(make_scheduler, tmp_path):
    # GIVEN a definition whose SLACK_TOKEN the Slack notifier reads
    scheduler = make_scheduler(notifiers=["slack"])
    definition_id = scheduler.create_job_definition(definition(parameters={"SLACK_TOKEN": "xoxb-first"}))
    stored = tmp_path / "engine" / "secrets" / f"argo-scheduler-{definition_id}" / "SLACK_TOKEN"
    assert stored.read_text() == "xoxb-first"
    # WHEN an edit with a new token is refused for another reason
    refused(lambda: scheduler.update_job_definition(
        definition_id, UpdateJobDefinition(parameters={"SLACK_TOKEN": "xoxb-second", "class": "2"})
    ), "Python keyword")
    # THEN the definition's Secret still holds the first token
    assert stored.read_text() == "xoxb-first"
    # AND an edit that only changes the token still stores it
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(parameters={"SLACK_TOKEN": "xoxb-third"}))
    assert stored.read_text() == "xoxb-third"
