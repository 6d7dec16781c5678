"""The run log: one file in the job's staging folder with everything the run said.

papermill logs each cell's boundaries and, with `log_output`, what the kernel
printed; the runtime logs its own steps. Both go to the same file, which
outlives the pod, so a user can read why a run failed without kubectl.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

LOG_LINE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

# The loggers whose records belong in a run's log.
RUN_LOGGERS = ("argo_scheduler", "papermill")

log = logging.getLogger(__name__)


@contextmanager
def run_log(path: str) -> Iterator[None]:
    """Append the runtime's and papermill's log records to `path` while the block runs.

    Not thread-safe: two runs in one process would share these loggers.
    A log file that cannot be opened is not a reason to fail a run.
    """
    try:
        # Append: a retried pod of the same run adds to the first attempt's log.
        handler = logging.FileHandler(path, mode="a", encoding="utf-8")
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
