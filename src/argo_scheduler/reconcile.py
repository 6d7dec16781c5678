"""Pure decisions: what a job record should say, given its workflow's state.

The engine is the truth about runs. These functions turn what it reports into
record updates; reconciler.py applies them. No I/O here.
"""

from __future__ import annotations

import uuid

from jupyter_scheduler.models import Status

from .engines.base import SUCCEEDED, CronState, WorkflowState

# Records the engine may still change. CREATED is not among them: such a
# record is a submission in flight, and its creator settles it.
RECONCILED_STATUSES = (Status.QUEUED, Status.IN_PROGRESS, Status.STOPPING)

NO_RECORD_MESSAGE = (
    "The run succeeded but could not record its outcome; outputs may be missing "
    "(is the database reachable from the job's pod?)"
)
REFUSED_MESSAGE = "Argo could not start this scheduled run; no workflow was created. {error}"
# Ids of refused runs' records: derived from the refusal, so each is recorded once.
_REFUSALS = uuid.UUID("5d4c1f0e-8a55-4f4e-9a59-3c2f1d0b7a61")
VANISHED_MESSAGE = (
    "No workflow of this job exists any more, and its pod did not record how it ended: Argo deleted it "
    "after its time to live (c.ArgoScheduler.workflow_ttl_seconds) before JupyterLab looked, or it was "
    "deleted outside JupyterLab (or created by an earlier scheduler, such as argo-jupyter-scheduler)"
)


def record_updates(status: Status, state: WorkflowState | None, now: int) -> dict | None:
    """Updates for a record still in `status`, or None while its run goes on.

    Called only for records the pod and exit handler left unfinished: when the
    workflow is over, whatever they did not record is recorded here.
    """
    if state is not None and not state.done:
        return None
    if status == Status.STOPPING:
        return {"status": Status.STOPPED, "status_message": "Stopped by user", "end_time": now}
    if state is None:
        return {"status": Status.FAILED, "status_message": VANISHED_MESSAGE, "end_time": now}
    if state.phase == SUCCEEDED:
        return {"status": Status.COMPLETED, "status_message": NO_RECORD_MESSAGE, "end_time": state.finished_at or now}
    message = state.message or f"Workflow {state.phase} with no message from Argo"
    return {"status": Status.FAILED, "status_message": message[:1024], "end_time": state.finished_at or now}


def unrecorded_run_status(state: WorkflowState) -> Status | None:
    """The status to record for a cron run that has no record at all, or None to wait.

    While it runs, its pod will create the record itself; once it is over
    without one, its pod never started (image pull failure, eviction).
    """
    if not state.done:
        return None
    return Status.COMPLETED if state.phase == SUCCEEDED else Status.FAILED


def refused_run(cron: CronState, advice: str | None) -> tuple[str, str] | None:
    """(job id, status message) of the FAILED record for the refusal Argo keeps on `cron`, or None.

    Argo's condition has no time of its own: a refusal is known by the
    CronWorkflow (uid), the message, and status.failed, which Argo 3.6 and
    later count up with every refusal. So every reconcile that sees the same
    condition finds the same id, and the next refusal gets a new one; before
    3.6, refusals in a row with the same message make one record.
    """
    if not cron.submission_error:
        return None
    key = f"{cron.uid or cron.name}/{cron.failed}/{cron.submission_error}"
    # Room for the advice: a webhook's internal error can carry a whole traceback.
    error = cron.submission_error if len(cron.submission_error) <= 500 else cron.submission_error[:500] + "…"
    message = REFUSED_MESSAGE.format(error=error)
    if advice:
        message = f"{message} {advice}"
    return str(uuid.uuid5(_REFUSALS, key)), message[:1024]
