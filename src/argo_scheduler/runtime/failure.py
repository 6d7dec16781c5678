"""The workflow's exit handler: record what the job's pod could not.

Argo runs it only when the workflow did not succeed. Either the pod recorded
its own outcome (a failing cell: FAILED with the cell's error) and nothing
needs changing, or the pod died or never started (OOMKilled, evicted,
deadline exceeded, image pull failure, stopped) and only Argo knows why.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from jupyter_scheduler.models import Status
from jupyter_scheduler.utils import get_utc_timestamp

from ..spec import RunSpec
from . import attempts
from .events import Notifier, build_event, notify
from .records import (
    STOPPED_BY_USER,
    TERMINATED_MESSAGE,
    JobSnapshot,
    JobStore,
    job_id_for,
    resolve_db_url,
)
from .runlog import run_log
from .staging import JobFiles, stage_input

log = logging.getLogger(__name__)

SUCCEEDED = "Succeeded"

# How Argo words a shutdown on the nodes it cut short, across versions:
# "Stopped with strategy 'Stop'", "workflow shutdown with strategy: Terminate".
_SHUTDOWN = re.compile(r"(?:stopped|shutdown) with strategy:?\s*['\"]?(stop|terminate)\b", re.IGNORECASE)

OUTPUTS_MAY_BE_MISSING = "outputs may be missing or incomplete"

# How Argo and Kubernetes word a deadline on the nodes it ended: the
# controller's execution control ("Step exceeded its deadline", also what
# Argo's executor writes as the container's termination message) and the
# kubelet's DeadlineExceeded, for the pod whose activeDeadlineSeconds Argo set
# from what was left of the workflow's.
_DEADLINE = re.compile(
    r"exceeded its deadline|longer than the specified deadline|DeadlineExceeded", re.IGNORECASE
)


@dataclass(frozen=True)
class NodeFailure:
    """One entry of Argo's `{{workflow.failures}}`."""

    name: str
    message: str
    template: str = ""
    phase: str = ""
    pod: str = ""

    @classmethod
    def of(cls, item: Any) -> "NodeFailure":
        if not isinstance(item, Mapping):
            return cls(name="", message=str(item))
        return cls(
            name=str(item.get("displayName") or ""),
            message=str(item.get("message") or ""),
            template=str(item.get("templateName") or ""),
            phase=str(item.get("phase") or ""),
            pod=str(item.get("podName") or ""),
        )


def parse_failures(text: str | None) -> list[NodeFailure]:
    """Argo's failures, tolerating what the argument can be when there are none.

    Empty, "null", and the literal `{{workflow.failures}}` (Argo leaves a
    variable it cannot resolve as is) mean none; text that is not JSON is
    kept whole as one message rather than lost.
    """
    text = (text or "").strip()
    if not text or text.lower() in {"null", "none"} or text.startswith("{{"):
        return []
    try:
        data = json.loads(text)
        # Argo v4 stores workflow.failures as a quoted JSON string and its
        # substitution keeps the quotes: the pod gets JSON inside JSON.
        if isinstance(data, str):
            data = json.loads(data) if data.strip() else None
    except ValueError:
        return [NodeFailure(name="", message=text)]
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [NodeFailure.of(item) for item in items if item]


def shutdown_strategy(failures: Sequence[NodeFailure]) -> str | None:
    """"Stop" or "Terminate" when Argo says the workflow was shut down that way."""
    for failure in failures:
        match = _SHUTDOWN.search(failure.message)
        if match:
            return match.group(1).capitalize()
    return None


def deadline_messages(failures: Sequence[NodeFailure]) -> list[str]:
    """Argo's words for a deadline, when that is how the workflow ended."""
    return list(dict.fromkeys(f.message for f in failures if _DEADLINE.search(f.message)))


def timed_out(messages: Sequence[str], timeout_seconds: int | None) -> str:
    after = f" after {timeout_seconds} s" if timeout_seconds else ""
    return f"timed out{after} (Argo: {'; '.join(messages)}); {OUTPUTS_MAY_BE_MISSING}"


def describe(failures: Sequence[NodeFailure], workflow_status: str) -> str:
    """The FAILED message for a run whose pod did not record one, in Argo's words."""
    named = len({failure.name for failure in failures if failure.message}) > 1
    messages = [
        f"{failure.name}: {failure.message}" if named and failure.name else failure.message
        for failure in failures
        if failure.message
    ]
    if not messages:
        status = workflow_status if workflow_status and not workflow_status.startswith("{{") else "failed"
        return f"Workflow {status} with no message from Argo; {OUTPUTS_MAY_BE_MISSING}"
    return f"Run Failed: {'; '.join(dict.fromkeys(messages))}; {OUTPUTS_MAY_BE_MISSING}"


def _stopped(row: JobSnapshot, now: int) -> Mapping[str, Any]:
    keep_message = row.status in (Status.STOPPING, Status.STOPPED) and row.status_message
    return {
        "status": Status.STOPPED.value,
        "status_message": row.status_message if keep_message else STOPPED_BY_USER,
        "end_time": row.end_time or now,
    }


def decide(
    row: JobSnapshot,
    failures: Sequence[NodeFailure],
    workflow_status: str,
    timeout_seconds: int | None = None,
    earlier: Sequence[str] = (),
) -> Mapping[str, Any] | None:
    """The record's changes after a workflow that did not succeed; None to leave it as it is.

    `earlier` are the outcomes the run's attempts recorded ("attempt 1: …"),
    kept after the reason this handler gives.
    """
    now = get_utc_timestamp()
    stopped_by_argo = shutdown_strategy(failures) == "Stop"
    if row.status is Status.STOPPING:
        return _stopped(row, now)
    if row.status is Status.STOPPED:
        # New rows are STOPPED by default in jupyter-scheduler, so STOPPED
        # alone is not a user's stop: it is one if the pod had started (and
        # so had moved the row on) or if Argo says the workflow was stopped.
        if row.start_time is not None or stopped_by_argo:
            return None if row.end_time else {"end_time": now}
    if row.status is Status.COMPLETED:
        # The notebook ran and its outputs are written; what failed after
        # (a notifier, the pod's exit) does not undo that.
        return None
    # A retried run's message starts "attempt k of n failed: ", then the reason.
    pod_was_terminated = attempts.own_reason(row.status_message).startswith(TERMINATED_MESSAGE)
    if row.status is Status.FAILED and (not pod_was_terminated or not failures):
        # The pod's own message (the failing cell's error) is the best one.
        return None if row.end_time else {"end_time": now}
    if stopped_by_argo:
        return _stopped(row, now)
    deadline = deadline_messages(failures)
    reason = timed_out(deadline, timeout_seconds) if deadline else describe(failures, workflow_status)
    return {
        "status": Status.FAILED.value,
        "status_message": "; ".join([reason, *earlier]),
        "end_time": now,
    }


def record_failure(
    spec: RunSpec,
    *,
    workflow_name: str,
    workflow_uid: str,
    workflow_status: str,
    workflow_failures: str | None,
    timeout_seconds: int | None = None,
    db_url: str | None = None,
    notifiers: Sequence[Notifier] = (),
) -> JobSnapshot | None:
    """Record the outcome of a workflow that did not succeed; the job's record after, or None.

    Creates the record of a cron run whose pod never started. Notifiers run
    only when this handler changed the outcome: otherwise the pod already
    recorded and announced it.
    """
    if workflow_status == SUCCEEDED:
        log.info("Workflow %s succeeded: nothing to record", workflow_name)
        return None
    failures = parse_failures(workflow_failures)
    job_id = job_id_for(spec, workflow_uid)
    with JobStore(resolve_db_url(spec, db_url)) as store:
        store.ensure_schema()
        record, created = store.ensure_job(spec, job_id)
        files = JobFiles.of(
            spec.staging_path, job_id, record.input_filename, record.create_time, record.output_formats
        )
        if created:
            try:
                # Only so the job's input is downloadable like any run's.
                stage_input(spec.input_path, files)
            except OSError as error:
                log.warning("Could not stage the input of job %s: %s", job_id, error)
        decisions: list[Mapping[str, Any] | None] = []
        earlier = [f"attempt {n}: {outcome}" for n, outcome in sorted(attempts.outcomes(files.folder).items())]

        def deciding(row: JobSnapshot) -> Mapping[str, Any] | None:
            decisions.append(decide(row, failures, workflow_status, timeout_seconds, earlier))
            return decisions[-1]

        with run_log(files.log):
            log.info(
                "Exit handler: workflow %s %s; Argo reports %d failed node(s)",
                workflow_name,
                workflow_status,
                len(failures),
            )
            final = store.update(job_id, deciding)
            if final is None:
                log.warning("The record of job %s is gone: nothing to record", job_id)
                return None
            log.info("Job %s: %s %s", job_id, final.status.value, final.status_message or "")
    if decisions and decisions[-1] and "status" in decisions[-1]:
        notify(
            notifiers,
            build_event(
                source="exit-handler",
                record=final,
                files=files,
                spec=spec,
                workflow_name=workflow_name,
                workflow_uid=workflow_uid,
            ),
        )
    return final
