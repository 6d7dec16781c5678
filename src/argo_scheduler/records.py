"""The job records the server writes itself: settled from their workflows, forgotten, or made for runs without one.

A job's pod writes its own record as it runs; the server writes what a pod
could not (reconcile.py decides what, from the engine's states). Every write
goes through the scheduler's owner-scoped sessions (db.owner_sessions), so
it touches only this owner's rows.
"""

from __future__ import annotations

import os
import shutil
from typing import Callable, Iterable

from jupyter_scheduler.models import DescribeJobDefinition, Status
from jupyter_scheduler.orm import Job, JobDefinition
from jupyter_scheduler.utils import get_utc_timestamp
from sqlalchemy.exc import IntegrityError

from .engines.base import FAILED, CronState, WorkflowState
from .labels import DEFINITION_ID_LABEL
from .reconcile import RECONCILED_STATUSES, record_updates, refused_run, unrecorded_run_status

# A bounded IN query: never the whole table.
_KNOWN_CHUNK = 500


class RecordWriter:
    """Writes to this owner's job and job definition records."""

    def __init__(self, sessions, staging_path: str, forget_secrets: Callable[[str], None]):
        self._sessions = sessions
        self._staging_path = staging_path
        self._forget_secrets = forget_secrets

    def settle(self, job_id: str, updates: dict) -> None:
        with self._sessions() as session:
            # Only records still unfinished: the pod may have just written its own.
            session.query(Job).filter(
                Job.job_id == job_id, Job.status.in_([s.value for s in RECONCILED_STATUSES])
            ).update(updates, synchronize_session=False)
            session.commit()

    def forget(self, record_id: str, table=Job) -> None:
        """The record, its staging folder and its secret parameters, gone."""
        self._forget_secrets(record_id)
        shutil.rmtree(os.path.join(self._staging_path, record_id), ignore_errors=True)
        key = Job.job_id if table is Job else JobDefinition.job_definition_id
        with self._sessions() as session:
            session.query(table).filter(key == record_id).delete()
            session.commit()

    def store_definition(self, job_definition_id: str, values: dict) -> None:
        with self._sessions() as session:
            session.query(JobDefinition).filter(JobDefinition.job_definition_id == job_definition_id).update(
                {**values, "update_time": get_utc_timestamp()}
            )
            session.commit()

    def known_ids(self, job_ids: Iterable[str]) -> set[str]:
        """Which of `job_ids` have a record of this owner's."""
        ids = sorted(set(job_ids))
        known: set[str] = set()
        with self._sessions() as session:
            for start in range(0, len(ids), _KNOWN_CHUNK):
                chunk = ids[start:start + _KNOWN_CHUNK]
                known.update(job_id for (job_id,) in session.query(Job.job_id).filter(Job.job_id.in_(chunk)))
        return known

    def record_refused_runs(self, crons: Iterable[CronState], advice: Callable[[str], str | None]) -> None:
        """A FAILED record for each scheduled run Argo's cron controller could not create (no Workflow exists)."""
        refusals = []
        for cron in crons:
            refused = refused_run(cron, advice(cron.submission_error or ""))
            definition_id = cron.labels.get(DEFINITION_ID_LABEL)
            if refused is not None and definition_id is not None:
                refusals.append((*refused, definition_id, cron))
        known_ids = self.known_ids(job_id for job_id, *_ in refusals)
        for job_id, message, definition_id, cron in refusals:
            if job_id in known_ids:
                continue
            now = get_utc_timestamp()
            state = WorkflowState(name=cron.name, phase=FAILED, message=message, started_at=now, finished_at=now)
            self.record_unrecorded_run(job_id, definition_id, state)

    def record_unrecorded_run(self, job_id: str, definition_id: str, state: WorkflowState) -> None:
        """The record of a cron run whose pod never wrote one, from its definition and its workflow's end."""
        status = unrecorded_run_status(state)
        if status is None:
            return
        with self._sessions() as session:
            definition = (
                session.query(JobDefinition).filter(JobDefinition.job_definition_id == definition_id).one_or_none()
            )
            if definition is None or session.query(Job).filter(Job.job_id == job_id).count():
                return
            updates = record_updates(Status.IN_PROGRESS, state, get_utc_timestamp())
            described = DescribeJobDefinition.from_orm(definition)
            session.add(
                Job(
                    job_id=job_id,
                    job_definition_id=definition_id,
                    name=described.name,
                    input_filename=described.input_filename,
                    runtime_environment_name=described.runtime_environment_name,
                    runtime_environment_parameters=described.runtime_environment_parameters,
                    output_formats=list(described.output_formats or []),
                    parameters=described.parameters,
                    compute_type=described.compute_type,
                    create_time=state.started_at or updates["end_time"],
                    start_time=state.started_at,
                    **updates,
                )
            )
            try:
                session.commit()
            except IntegrityError:
                # The id is taken by a row this owner cannot see (one without
                # owner, written by an older runtime): that row is the record.
                session.rollback()
