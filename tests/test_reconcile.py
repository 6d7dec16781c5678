"""What a record should say once the engine has spoken."""

import pytest
from jupyter_scheduler.models import Status

from argo_scheduler.engines.base import WorkflowState
from argo_scheduler.reconcile import NO_RECORD_MESSAGE, VANISHED_MESSAGE, record_updates, unrecorded_run_status

NOW = 1_800_000_000_000


def state(phase, message=None):
    return WorkflowState(name="wf", phase=phase, message=message, finished_at=NOW - 5)


@pytest.mark.parametrize(
    "status, workflow, expected",
    [
        (Status.IN_PROGRESS, state("Running"), None),
        (Status.IN_PROGRESS, state("Pending"), None),
        (Status.IN_PROGRESS, state("Failed", "OOMKilled (exit code 137)"), (Status.FAILED, "OOMKilled (exit code 137)")),
        (Status.IN_PROGRESS, state("Error"), (Status.FAILED, "Workflow Error with no message from Argo")),
        (Status.IN_PROGRESS, state("Succeeded"), (Status.COMPLETED, NO_RECORD_MESSAGE)),
        (Status.IN_PROGRESS, None, (Status.FAILED, VANISHED_MESSAGE)),
        (Status.STOPPING, state("Failed", "Stopped with strategy 'Stop'"), (Status.STOPPED, "Stopped by user")),
        (Status.STOPPING, state("Running"), None),
        (Status.STOPPING, None, (Status.STOPPED, "Stopped by user")),
    ],
    ids=["running", "pending", "oom", "error-no-message", "succeeded-unrecorded", "vanished",
         "stopped", "stopping-still-running", "stopping-vanished"],
)
def test_record_updates(status, workflow, expected):
    updates = record_updates(status, workflow, NOW)
    if expected is None:
        assert updates is None
    else:
        assert (updates["status"], updates["status_message"]) == expected
        assert updates["end_time"] in (NOW, NOW - 5)


@pytest.mark.parametrize(
    "phase, expected",
    [("Running", None), ("Pending", None), ("Failed", Status.FAILED), ("Error", Status.FAILED), ("Succeeded", Status.COMPLETED)],
    ids=["running", "pending", "failed", "error", "succeeded"],
)
def test_a_cron_run_without_record_is_recorded_only_once_over(phase, expected):
    assert unrecorded_run_status(state(phase)) == expected
