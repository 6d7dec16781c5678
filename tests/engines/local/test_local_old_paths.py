"""The command lines and class paths from before the local engine became a package still work.

Runs and agents started by an older version run `python -m
argo_scheduler.engines.local_runner` / `…local_agent`, and configuration
names `argo_scheduler.engines.local.LocalEngine` and
`argo_scheduler.engines.local_agent.LocalAgent`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from traitlets.utils.importstring import import_item

from argo_scheduler.engines.local.agent import LocalAgent
from argo_scheduler.engines.local.agent_control import PID_FILE, agent_running, stop_agent
from argo_scheduler.engines.local.engine import LocalEngine
from argo_scheduler.engines.local.rundir import RunDir, read_json, write_json


@pytest.mark.parametrize(
    "path, cls",
    [
        ("argo_scheduler.engines.local.LocalEngine", LocalEngine),
        ("argo_scheduler.engines.local_agent.LocalAgent", LocalAgent),
    ],
    ids=["LocalEngine", "LocalAgent"],
)
def test_an_old_class_path_names_the_same_class(path, cls):
    # GIVEN a class path a configuration or plugin wrote before the move
    # WHEN traitlets imports it, as it does for a configured class name
    # THEN it is the very class the engine uses now
    assert import_item(path) is cls


def test_a_run_started_under_the_old_runner_command_line_runs_to_its_end(engine, wf, tmp_path):
    # GIVEN a run directory the engine wrote (a run that went to its end), set back to Pending
    out = tmp_path / "out.json"
    engine.submit(wf.workflow("old-runner", [wf.python("run", wf.WRITE_ARGV, str(out), "{{workflow.name}}")]))
    wf.wait_for(lambda: engine.status(["old-runner"])["old-runner"].phase == "Succeeded", what="the first run")
    run_dir = RunDir(engine.runs_dir / "old-runner")
    state = read_json(run_dir.state)
    write_json(run_dir.state, {"name": state["name"], "uid": state["uid"], "phase": "Pending", "nodes": {}})
    out.unlink()
    # WHEN the runner is started by the command line of older versions
    done = subprocess.run(
        [sys.executable, "-m", "argo_scheduler.engines.local_runner", str(run_dir.path)],
        cwd=run_dir.path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # THEN it runs the workflow again, to Succeeded
    assert done.returncode == 0, done.stderr
    assert engine.status(["old-runner"])["old-runner"].phase == "Succeeded"
    assert json.loads(out.read_text()) == ["old-runner"]


def test_an_agent_started_under_the_old_command_line_runs_and_stop_agent_finds_it(engine, tmp_path):
    # GIVEN an agent started by the command line of older versions
    state_dir = engine.state_dir
    config = tmp_path / "jupyter-config"
    config.mkdir()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_CONFIG_PATH": str(config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "argo_scheduler.engines.local_agent", "--state-dir", state_dir],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (agent_running(state_dir) and read_json(Path(state_dir) / PID_FILE)):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the agent never took its lock"
            time.sleep(0.05)
        # AND agent.json lost, so that only its command line says what it is
        (Path(state_dir) / PID_FILE).unlink()
        # WHEN it is stopped
        found = stop_agent(state_dir)
        # THEN it was found by that command line, and is gone
        assert found is True
        assert proc.wait(timeout=30) is not None
        assert not agent_running(state_dir)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
