"""A run's progress: cell i of N and since when, in a small file in the job's staging folder.

The runtime writes it as papermill starts each cell (execute.py hooks
papermill's execution manager); the Jupyter server's handler and the CLI
read it while the run goes on. Each write replaces the whole file
atomically (a temporary file renamed over it), so a reader never sees half
of one. Cells are counted as papermill counts them: every cell of the
executed notebook, the injected parameters cell included, so "cell 3" is
papermill's "Executing Cell 3" in the run log.

    {"attempt": 1, "cell": 3, "cells": 12,
     "started_at": 1767225600.5, "updated_at": 1767225604.1, "finished_at": null}

Times are epoch seconds of the pod's clock. A file that cannot be written
costs only the progress, never the run. Light on purpose: readers import
nothing heavy.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from typing import Any, Callable

log = logging.getLogger(__name__)

PROGRESS_FILE = ".argo-scheduler-progress.json"


def path(folder: str) -> str:
    return os.path.join(folder, PROGRESS_FILE)


class Progress:
    """The progress of one attempt of a run, written as it changes."""

    def __init__(self, folder: str, attempt: int = 1, clock: Callable[[], float] = time.time):
        self.folder = folder
        self.clock = clock
        self.data: dict[str, Any] = {
            "attempt": attempt, "cell": 0, "cells": 0, "started_at": clock(), "updated_at": None, "finished_at": None,
        }
        self._broken = False

    def start(self, cells: int) -> None:
        """The notebook, `cells` long, is about to run."""
        self._write(cell=0, cells=cells)

    def cell(self, index: int, cells: int) -> None:
        """Cell `index` (0-based, as papermill counts) starts."""
        self._write(cell=index + 1, cells=cells)

    def finish(self) -> None:
        """The notebook ran to its end, or stopped where the run failed."""
        self._write(finished_at=self.clock())

    def _write(self, **changes: Any) -> None:
        if self._broken:
            return
        self.data.update(changes, updated_at=self.clock())
        try:
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=PROGRESS_FILE + ".", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(self.data, f)
                os.replace(temporary, path(self.folder))
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as error:
            self._broken = True
            log.warning("Cannot write the run's progress to %s: %s", path(self.folder), error)


def read(folder: str) -> dict[str, Any] | None:
    """The progress file of the job whose staging folder is `folder`, or None when there is none (yet)."""
    try:
        with open(path(folder), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("cell", "cells")):
        return None
    return data


def elapsed_seconds(data: dict[str, Any], now: float | None = None) -> float:
    """Seconds the attempt has run: until it finished, else until `now` (default: the clock)."""
    started = data.get("started_at")
    if not isinstance(started, (int, float)):
        return 0.0
    end = data.get("finished_at")
    if not isinstance(end, (int, float)):
        end = time.time() if now is None else now
    return round(max(0.0, end - started), 1)


def summary(data: dict[str, Any] | None, now: float | None = None) -> dict[str, Any] | None:
    """{"cell", "cells", "elapsed_seconds"} of a progress file's data, as the handler and the CLI show it."""
    if data is None:
        return None
    return {"cell": data["cell"], "cells": data["cells"], "elapsed_seconds": elapsed_seconds(data, now)}
