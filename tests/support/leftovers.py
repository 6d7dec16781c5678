"""A pytest plugin: the run fails if a process it started is still alive at its end.

Loaded by tests/conftest.py (pytest_plugins), so it is imported before any
fixture or test starts a process. Importing it marks the run: every process
started from then on (agents, runners, kernels, PostgreSQL, Prism, and
whatever those start, setsid or not) inherits RUN_MARKER=<this run's id>
unless it clears its environment on purpose. Other test runs on the same
machine carry other ids, so nothing of theirs is ever reported or touched.

At the end of the run, after pytest has torn down the session's fixtures,
the processes still carrying the mark are listed with their command lines,
then killed, and the run's exit status becomes 1 (TESTS_FAILED).
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass

import pytest

from argo_scheduler import processes

RUN_MARKER = "ARGO_SCHEDULER_TEST_RUN"

# Processes told to stop at the end of a test (a runner deleting its run, a
# server shutting down) may take a moment to be gone.
SETTLE_SECONDS = 15.0


def pytest_addoption(parser):
    parser.addoption(
        "--leftovers-settle",
        type=float,
        default=SETTLE_SECONDS,
        help=f"seconds the run's processes get to end after the last test (default {SETTLE_SECONDS:g})",
    )


@dataclass(frozen=True)
class Leftover:
    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid}: {self.command}"


def mark_this_run() -> str:
    run_id = uuid.uuid4().hex
    os.environ[RUN_MARKER] = run_id
    return run_id


def left_behind(run_id: str, settle: float = SETTLE_SECONDS) -> list[Leftover]:
    """The run's processes still alive after up to `settle` seconds; each is killed once listed."""
    deadline = time.monotonic() + settle
    while True:
        alive = processes.marked(RUN_MARKER, run_id)
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    found = []
    for proc in alive:
        try:
            found.append(Leftover(proc.pid, " ".join(proc.cmdline())[:500] or proc.name()))
        except Exception:
            continue  # ended meanwhile
    # Reported, and not left to run on the machine for hours.
    processes.end(alive, grace=2.0)
    return found


# First of all, before any fixture or test starts a process.
RUN_ID = mark_this_run()
LEFTOVERS = pytest.StashKey[list]()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    # trylast: after pytest's own pytest_sessionfinish has torn down the
    # session's fixtures (PostgreSQL, Prism), so what is found is what
    # nothing stopped.
    leftovers = left_behind(RUN_ID, session.config.getoption("--leftovers-settle"))
    session.config.stash[LEFTOVERS] = leftovers
    if leftovers:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    leftovers = config.stash.get(LEFTOVERS, [])
    if leftovers:
        terminalreporter.section("processes left behind", sep="=", red=True, bold=True)
        terminalreporter.line(
            f"{len(leftovers)} process(es) started by this test run were still alive at its end "
            "(now killed), so the run fails:"
        )
        for leftover in leftovers:
            terminalreporter.line(f"  {leftover}")
