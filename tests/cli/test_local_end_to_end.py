"""The builder's manifest, the local engine and the pod runtime together, as a user meets them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from argo_scheduler import processes
from argo_scheduler.engines.local import LocalEngine
from argo_scheduler.engines.local.rundir import is_alive, read_json
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


def _daemons(token: str) -> list[psutil.Process]:
    """The living processes spawns_daemon.ipynb started with `token`: setsid'd, outside the kernel's session."""
    return processes.by_command(lambda proc, argv: token in argv and any("os.setsid()" in a for a in argv))


def _start_daemon_job(cli, *options: str) -> tuple[str, str, str]:
    """A detached job of spawns_daemon.ipynb, once its daemon runs: (job id, workflow name, token)."""
    token = f"daemon-{uuid.uuid4().hex}"
    notebook = cli.notebook("spawns_daemon.ipynb")
    report = cli.json("run", notebook, "--detach", "-p", f"token={token}", *options)
    _wait_for(lambda: _daemons(token))
    return report["job_id"], job_workflow_name("spawns_daemon.ipynb", report["job_id"]), token


def _kill_kernel(cli, name, token):
    # The daemon's parent is the kernel that started it (setsid does not change that).
    os.kill(_daemons(token)[0].ppid(), signal.SIGKILL)


def _kill_pod(cli, name, token):
    os.killpg(int(_running_step(_engine(cli), name)["process"]["pid"]), signal.SIGKILL)


def _stop(cli, name, token):
    [row] = cli.job_rows()
    assert cli("stop", row.job_id).returncode == 0


@pytest.mark.parametrize(
    ("seconds", "end", "status", "message"),
    [
        (0, None, "COMPLETED", None),
        (600, _stop, "STOPPED", "Stopped by user"),
        (600, _kill_kernel, "FAILED", "The kernel died"),
        (600, _kill_pod, "FAILED", "exit code 137"),
    ],
    ids=["normal-end", "stopped", "kernel-killed", "pod-killed"],
)
def test_the_notebooks_whole_process_tree_ends_with_the_job(cli, seconds, end, status, message):
    # GIVEN a job whose notebook started a child that left the kernel's session (setsid)
    job_id, name, token = _start_daemon_job(cli, "-p", f"seconds={seconds}")
    # WHEN the job ends: by itself, stopped, its kernel killed, its pod killed
    if end is not None:
        end(cli, name, token)
    final = cli.wait(job_id)
    # THEN it ended as it should
    assert final["status"] == status, final
    assert message is None or message in final["status_message"], final
    # AND by the time its end is recorded, no process the notebook started is left
    assert _daemons(token) == []


def test_a_job_past_its_timeout_is_reported_timed_out_and_leaves_no_process(cli):
    # GIVEN a job whose notebook starts a setsid'd child, then sleeps far longer than the job's timeout
    token = f"daemon-{uuid.uuid4().hex}"
    notebook = cli.notebook("spawns_daemon.ipynb")
    # WHEN `run` waits for it
    report = cli.json("run", notebook, "--timeout", "30", "-p", f"token={token}", "-p", "seconds=600")
    # THEN what `run` reports is the job's one final status: timed out, in Argo's words
    assert report["status"] == "FAILED", report
    assert report["status_message"].startswith("timed out after 30 s (Argo: Step exceeded its deadline)"), report
    assert cli.json("status", report["job_id"])["status_message"] == report["status_message"]
    # AND nothing the notebook started is left
    assert _daemons(token) == []


def test_a_killed_runner_ends_the_job_once_and_leaves_no_process(cli):
    # GIVEN a job whose notebook started a setsid'd child and sleeps a few seconds more
    job_id, name, token = _start_daemon_job(cli, "-p", "seconds=5")
    engine = _engine(cli)
    step = _running_step(engine, name)["process"]
    runner = read_json(engine.runs_dir / name / "runner.json")
    # WHEN the run's runner is killed outright
    os.kill(int(runner["pid"]), signal.SIGKILL)
    # THEN the job ends FAILED, saying so
    final = cli.wait(job_id)
    assert final["status"] == "FAILED", final
    assert final["status_message"].startswith("local runner exited unexpectedly"), final
    # AND nothing of the run is left running — not its pod, not the notebook's child —
    # so nothing can record another end later
    _wait_for(lambda: not is_alive(step), timeout=60)
    assert _daemons(token) == []
    again = cli.json("status", job_id)
    assert (again["status"], again["status_message"]) == (final["status"], final["status_message"])
