"""The agent as a process: detached from whoever started it, one per state dir, stoppable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from argo_scheduler import processes
from argo_scheduler.engines.local.agent_control import (
    LOG_FILE,
    PID_FILE,
    AgentLock,
    agent_running,
    ensure_agent,
    stop_agent,
)
from argo_scheduler.engines.local.rundir import is_alive, read_json

START_AGENT = (
    "import sys; from argo_scheduler.engines.local.agent_control import ensure_agent; "
    "sys.exit(0 if ensure_agent(sys.argv[1]) else 3)"
)


@pytest.fixture
def isolated_env(tmp_path) -> dict:
    """No user's Jupyter config reaches the agents these tests start."""
    config = tmp_path / "jupyter-config"
    config.mkdir()
    return {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_CONFIG_PATH": str(config)}


def start_from_a_process_that_exits(state_dir: str, env: dict) -> dict:
    """ensure_agent() called by a short-lived process; the agent's identity once it holds the lock."""
    starter = subprocess.run([sys.executable, "-c", START_AGENT, state_dir], env=env, timeout=60)
    assert starter.returncode == 0, "ensure_agent did not start an agent"
    deadline = time.monotonic() + 30
    while True:
        identity = read_json(Path(state_dir) / PID_FILE)
        if agent_running(state_dir) and is_alive(identity):
            return identity
        assert time.monotonic() < deadline, (Path(state_dir) / LOG_FILE).read_text()
        time.sleep(0.05)


@pytest.fixture
def a_schedule(engine, wf):
    """A paused cron: something for an agent started by ensure_agent() to tend, so that it does not exit idle."""
    engine.create_cron(wf.cron("idle", [wf.python("run", "pass")], suspend=True))


def agent_processes_of(state_dir: str) -> list[psutil.Process]:
    """Every process whose command line names `state_dir`'s agent, holding the lock or not."""
    return processes.by_command(lambda proc, argv: "argo_scheduler.engines.local.agent" in argv and state_dir in argv)


def as_if_due_a_minute_ago(engine, name: str) -> None:
    """Make the cron count its times from two minutes ago, as if created then: its latest minute is due."""
    path = engine.crons_dir / name / "cron.json"
    record = json.loads(path.read_text())
    record["countFrom"] -= 120
    path.write_text(json.dumps(record))


def test_ensure_agent_starts_one_that_outlives_its_starter_and_stop_agent_ends_it(
    engine, agent_processes, isolated_env, a_schedule
):
    state_dir = agent_processes
    # GIVEN an agent started by a process that has exited since
    identity = start_from_a_process_that_exits(state_dir, isolated_env)
    # THEN the agent keeps running, detached: in its own session, not our child
    process = psutil.Process(identity["pid"])
    assert process.ppid() != os.getpid()
    assert os.getsid(identity["pid"]) == identity["pid"]
    # AND ensuring again is a no-op while it runs
    assert ensure_agent(state_dir) is False
    # WHEN it is stopped THEN it is gone and its lock is free
    assert stop_agent(state_dir) is True
    assert not is_alive(identity)
    assert not agent_running(state_dir)
    assert stop_agent(state_dir) is False


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "argo_scheduler.engines.local.agent", "--state-dir"],
        ["-m", "argo_scheduler.engines.local_agent", "--state-dir"],
        ["-m", "argo_scheduler.cli", "agent", "--state-dir"],
        ["-m", "argo_scheduler.cli", "agent", "--once", "--state-dir"],
    ],
    ids=["module", "old-module", "cli", "cli-once"],
)
def test_a_second_agent_refuses_to_start(engine, agent_processes, isolated_env, command, a_schedule):
    # GIVEN an agent running for a state dir
    identity = start_from_a_process_that_exits(agent_processes, isolated_env)
    # WHEN another one is started for the same state dir
    second = subprocess.run(
        [sys.executable, *command, agent_processes], env=isolated_env, capture_output=True, text=True, timeout=60
    )
    # THEN it exits at once, saying why
    assert second.returncode == 1
    assert f"another agent (pid {identity['pid']}) already fires the crons" in second.stderr
    assert is_alive(identity)


def test_the_detached_agent_fires_a_due_cron(engine, wf, agent_processes, isolated_env, tmp_path):
    # GIVEN a cron whose latest minute is due, and no agent
    out = tmp_path / "out.json"
    engine.create_cron(wf.cron("tiny", [wf.python("run", wf.WRITE_ARGV, str(out), "{{workflow.name}}")]))
    as_if_due_a_minute_ago(engine, "tiny")
    # WHEN an agent is started and its starter exits
    start_from_a_process_that_exits(agent_processes, isolated_env)
    # THEN the agent starts the run, which completes
    [name] = wf.wait_for(lambda: list(engine.status()), what="the agent to start a run")
    assert engine.wait(name).phase == "Succeeded"
    assert json.loads(out.read_text()) == [name]
    assert name.startswith("tiny-")


def test_agent_once_from_the_cli_fires_what_is_due_and_exits(engine, wf, isolated_env):
    engine.create_cron(wf.cron("tiny", [wf.python("run", "pass")]))
    as_if_due_a_minute_ago(engine, "tiny")
    result = subprocess.run(
        [sys.executable, "-m", "argo_scheduler.cli", "agent", "--once", "--state-dir", engine.state_dir],
        env=isolated_env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    [name] = engine.status()
    assert engine.wait(name).phase == "Succeeded"
    # AND it let go of the lock
    assert not agent_running(engine.state_dir)


def test_an_agent_whose_state_dir_is_deleted_exits(engine, agent_processes, isolated_env, a_schedule):
    # GIVEN a running agent WHEN its state dir is deleted THEN it does not linger
    identity = start_from_a_process_that_exits(agent_processes, isolated_env)
    shutil.rmtree(agent_processes)
    deadline = time.monotonic() + 30
    while is_alive(identity):
        assert time.monotonic() < deadline, "the agent kept running without its state dir"
        time.sleep(0.05)


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    first, second = AgentLock(tmp_path), AgentLock(tmp_path)
    assert first.acquire()
    try:
        assert not second.acquire()
        assert agent_running(tmp_path)
    finally:
        first.release()
    assert not agent_running(tmp_path)


def test_ensuring_twice_in_a_row_starts_one_agent(engine, agent_processes, isolated_env, monkeypatch, a_schedule):
    # GIVEN no agent WHEN ensure_agent is called twice before the first agent took its lock
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH"):
        monkeypatch.setenv(key, isolated_env[key])
    assert ensure_agent(agent_processes) is True
    assert ensure_agent(agent_processes) is False
    # THEN one agent runs, and no second one was started to be refused
    deadline = time.monotonic() + 30
    while not (agent_running(agent_processes) and is_alive(read_json(Path(agent_processes) / PID_FILE))):
        assert time.monotonic() < deadline, "the agent did not start"
        time.sleep(0.05)
    assert stop_agent(agent_processes) is True
    assert "another agent" not in (Path(agent_processes) / LOG_FILE).read_text()


def test_stop_agent_stops_an_agent_that_has_not_taken_its_lock_yet(engine, agent_processes, isolated_env, monkeypatch, a_schedule):
    # GIVEN an agent just spawned: it does not hold its lock yet (its interpreter is still starting)
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_CONFIG_PATH"):
        monkeypatch.setenv(key, isolated_env[key])
    state_dir = str(Path(agent_processes).resolve())
    assert ensure_agent(state_dir) is True
    # WHEN it is stopped at once (a test's teardown, a server shutting down)
    stopped = stop_agent(state_dir)
    # THEN it was found and no agent process of that state dir is left, starting or not
    assert stopped is True
    assert agent_processes_of(state_dir) == []
    assert not agent_running(state_dir)


def test_an_agent_exits_once_the_last_cron_is_deleted(engine, wf, agent_processes, isolated_env):
    # GIVEN an agent started for a state dir with one schedule
    engine.create_cron(wf.cron("nightly", [wf.python("run", "pass")], schedules=["0 6 * * *"]))
    identity = start_from_a_process_that_exits(agent_processes, isolated_env)
    # WHEN the schedule is deleted (the user deleted their last job definition)
    engine.delete_cron("nightly")
    # THEN the agent exits by itself, letting go of its lock
    wf.wait_for(lambda: not is_alive(identity), timeout=60, what="the idle agent to exit")
    assert not agent_running(agent_processes)
    assert "no cron left" in (Path(agent_processes) / LOG_FILE).read_text()


def test_an_agent_keeps_going_when_a_cron_comes_as_it_lets_go(engine, wf, tmp_path):
    # GIVEN an agent (in this process) holding the lock of a state dir without crons
    from argo_scheduler.engines.local.agent import LocalAgent

    lock = AgentLock(engine.state_dir)
    assert lock.acquire()
    agent = LocalAgent(engine=engine)
    # WHEN a cron is created just as the agent is about to let go of its lock
    engine.create_cron(wf.cron("late", [wf.python("run", "pass")], suspend=True))
    # THEN it keeps the lock and goes on: the cron's creator saw the lock taken and started no agent
    try:
        assert agent._let_go(lock) is False
        assert agent_running(engine.state_dir)
    finally:
        lock.release()
