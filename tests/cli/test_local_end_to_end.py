"""The builder's manifest, the local engine and the pod runtime together, as a user meets them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from argo_scheduler.engines.local import LocalEngine
from argo_scheduler.workflow import job_workflow_name


def _engine(cli) -> LocalEngine:
    return LocalEngine(state_dir=str(cli.home / "data" / "argo_scheduler" / "local"))


def _wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.3)


def _running_step(engine, name):
    nodes = engine.record(name).get("nodes", {}).values()
    return next((n for n in nodes if n.get("templateName") == "run" and n.get("phase") == "Running" and n.get("process")), None)


def test_a_killed_pod_is_recorded_failed_by_the_exit_handler(cli):
    # GIVEN a long job running on the local engine
    notebook = cli.notebook("sleep.ipynb")
    report = cli.json("run", notebook, "--detach", "-p", "seconds=600")
    engine, name = _engine(cli), job_workflow_name("sleep.ipynb", report["job_id"])
    _wait_for(lambda: _running_step(engine, name))
    # WHEN its pod dies without a word (SIGKILL to the step's process group, as an OOM kill)
    os.killpg(int(_running_step(engine, name)["process"]["pid"]), signal.SIGKILL)
    # THEN the exit handler records FAILED with Argo's reason
    final = cli.wait(report["job_id"])
    assert final["status"] == "FAILED", final
    assert "exit code 137" in final["status_message"]
    # AND the exit handler's step ran because the workflow did not succeed
    nodes = {n["displayName"]: n for n in engine.record(name)["nodes"].values()}
    assert nodes["record-failure"]["phase"] == "Succeeded"


def test_a_successful_run_is_one_step_and_skips_the_exit_handler(cli):
    notebook = cli.notebook("parameters.ipynb")
    report = cli.json("run", notebook)
    assert report["status"] == "COMPLETED"
    engine = _engine(cli)
    nodes = engine.record(job_workflow_name("parameters.ipynb", report["job_id"]))["nodes"].values()
    started = [n for n in nodes if n["type"] == "Pod"]
    # THEN only one process ran: the one pod of a successful run
    assert [n["templateName"] for n in started] == ["run"]
    assert any(n["displayName"] == "record-failure" and n["phase"] == "Skipped" for n in nodes)


def test_the_run_survives_the_submitter_being_killed(cli):
    # GIVEN `argo-scheduler run` following a job in the foreground
    notebook = cli.notebook("sleep.ipynb")
    submitter = subprocess.Popen(
        [sys.executable, "-m", "argo_scheduler.cli", "run", str(notebook), "-p", "seconds=3", "--json"],
        env=cli.env, cwd=cli.home / "work", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        _wait_for(lambda: cli.job_rows() and cli.job_rows()[0].status == "IN_PROGRESS")
        # WHEN the submitter is killed mid-run
        submitter.send_signal(signal.SIGKILL)
        submitter.wait(timeout=30)
    finally:
        if submitter.poll() is None:
            submitter.kill()
    # THEN the job still runs to completion, outputs included
    [row] = cli.job_rows()
    final = cli.wait(row.job_id)
    assert final["status"] == "COMPLETED", final
    assert "ipynb" in final["outputs"]
    executed = json.loads(open(final["outputs"]["ipynb"]).read())
    assert "woke up" in json.dumps(executed)
