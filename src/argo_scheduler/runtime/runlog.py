"""The run log: one file in the job's staging folder with everything the run said.

papermill logs each cell's boundaries and, with `log_output`, what the kernel
printed; the runtime logs its own steps. Both go to the same file, which
outlives the pod, so a user can read why a run failed without kubectl.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator

LOG_LINE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# The loggers whose records belong in a run's log.
RUN_LOGGERS = ("argo_scheduler", "papermill")

log = logging.getLogger(__name__)


class _RunLogHandler(logging.FileHandler):
    """A FileHandler that, when the file cannot be written (a full disk), says so once and stops trying.

    logging's own handler prints a traceback to stderr for every record it
    fails to write, which buries the one line that says why the run failed.
    """

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        print(f"Cannot write the run log {self.baseFilename}: {type(error).__name__}: {error}", file=sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError:
            # Flushing what could not be written fails again: already said.
            pass


@contextmanager
def run_log(path: str) -> Iterator[None]:
    """Append the runtime's and papermill's log records to `path` while the block runs.

    Not thread-safe: two runs in one process would share these loggers.
    A log file that cannot be opened is not a reason to fail a run.
    """
    try:
        # Append: a retried pod of the same run adds to the first attempt's log.
        handler = _RunLogHandler(path, mode="a", encoding="utf-8")
    except OSError as error:
        log.warning("Cannot write the run log %s: %s", path, error)
        yield
        return
    handler.setFormatter(logging.Formatter(LOG_LINE_FORMAT))
    handler.setLevel(logging.INFO)
    loggers = [logging.getLogger(name) for name in RUN_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.removeHandler(handler)
            logger.setLevel(level)
        handler.close()
