"""Process trees that end with the run that started them.

A process group or a session per run is not enough: a notebook's child can
start a session of its own (setsid, a daemon's double fork) and so leave
both. What this module offers instead, on Linux:

- become_subreaper(): orphans of our descendants are re-parented to us
  (PR_SET_CHILD_SUBREAPER), so children(recursive=True) still finds a
  grandchild whose parent died, whatever session it started;
- die_with_parent(): a preexec_fn that makes a child get SIGKILL when its
  parent dies (PR_SET_PDEATHSIG), so a step does not outlive its runner;
- marked(): every process whose environment carries NAME=VALUE, found
  through /proc/<pid>/environ, for when the tree is already broken (the
  process that held it together was killed). A child inherits the
  environment unless it clears it on purpose, setsid or not.

Elsewhere the first two are no-ops and only the marker is left.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from typing import Callable, Iterable

import psutil

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children; False where the platform cannot."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None]:
    """A subprocess preexec_fn: the child gets `sig` when the process that started it dies."""
    parent = os.getpid()

    def preexec() -> None:
        _prctl(_PR_SET_PDEATHSIG, int(sig))
        # The parent may have died between fork and prctl: then no signal comes.
        if os.getppid() != parent:
            os._exit(128 + int(sig))

    return preexec


def descendants(pid: int | None = None) -> list[psutil.Process]:
    """Every living descendant of `pid` (default: this process)."""
    try:
        return psutil.Process(pid or os.getpid()).children(recursive=True)
    except psutil.Error:
        return []


def marked(name: str, value: str) -> list[psutil.Process]:
    """Every other process whose (initial) environment has `name`=`value`."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(name) == value:
                found.append(proc)
        except (psutil.Error, OSError):
            # Gone, a zombie, or not ours to read: not one of ours either way.
            continue
    return found


def by_command(matches: Callable[[psutil.Process, list[str]], bool]) -> list[psutil.Process]:
    """Every other living process (zombies are not) for which `matches(process, its argv)` holds."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["cmdline"]):
        if proc.pid == me:
            continue
        try:
            if matches(proc, proc.info["cmdline"] or []) and _running(proc):
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def end(processes: Iterable[psutil.Process], grace: float = 0.0) -> list[psutil.Process]:
    """SIGTERM `processes`, SIGKILL those alive after `grace` seconds; those still alive after that.

    Those that are children of this process are reaped as they end, so none
    lingers as a zombie.
    """
    alive = list(processes)
    if grace > 0:
        alive = _wait(_signal(alive, signal.SIGTERM), grace)
    return _wait(_signal(alive, signal.SIGKILL), 5.0)


def end_descendants(grace: float = 0.0) -> list[psutil.Process]:
    """End every descendant of this process (see end()); those that would not die."""
    return end(descendants(), grace)


def _signal(procs: list[psutil.Process], sig: int) -> list[psutil.Process]:
    for proc in procs:
        try:
            proc.send_signal(sig)  # psutil checks the pid was not reused meanwhile
        except psutil.Error:
            pass
    return procs


def _wait(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            try:
                os.waitpid(proc.pid, os.WNOHANG)
            except ChildProcessError:
                pass  # not our child: its own parent (or init) reaps it
        alive = [proc for proc in procs if _running(proc)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def _running(proc: psutil.Process) -> bool:
    # A zombie has ended, whether or not its parent has reaped it yet.
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
