"""Attempts of a retried run: which one this is, and what the earlier ones ended with.

Argo starts a new pod for each attempt (retryStrategy) and tells it its
retry number; nothing else survives from one pod to the next. Each attempt
leaves its outcome in a small file in the job's staging folder, beside the
run log, so that the next one, and the exit handler, can say what happened
to all of them in the job's status message.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

ATTEMPTS_FILE = ".argo-scheduler-attempts.json"
NO_OUTCOME = "ended without recording an outcome (its pod was lost)"
SUCCEEDED = "succeeded"

# "attempt 2 of 3 failed: " — what a retried attempt's own reason is prefixed with.
_PREFIX = re.compile(r"^attempt \d+ of \d+ failed: ")


@dataclass(frozen=True)
class Attempt:
    number: int  # 1 for the first
    of: int

    @classmethod
    def from_retries(cls, retry_number: int, retry_limit: int) -> "Attempt":
        """Argo's 0-based `{{retries}}` and the retryStrategy's limit, as attempt k of n."""
        if retry_limit < 0 or not 0 <= retry_number <= retry_limit:
            raise ValueError(f"retry number {retry_number} is not between 0 and the retry limit {retry_limit}")
        return cls(retry_number + 1, retry_limit + 1)

    @property
    def retried(self) -> bool:
        return self.of > 1

    @property
    def last(self) -> bool:
        return self.number >= self.of


ONLY = Attempt(1, 1)


def _path(folder: str) -> str:
    return os.path.join(folder, ATTEMPTS_FILE)


def outcomes(folder: str) -> dict[int, str]:
    """Attempt number -> how it ended, as far as the attempts could record it."""
    try:
        with open(_path(folder), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {int(k): str(v) for k, v in data.items() if str(k).isdigit()}


def remember(folder: str, attempt: Attempt, outcome: str) -> None:
    """Record how `attempt` ended; a folder that cannot be written costs only the history."""
    data = outcomes(folder)
    data[attempt.number] = outcome
    try:
        with open(_path(folder), "w", encoding="utf-8") as f:
            json.dump({str(k): v for k, v in sorted(data.items())}, f, ensure_ascii=False)
    except OSError as error:
        log.warning("Could not record the outcome of attempt %d: %s", attempt.number, error)


def history(folder: str, before: int) -> list[str]:
    """ "attempt j: outcome" for every attempt before `before`."""
    known = outcomes(folder)
    return [f"attempt {j}: {known.get(j, NO_OUTCOME)}" for j in range(1, before)]


def running_message(attempt: Attempt, folder: str) -> str | None:
    """The status message while a later attempt runs; None for a first attempt."""
    if attempt.number == 1:
        return None
    return "; ".join([f"attempt {attempt.number} of {attempt.of} running", *history(folder, attempt.number)])


def message(attempt: Attempt, reason: str | None, folder: str, retrying: bool) -> str:
    """The status message of an attempt that ended: its outcome first, then the earlier ones'."""
    if reason is None:
        head = f"attempt {attempt.number} of {attempt.of} succeeded"
    else:
        head = f"attempt {attempt.number} of {attempt.of} failed: {reason}"
        if retrying:
            head += "; retrying"
    return "; ".join([head, *history(folder, attempt.number)])


def own_reason(status_message: str | None) -> str:
    """The reason a message gives for its own attempt, without the "attempt k of n failed: " prefix."""
    return _PREFIX.sub("", status_message or "", count=1)


# ---- for readers: the server's handler and the CLI ---------------------------

RUNNING, FAILED_ATTEMPT, SUCCEEDED_ATTEMPT = "running", "failed", "succeeded"
_RUNNING_STATUSES = frozenset({"IN_PROGRESS", "STOPPING"})
_NOT_STARTED = frozenset({"CREATED", "QUEUED"})


def summary(folder: str, status: str, status_message: str | None, current: int | None) -> list[dict]:
    """Each attempt of a run and how it ended: [{"attempt", "status", "message"}], first attempt first.

    From what the runtime records: the outcomes a retried run's attempts
    left (outcomes()), the attempt the progress file names (`current`, the
    latest that started), and the job's status for the attempt that has not
    recorded an outcome yet — running while the job runs, else the job's end.
    A job not started yet has no attempt.
    """
    status = str(status).rsplit(".", 1)[-1]
    known = outcomes(folder)
    latest = max([*known, current or 0])
    if latest == 0:
        if status in _NOT_STARTED:
            return []
        latest = 1
    attempts = []
    for number in range(1, latest + 1):
        outcome = known.get(number)
        if outcome == SUCCEEDED:
            attempts.append({"attempt": number, "status": SUCCEEDED_ATTEMPT, "message": None})
        elif outcome is not None:
            attempts.append({"attempt": number, "status": FAILED_ATTEMPT, "message": outcome})
        elif number < latest:
            attempts.append({"attempt": number, "status": FAILED_ATTEMPT, "message": NO_OUTCOME})
        elif status in _RUNNING_STATUSES:
            attempts.append({"attempt": number, "status": RUNNING, "message": None})
        elif status == "COMPLETED":
            attempts.append({"attempt": number, "status": SUCCEEDED_ATTEMPT, "message": None})
        else:
            attempts.append({"attempt": number, "status": FAILED_ATTEMPT, "message": own_reason(status_message) or None})
    return attempts
