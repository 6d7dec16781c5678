"""A plugin from outside the project (tests/outside_plugin, pip-installed by dev.py) works like a built-in."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from jupyter_scheduler.models import CreateJob, DescribeJob

from argo_scheduler import ArgoScheduler
from argo_scheduler.plugins import PluginError

PROVIDER = "argo-scheduler-example-plugin 0.1.0"


def wait_done(scheduler: ArgoScheduler, job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while scheduler.get_job(job_id).status not in ("COMPLETED", "FAILED"):
        assert time.monotonic() < deadline
        time.sleep(0.5)


def test_the_cli_lists_it_with_its_distribution():
    result = subprocess.run([sys.executable, "-m", "argo_scheduler.cli", "plugins", "--json"],
                            capture_output=True, text=True, check=True)
    listed = json.loads(result.stdout)
    assert listed["podspec_mutators"]["team-label"]["provider"] == PROVIDER
    assert listed["notifiers"]["json-lines"]["provider"] == PROVIDER
    # AND the built-ins come through the same entry point group
    assert listed["notifiers"]["none"]["provider"].startswith("argo-scheduler ")


def test_its_mutator_changes_the_rendered_manifest(make_scheduler):
    # GIVEN the outside mutator configured by name, with its own trait
    scheduler = make_scheduler({"ArgoScheduler": {"podspec_mutators": ["team-label"], "engine": "argo"},
                                "TeamLabelPodSpecMutator": {"team": "finance"}})
    job = DescribeJob(job_id="0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d", name="r", input_filename="report.ipynb",
                      runtime_environment_name="python3", url="/jobs/x", create_time=0, update_time=0,
                      output_formats=["ipynb"])
    # WHEN a job is rendered THEN the plugin's change is in the manifest
    spec = scheduler.render_job(job)["spec"]
    assert spec["podMetadata"]["labels"]["example.com/team"] == "finance"
    assert {"name": "TEAM", "value": "finance"} in spec["templates"][0]["container"]["env"]


def test_its_notifier_runs_after_a_local_run(make_scheduler, tmp_path):
    events = tmp_path / "events.jsonl"
    scheduler = make_scheduler({"ArgoScheduler": {"engine": "local", "notifiers": ["json-lines"]},
                                "JsonLinesNotifier": {"path": str(events)}})
    job_id = scheduler.create_job(CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                                            output_formats=["ipynb"]))
    wait_done(scheduler, job_id)
    assert scheduler.get_job(job_id).status == "COMPLETED"
    [event] = [json.loads(line) for line in events.read_text().splitlines()]
    assert (event["job_id"], event["status"]) == (job_id, "COMPLETED")
    assert "ipynb" in event["outputs"]


def test_an_unknown_name_fails_at_start_up_with_the_installed_names(make_scheduler):
    with pytest.raises(PluginError, match="installed: .*team-label"):
        make_scheduler({"ArgoScheduler": {"podspec_mutators": ["team-lable"], "engine": "argo"}})


def test_its_engine_is_chosen_by_its_entry_point_name_and_runs_the_job(make_scheduler):
    # GIVEN the outside engine configured by the name its distribution registers, with its own trait
    scheduler = make_scheduler({"ArgoScheduler": {"engine": "team-local"}, "TeamLocalEngine": {"team": "finance"}})
    engine = scheduler.get_engine()
    assert type(engine).__name__ == "TeamLocalEngine" and engine.team == "finance"
    # WHEN a job is created
    job_id = scheduler.create_job(CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                                            output_formats=["ipynb"]))
    wait_done(scheduler, job_id)
    # THEN it ran through that engine: completed, and its workflow carries the engine's label
    assert scheduler.get_job(job_id).status == "COMPLETED"
    [state] = engine.status(label_selector=f"argo-scheduler/job-id={job_id}").values()
    assert state.labels["example.com/team"] == "finance"
