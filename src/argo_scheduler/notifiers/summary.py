"""What a person reads about a finished run: one short text for every notifier.

    report — FAILED after 3 min 4 s (notebook report.ipynb)
    Why: ZeroDivisionError: division by zero (in cell In [3])

Built from the event alone (argo_scheduler.runtime.events), which holds no
secret.
"""

from __future__ import annotations

import os
from typing import Any

# How many lines of the run log go with a failure when there is no HTML output.
LOG_TAIL_LINES = 60


def duration(event: dict[str, Any]) -> str | None:
    """How long the run took, for a person: "12 s", "3 min 4 s", "1 h 2 min"; None if unknown."""
    start, end = event.get("start_time"), event.get("end_time")
    if not isinstance(start, int) or not isinstance(end, int) or end < start:
        return None
    seconds = round((end - start) / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def title(event: dict[str, Any]) -> str:
    """ "report COMPLETED": a subject line."""
    name = event.get("job_name") or event.get("input_filename") or event.get("job_id") or "job"
    return f"{name} {event.get('status', 'ENDED')}"


def summary(event: dict[str, Any]) -> str:
    """The headline, how long it took, and why it failed."""
    status = event.get("status", "ENDED")
    name = event.get("job_name") or event.get("input_filename") or event.get("job_id") or "job"
    took = duration(event)
    line = f"{name} — {status}"
    if took:
        line += f" in {took}" if status == "COMPLETED" else f" after {took}"
    if event.get("input_filename"):
        line += f" (notebook {event['input_filename']})"
    lines = [line]
    if status != "COMPLETED" and event.get("status_message"):
        lines.append(f"Why: {event['status_message']}")
    if event.get("job_definition_id"):
        lines.append(f"A scheduled run of job definition {event['job_definition_id']}.")
    return "\n".join(lines)


def error_text(event: dict[str, Any]) -> str | None:
    """What went wrong, to attach when a failed run has no HTML output: the message and the log's end."""
    if event.get("status") == "COMPLETED":
        return None
    parts = [summary(event)]
    log_path = event.get("log_path")
    if log_path and os.path.isfile(log_path):
        with open(log_path, encoding="utf-8", errors="replace") as f:
            tail = f.readlines()[-LOG_TAIL_LINES:]
        parts.append(f"\nLast {len(tail)} lines of the run log:\n" + "".join(tail))
    return "\n".join(parts)


def html_output(event: dict[str, Any]) -> str | None:
    """The run's HTML output file, if it exists."""
    path = (event.get("outputs") or {}).get("html")
    return path if path and os.path.isfile(path) else None
