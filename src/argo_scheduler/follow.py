"""Following a job from a terminal until it ends: `argo-scheduler run` and `status --follow`.

Three ways to show it (docs/cli.md):
- "bar": on a terminal, one line redrawn in place —
  `[########------------] cell 3/8  0:12  IN_PROGRESS`;
- "lines": one plain line per change of status or cell (not a terminal);
- "json": one JSON object per event on stdout (`--json --follow`):
  {"event": "status", …}, {"event": "progress", …}; the caller prints the final one.

Progress is the runtime's progress file (runtime/progress.py). Between two
looks it waits on the engine (Engine.wait_for_end): the local engine
returns the moment the run's process exits, so the end is seen at once,
not at the next tick of a poll.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Callable, TextIO

FINAL = ("COMPLETED", "FAILED", "STOPPED")
# How often the display is refreshed while nothing ends (the bar's clock).
REFRESH_SECONDS = 0.5
BAR_WIDTH = 20
LOG_LINES = 20


def _status(job) -> str:
    return getattr(job.status, "value", None) or str(job.status)


def clock(seconds: float) -> str:
    """0:12, 3:04, 1:02:03"""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def bar(cell: int, cells: int) -> str:
    done = round(BAR_WIDTH * cell / cells) if cells else 0
    return "[" + "#" * done + "-" * (BAR_WIDTH - done) + "]"


def workflow_name(scheduler, job) -> str | None:
    """The workflow running `job`, without loading the manifest builder."""
    from .names import object_name

    if job.job_definition_id:
        state = scheduler.index_by_job_id(scheduler.owned_states()).get(job.job_id)
        if state is not None:
            return state.name
    return object_name(os.path.splitext(job.input_filename)[0], job.job_id)


def log_lines(scheduler, job, count: int = LOG_LINES) -> tuple[str | None, list[str]]:
    """The run log's path and its last `count` lines, secrets masked."""
    from .details import secrets_of
    from .redact import redact

    path = scheduler.staged_outputs(job.copy(update={"output_formats": ["log"]})).get("log")
    if path is None:
        return None, []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()[-count:]
    except OSError:
        return path, []
    known = secrets_of(scheduler)
    return path, [redact(line, known) for line in lines]


class Follower:
    def __init__(self, scheduler, get_job: Callable[[str], Any], mode: str, out: TextIO = sys.stdout,
                 err: TextIO = sys.stderr):
        self.scheduler = scheduler
        self.get_job = get_job
        self.mode = mode
        self.out = out
        self.err = err
        self._drawn = False

    def follow(self, job_id: str):
        """Show the job until it ends; its final record."""
        from .runtime import progress

        job = self.get_job(job_id)
        folder = os.path.join(self.scheduler.staging_path, job.job_id)
        engine = self.scheduler.get_engine()
        name = None
        last_status, last_cell = None, None
        try:
            while True:
                status = _status(job)
                summary = progress.summary(progress.read(folder)) if status not in ("CREATED", "QUEUED") else None
                if status != last_status:
                    self._status(job, status)
                    last_status = status
                cell = (summary["cell"], summary["cells"]) if summary else None
                if summary and (cell != last_cell or self.mode == "bar"):
                    self._progress(job, status, summary, changed=cell != last_cell)
                    last_cell = cell
                if status in FINAL:
                    return job
                name = name or workflow_name(self.scheduler, job)
                started = time.monotonic()
                if name:
                    engine.wait_for_end(name, REFRESH_SECONDS)
                # Never a busy loop, whatever the engine answers.
                time.sleep(max(0.0, 0.05 - (time.monotonic() - started)))
                job = self.get_job(job_id)
        finally:
            self._end_bar()

    # ---- showing it -----------------------------------------------------

    def _status(self, job, status: str) -> None:
        if self.mode == "json":
            self._json({"event": "status", "job_id": job.job_id, "status": status,
                        "status_message": job.status_message})
        elif status not in FINAL:
            self._end_bar()
            message = f" ({job.status_message})" if job.status_message else ""
            print(f"job {job.job_id}: {status}{message}", file=self.err, flush=True)

    def _progress(self, job, status: str, summary: dict, changed: bool) -> None:
        cell, cells, elapsed = summary["cell"], summary["cells"], summary["elapsed_seconds"]
        if self.mode == "json":
            if changed:
                self._json({"event": "progress", "job_id": job.job_id, **summary})
        elif self.mode == "bar":
            line = f"{bar(cell, cells)} cell {cell}/{cells}  {clock(elapsed)}  {status}"
            self.err.write("\r" + line.ljust(60))
            self.err.flush()
            self._drawn = True
        elif changed:
            print(f"job {job.job_id}: cell {cell} of {cells}, {clock(elapsed)} elapsed", file=self.err, flush=True)

    def _end_bar(self) -> None:
        if self._drawn:
            self.err.write("\n")
            self.err.flush()
            self._drawn = False

    def _json(self, data: dict) -> None:
        print(json.dumps(data), file=self.out, flush=True)
