"""One run of a notebook job, from its record to its outcome.

record (created for a cron run) -> IN_PROGRESS -> papermill -> outputs and
log in the staging folder -> COMPLETED / FAILED -> notifiers.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from jupyter_scheduler.models import Status
from jupyter_scheduler.utils import get_utc_timestamp

from .. import processes
from ..spec import RunSpec
from . import attempts
from .attempts import ONLY, Attempt
from .events import Event, Notifier, build_event, notify
from .execute import NotebookFailed, Terminated, error_message, run_notebook, write_outputs
from .progress import Progress
from .records import (
    STOPPED_BY_USER,
    JobSnapshot,
    JobStore,
    JobVanished,
    job_id_for,
    resolve_db_url,
)
from .runlog import run_log
from .staging import JobFiles, stage_input

log = logging.getLogger(__name__)

_USER_STOP = (Status.STOPPING, Status.STOPPED)
_SETTLED = (Status.COMPLETED, Status.FAILED)

# Seconds the notebook's leftover processes get between SIGTERM and SIGKILL
# once the run is over.
LEFTOVER_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class RunResult:
    job_id: str
    status: Status
    status_message: str | None
    # What the notifiers received; None when the record was gone at the end.
    event: Event | None

    @property
    def exit_code(self) -> int:
        # Non-zero for anything but success, so Argo's workflow phase says
        # the same as the record and the exit handler runs.
        return 0 if self.status is Status.COMPLETED else 1


def starting(attempt: Attempt, message: str | None) -> Callable[[JobSnapshot], Mapping[str, Any] | None]:
    def decide(row: JobSnapshot) -> Mapping[str, Any] | None:
        if row.status is Status.STOPPING:
            return None
        # A restarted pod starts afresh: the previous pod's end and message no
        # longer apply. A later attempt keeps the run's start and says what
        # the earlier attempts ended with.
        later = attempt.number > 1 and row.start_time is not None
        return {
            "status": Status.IN_PROGRESS.value,
            "start_time": row.start_time if later else get_utc_timestamp(),
            "end_time": None,
            "status_message": message,
        }

    return decide


def finishing(status: Status, message: str | None) -> Callable[[JobSnapshot], Mapping[str, Any] | None]:
    """The final record's changes, unless the user stopped the run meanwhile: then STOPPED.

    A record that someone else already settled (the scheduler, having found
    the workflow over) is left as it is: an end is recorded once.
    """

    def decide(row: JobSnapshot) -> Mapping[str, Any] | None:
        if row.status in _SETTLED and row.end_time is not None:
            return None
        if row.status in _USER_STOP:
            return {
                "status": Status.STOPPED.value,
                "status_message": row.status_message or STOPPED_BY_USER,
                "end_time": row.end_time or get_utc_timestamp(),
            }
        if status is Status.IN_PROGRESS:
            # A failed attempt that Argo will retry: the run goes on.
            return {"status": status.value, "status_message": message}
        return {"status": status.value, "status_message": message, "end_time": get_utc_timestamp()}

    return decide


def attempt_outcome(
    attempt: Attempt, status: Status, message: str | None, folder: str
) -> tuple[Status, str | None]:
    """The record's outcome of one attempt of a retried run; a failure with attempts left is IN_PROGRESS."""
    if not attempt.retried or status not in (Status.COMPLETED, Status.FAILED):
        return status, message
    reason = None if status is Status.COMPLETED else (message or "failed")
    retrying = reason is not None and not attempt.last
    text = attempts.message(attempt, reason, folder, retrying)
    attempts.remember(folder, attempt, reason or attempts.SUCCEEDED)
    return (Status.IN_PROGRESS if retrying else status), text


def _outcome(failure: str | None, output_failures: Mapping[str, str]) -> tuple[Status, str | None]:
    reasons = [failure] if failure else []
    if output_failures and not failure:
        reasons.append("The notebook ran, but not every output could be written")
    reasons += [f"output {fmt!r} not written: {reason}" for fmt, reason in output_failures.items()]
    if not reasons:
        return Status.COMPLETED, None
    return Status.FAILED, "; ".join(reasons)


def execute_job(
    spec: RunSpec, files: JobFiles, cell_timeout: int | None = None, attempt: Attempt = ONLY
) -> tuple[Status, str | None]:
    """Run the staged notebook and write every requested output; COMPLETED or FAILED with why.

    Outputs are written whether or not the notebook failed: the partly
    executed notebook shows where and why. A run cut short by SIGTERM is
    IN_PROGRESS with TERMINATED_MESSAGE: the pod does not know why it was
    stopped (the user, the deadline, an eviction), the exit handler does,
    and records the end once.
    """
    failure: str | None = None
    terminated = False
    try:
        with tempfile.TemporaryDirectory(prefix="argo-scheduler-") as scratch:
            # papermill writes the executed notebook straight to the ipynb output;
            # without one, it goes to a scratch file that the other formats read.
            executed = files.outputs.get("ipynb") or os.path.join(scratch, os.path.basename(files.input))
            try:
                stage_input(spec.input_path, files)
                run_notebook(
                    files.input, executed, spec.parameters, spec.kernel_name, cwd=files.folder,
                    cell_timeout=cell_timeout, progress=Progress(files.folder, attempt.number),
                )
            except NotebookFailed as error:
                failure = str(error)
                terminated = isinstance(error.__cause__, Terminated)
            # Anything else (an unreadable notebook, a full disk, a papermill
            # bug) is still this run's failure and must reach the record.
            except Exception as error:
                log.exception("The run failed")
                failure = error_message(error)
            if failure:
                log.error("Run failed: %s", failure)
            others = {fmt: path for fmt, path in files.outputs.items() if fmt != "ipynb"}
            if not others:
                output_failures = {}
            elif os.path.exists(executed):
                output_failures = write_outputs(executed, others, cwd=files.folder)
            else:
                log.error("No executed notebook: no output was written")
                output_failures = {}
    except OSError as error:
        # The scratch folder could not be made or removed (a full /tmp).
        log.exception("The run failed")
        failure, output_failures = failure or error_message(error), {}
    status, message = _outcome(failure, output_failures)
    if terminated:
        return Status.IN_PROGRESS, message
    return status, message


def run_job(
    spec: RunSpec,
    *,
    workflow_name: str,
    workflow_uid: str,
    db_url: str | None = None,
    notifiers: Sequence[Notifier] = (),
    attempt: Attempt = ONLY,
    cell_timeout: int | None = None,
    own_process_tree: bool = False,
) -> RunResult:
    """Run one job the way its pod does, and record it; the caller decides what to exit with.

    `own_process_tree` is for the pod's process alone (python -m
    argo_scheduler.runtime): it becomes the subreaper of what the notebook
    starts and ends all of it (every descendant of the process) before the
    outcome is recorded.

    `db_url` overrides the spec's and the environment's. `attempt` is which
    of the run's attempts this pod is: a failure with attempts left keeps
    the record IN_PROGRESS and tells no notifier. Raises
    DatabaseNotConfigured without a database, and sqlalchemy's errors when
    the database cannot be reached: then nothing could be recorded.
    """
    job_id = job_id_for(spec, workflow_uid)
    if own_process_tree:
        processes.become_subreaper()
    with JobStore(resolve_db_url(spec, db_url)) as store:
        store.ensure_schema()
        record, created = store.ensure_job(spec, job_id)
        if created:
            log.info("Created the record of job %s (job definition %s)", job_id, spec.job_definition_id or "none")
        files = JobFiles.of(
            spec.staging_path, job_id, record.input_filename, record.create_time, record.output_formats
        )
        try:
            os.makedirs(files.folder, exist_ok=True)
        except OSError:
            # Staging the input fails on the same error below, inside the
            # run, where it becomes the job's status message.
            pass
        with run_log(files.log):
            log.info("Job %s: workflow %s (uid %s)", job_id, workflow_name, workflow_uid)
            if attempt.retried:
                log.info("Attempt %d of %d", attempt.number, attempt.of)
            started = store.update(job_id, starting(attempt, attempts.running_message(attempt, files.folder)))
            if started is None:
                raise JobVanished(f"The record of job {job_id} was deleted before the run started")
            if started.status is Status.STOPPING:
                log.info("The job was stopped before it started: not running it")
                status, message = Status.STOPPED, None
            else:
                try:
                    status, message = execute_job(spec, files, cell_timeout, attempt)
                    status, message = attempt_outcome(attempt, status, message, files.folder)
                except Exception as error:
                    # Whatever broke (a full disk under the staging folder),
                    # the record must say what, not only the pod's exit code.
                    log.exception("The run failed")
                    status, message = Status.FAILED, error_message(error)
            if own_process_tree:
                # The run is over: so is whatever the notebook started, in
                # a session of its own or not (its orphans are ours).
                left = processes.end_descendants(LEFTOVER_GRACE_SECONDS)
                if left:
                    log.error("Processes the notebook started would not end: %s", [p.pid for p in left])
            final = store.update(job_id, finishing(status, message))
            if final is None:
                log.warning("The record of job %s was deleted during the run (%s)", job_id, status.value)
                return RunResult(job_id, status, message, None)
            log.info("Job %s: %s %s", job_id, final.status.value, final.status_message or "")
    if final.status is Status.IN_PROGRESS:
        return RunResult(job_id, final.status, final.status_message, None)
    event = build_event(
        source="pod",
        record=final,
        files=files,
        spec=spec,
        workflow_name=workflow_name,
        workflow_uid=workflow_uid,
    )
    notify(notifiers, event)
    return RunResult(job_id, final.status, final.status_message, event)
