"""What the runtime tells notifiers when a run has ended.

A notifier is any callable taking the event dict. Notifiers run after the
job's final record is written, so the event states what the user will see
(a run the user stopped says STOPPED), and a slow notifier does not hold
the record back. A notifier that fails never changes the job's outcome.

The event (plain JSON types, so a notifier may forward it as is):

    {
      "event": "job.finished",
      "source": "pod" | "exit-handler",   # who recorded the outcome
      "job_id": str,
      "job_name": str | None,
      "job_definition_id": str | None,     # set for runs of a job definition
      "owner": str | None,
      "input_filename": str,
      "status": "COMPLETED" | "FAILED" | "STOPPED",
      "status_message": str | None,
      "parameters": {str: str},            # as the user typed them
      "create_time": int, "start_time": int | None, "end_time": int | None,
                                           # epoch milliseconds
      "staging_dir": str,                  # the job's staging folder
      "outputs": {format: path},           # output files that exist
      "log_path": str | None,              # the run log, if it exists
      "workflow": {"name": str, "uid": str},
    }
"""

from __future__ import annotations

import copy
import logging
import os
from typing import Any, Callable, Iterable

from ..spec import RunSpec
from .records import JobSnapshot
from .staging import JobFiles

log = logging.getLogger(__name__)

Event = dict[str, Any]
Notifier = Callable[[Event], None]


def build_event(
    *,
    source: str,
    record: JobSnapshot,
    files: JobFiles,
    spec: RunSpec,
    workflow_name: str,
    workflow_uid: str,
) -> Event:
    return {
        "event": "job.finished",
        "source": source,
        "job_id": record.job_id,
        "job_name": record.name,
        "job_definition_id": record.job_definition_id,
        "owner": spec.owner,
        "input_filename": record.input_filename,
        "status": record.status.value,
        "status_message": record.status_message,
        "parameters": dict(record.parameters),
        "create_time": record.create_time,
        "start_time": record.start_time,
        "end_time": record.end_time,
        "staging_dir": files.folder,
        "outputs": files.existing_outputs(),
        "log_path": files.log if os.path.exists(files.log) else None,
        "workflow": {"name": workflow_name, "uid": workflow_uid},
    }


def notify(notifiers: Iterable[Notifier], event: Event) -> None:
    for notifier in notifiers:
        try:
            # A copy each, so one notifier's edits are not the next one's input.
            notifier(copy.deepcopy(event))
        # Whatever a notifier raises, the run's outcome is already recorded
        # and must not change; the failure is logged for the operator.
        except Exception:
            log.exception("Notifier %r failed; the job's outcome is unchanged", notifier)
