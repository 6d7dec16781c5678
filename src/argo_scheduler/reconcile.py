"""Pure decisions: what a job record should say, given its workflow's state.

The engine is the truth about runs. These functions turn what it reports into
record updates; the scheduler applies them. No I/O here.
"""

from __future__ import annotations

from jupyter_scheduler.models import Status

from .engines.base import SUCCEEDED, WorkflowState

# Records the engine may still change. CREATED is not among them: such a
# record is a submission in flight, and its creator settles it.
RECONCILED_STATUSES = (Status.QUEUED, Status.IN_PROGRESS, Status.STOPPING)

NO_RECORD_MESSAGE = (
    "The run succeeded but could not record its outcome; outputs may be missing "
    "(is the database reachable from the job's pod?)"
)
VANISHED_MESSAGE = (
    "No workflow of this job exists any more: it was deleted outside JupyterLab "
    "(or created by an earlier scheduler, such as argo-jupyter-scheduler)"
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
