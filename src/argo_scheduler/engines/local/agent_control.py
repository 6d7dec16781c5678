"""Starting, finding and stopping the local engine's cron agent: its lock, ensure_agent(), stop_agent().

What the engine, the server, the CLI and the tests need to know of the
agent process without loading it: the agent (agent.py) imports the engine,
the engine asks for an agent here, and nothing here imports either.

ensure_agent() starts it detached (its own session, stdio to
`<state_dir>/agent.log`), so schedules keep firing after the Jupyter server
that started it exits; an exclusive lock on `<state_dir>/agent.lock` keeps it
to one agent per state directory, and `<state_dir>/agent.json` names its
process for stop_agent(). stop_agent() stops every agent of a state
directory whatever its state: one just spawned that has not taken the lock
yet (found by its command line), one running (the lock and agent.json), one
already on its way out.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
from pathlib import Path

import psutil

from ... import processes
from .rundir import is_alive, read_json

AGENT_MODULE = "argo_scheduler.engines.local.agent"
# What agents started before the local engine became a package run; still
# recognised so that stop_agent() finds one that has not written agent.json.
OLD_AGENT_MODULE = "argo_scheduler.engines.local_agent"
LOCK_FILE = "agent.lock"
PID_FILE = "agent.json"
LOG_FILE = "agent.log"

log = logging.getLogger(__name__)

# Agents this process started, by state dir: polled so that one which ended
# does not stay a zombie, and so that a call right after a start, before the
# new agent has taken its lock, does not start a second one.
_started: dict[Path, subprocess.Popen] = {}


class AgentLock:
    """The exclusive lock that makes an agent the only one of its state directory."""

    def __init__(self, state_dir: str | os.PathLike):
        self.path = Path(state_dir) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_CLOEXEC: a run started by the agent must not inherit, and so keep, the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def still_ours(self) -> bool:
        """False once the lock file was removed or replaced (the state directory deleted, say)."""
        if self._fd is None:
            return False
        try:
            return os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor releases the flock
            self._fd = None


def agent_running(state_dir: str | os.PathLike) -> bool:
    """Whether an agent holds the lock of `state_dir`: one lock attempt, nothing more."""
    if not (Path(state_dir) / LOCK_FILE).exists():
        return False
    lock = AgentLock(state_dir)
    if lock.acquire():
        lock.release()
        return False
    return True



def _reap() -> None:
    for state, proc in list(_started.items()):
        if proc.poll() is not None:
            del _started[state]


def ensure_agent(state_dir: str | os.PathLike) -> bool:
    """Start a detached agent for `state_dir` unless one runs; True if this call started one.

    Cheap when an agent runs: one attempt at its lock. The agent is not
    waited for; should two callers race, the second agent exits at once.
    It exits by itself once `state_dir` has no cron left.
    """
    _reap()
    state = Path(state_dir).expanduser().resolve()
    if state in _started or agent_running(state):
        return False
    state.mkdir(parents=True, exist_ok=True)
    with open(state / LOG_FILE, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", AGENT_MODULE, "--state-dir", str(state), "--exit-when-idle"],
            cwd=state,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: no signal meant for the server reaches it.
            start_new_session=True,
            close_fds=True,
        )
    _started[state] = proc
    return True


def stop_agent(state_dir: str | os.PathLike, timeout: float = 10.0) -> bool:
    """Stop every agent process of `state_dir` (SIGTERM, SIGKILL after `timeout`); False if none ran.

    Whatever its state: starting (spawned, not holding the lock yet),
    running, or exiting. Returns once they are gone. Runs they started are
    separate processes and keep running.
    """
    _reap()
    state = Path(state_dir).expanduser()
    agents = _agent_processes(state)
    if not agents:
        return False
    left = processes.end(agents, grace=timeout)
    _reap()
    if left:
        log.error("agent of %s: processes %s would not die", state, [p.pid for p in left])
    return True


def _agent_processes(state: Path) -> list[psutil.Process]:
    """The agent processes of `state`: the one agent.json names, and any started for it by its command line."""
    found: dict[int, psutil.Process] = {}
    identity = read_json(state / PID_FILE)
    if is_alive(identity):
        try:
            found[int(identity["pid"])] = psutil.Process(int(identity["pid"]))
        except psutil.Error:
            pass
    target = state.resolve()
    for proc in processes.by_command(lambda proc, argv: _agent_of(proc, argv, target)):
        found.setdefault(proc.pid, proc)
    return list(found.values())


def _agent_of(proc: psutil.Process, argv: list[str], target: Path) -> bool:
    """Whether `argv` is an agent's (`-m …local.agent`, `-m …local_agent` or `argo-scheduler agent`) for the state dir `target`."""
    if AGENT_MODULE not in argv and OLD_AGENT_MODULE not in argv and "agent" not in argv:
        return False
    if "--state-dir" not in argv:
        return False
    index = argv.index("--state-dir") + 1
    if index >= len(argv):
        return False
    path = Path(argv[index])
    if not path.is_absolute():
        path = Path(proc.cwd()) / path
    return path.resolve() == target
