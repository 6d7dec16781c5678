"""Reconcile's I/O half: one owner's workflows read from the engine, and its unfinished records settled by them.

The engine is the truth about runs. `OwnerReconciler` asks it only about
what can still change (records still in progress, the runs of this owner's
schedules), lets reconcile.py decide what each record should say, and
writes that through records.RecordWriter.
"""

from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import DescribeJob, Status
from jupyter_scheduler.orm import Job, JobDefinition
from jupyter_scheduler.utils import get_utc_timestamp

from .engines.base import Engine, EngineError, WorkflowState
from .labels import (
    CRON_WORKFLOW_LABEL,
    DEFINITION_ID_LABEL,
    JOB_ID_LABEL,
    MANAGED_BY_SELECTOR,
    OWNER_ANNOTATION,
    OWNER_LABEL,
)
from .names import is_label_value, job_workflow_name, label_value, owner_annotation
from .reconcile import RECONCILED_STATUSES, record_updates
from .records import RecordWriter


class _Pending(NamedTuple):
    """What reconcile reads of a record that is not final."""

    job_id: str
    status: Status
    job_definition_id: str | None
    input_filename: str


def owner_selector(owner: str) -> str:
    """The label selector of `owner`'s workflows (it narrows a listing; `OwnerReconciler.owns` decides)."""
    return f"{MANAGED_BY_SELECTOR},{OWNER_LABEL}={label_value(owner)}"


def index_by_job_id(states: dict[str, WorkflowState]) -> dict[str, WorkflowState]:
    """Workflows by the job they run: a one-off job's by label, a cron run's by uid.

    A cron run's record is created by its pod with the workflow's uid as
    job id, so the uid is its only link to its record.
    """
    index = {}
    for state in states.values():
        job_id = state.labels.get(JOB_ID_LABEL) or (state.uid if state.labels.get(CRON_WORKFLOW_LABEL) else None)
        if job_id:
            index[job_id] = state
    return index


class OwnerReconciler:
    """One owner's workflows on the engine, and that owner's unfinished records brought in line with them."""

    def __init__(
        self, engine: Callable[[], Engine], owner: str, sessions, records: RecordWriter, *,
        batch_size: int, mutators: Iterable, log,
    ):
        # The engine is made on first use: a listing with nothing to
        # reconcile never loads it.
        self._engine = engine
        self._owner = owner
        self._sessions = sessions
        self._records = records
        self._batch_size = batch_size
        self._mutators = mutators
        self._log = log

    def owns(self, state: WorkflowState) -> bool:
        """Whether the workflow is this owner's: its owner annotation names exactly this owner.

        The owner label only narrows the engine's listing; two owners' labels
        could share a value (names.label_value), their annotations cannot.
        """
        return state.annotations.get(OWNER_ANNOTATION) == owner_annotation(self._owner)

    def _owned(self, extra_selector: str = "", names: list[str] | None = None) -> dict[str, WorkflowState]:
        selector = owner_selector(self._owner) + (f",{extra_selector}" if extra_selector else "")
        states = self._engine().status(names=names, label_selector=selector)
        return {name: state for name, state in states.items() if self.owns(state)}

    def owned_states(self, extra_selector: str = "") -> dict[str, WorkflowState]:
        """This owner's workflows, in one engine call (one per page on Argo)."""
        try:
            return self._owned(extra_selector)
        except EngineError as e:
            raise SchedulerError(str(e)) from e

    def _cron_runs(self, definition_id: str) -> dict[str, WorkflowState]:
        """The runs of one job definition's CronWorkflow, by job id (a cron run's is its workflow's uid)."""
        return index_by_job_id(self._owned(f"{DEFINITION_ID_LABEL}={definition_id},{CRON_WORKFLOW_LABEL}"))

    def find_workflow(self, job: DescribeJob) -> WorkflowState | None:
        """The job's workflow among this owner's; another user's is refused, not returned."""
        try:
            state = self._job_states([job.job_id], job.input_filename).get(job.job_id)
            if state is None and job.job_definition_id:
                state = self._cron_runs(job.job_definition_id).get(job.job_id)
        except EngineError as e:
            raise SchedulerError(str(e)) from e
        if state is not None:
            return state
        name = job_workflow_name(job.input_filename, job.job_id)
        try:
            elsewhere = self._engine().status(names=[name]).get(name)
        except EngineError as e:
            raise SchedulerError(str(e)) from e
        if elsewhere is not None:
            raise SchedulerError(f"workflow {name} belongs to another user; {self._owner} cannot change it")
        return None

    def _job_states(self, job_ids, input_filename: str | None = None) -> dict[str, WorkflowState]:
        """This owner's one-off workflows of `job_ids`, by job id: one engine request per batch_size ids.

        With `input_filename`, the workflow of the one job in `job_ids` is
        asked for by its name (job_workflow_name), which Argo answers by key.
        """
        # An id that is no label value labels no workflow (build_workflow
        # labels each with its job id): nothing to ask about.
        ids = sorted({job_id for job_id in job_ids if job_id and is_label_value(job_id)})
        wanted = set(ids)
        size = max(1, self._batch_size)
        states: dict[str, WorkflowState] = {}
        if input_filename is not None and len(ids) == 1:
            # Every one-off job's workflow has this name (build_workflow).
            names = [job_workflow_name(input_filename, ids[0])]
            states = self._owned(f"{JOB_ID_LABEL}={ids[0]}", names=names)
            ids = []
        for start in range(0, len(ids), size):
            chunk = ids[start:start + size]
            selector = f"{JOB_ID_LABEL}={chunk[0]}" if len(chunk) == 1 else f"{JOB_ID_LABEL} in ({','.join(chunk)})"
            states.update(self._owned(selector))
        return {job_id: state for job_id, state in index_by_job_id(states).items() if job_id in wanted}

    def refusal_advice(self, message: str) -> str | None:
        """The first configured mutator's advice on a refusal with `message` (PodSpecMutator.refusal_advice)."""
        return next((a for m in self._mutators if (a := m.refusal_advice(message))), None)

    def reconcile(self, job_id: str | None = None) -> None:
        """Bring this owner's unfinished records in line with their workflows, asking only about those.

        Records still running are settled when their workflow is over; cron
        runs whose pod never wrote a record get one. Final records cost the
        engine nothing: it is asked about the one-off workflows of unfinished
        records by job id (`job-id in (…)`, batch_size ids a request), and,
        while the owner has schedules, about the runs of its CronWorkflows
        (one selector; their number is bounded by the history limits and the
        workflows' time to live). With `job_id`, only that record is
        reconciled (get_job): at most two requests, none when it is final.
        Other owners' records are not read (db.owner_sessions), so they are
        never judged against this owner's workflows.
        """
        with self._sessions() as session:
            # Four columns, not DescribeJob models: 200 running jobs would
            # cost pydantic half a second on every listing.
            query = session.query(Job.job_id, Job.status, Job.job_definition_id, Job.input_filename).filter(
                Job.status.in_([s.value for s in RECONCILED_STATUSES])
            )
            if job_id is not None:
                query = query.filter(Job.job_id == job_id)
            pending = [
                _Pending(row.job_id, Status(row.status), row.job_definition_id, row.input_filename) for row in query
            ]
            scheduled = job_id is None and _has_schedules(session)
        if not pending and not scheduled:
            return
        try:
            if job_id is not None:
                # One record: its one-off workflow read by name (one GET on Argo).
                by_job_id = self._job_states([job_id], pending[0].input_filename) if pending else {}
            else:
                by_job_id = self._job_states([job.job_id for job in pending])
            # Cron runs: a record's id is its workflow's uid, which no
            # selector can name, so they are found among their schedule's runs.
            definitions = {job.job_definition_id for job in pending if job.job_id not in by_job_id}
            definitions.discard(None)
            cron_runs: dict[str, WorkflowState] = {}
            if scheduled:
                cron_runs = index_by_job_id(self._owned(CRON_WORKFLOW_LABEL))
            elif definitions:
                for definition_id in sorted(definitions):
                    cron_runs.update(self._cron_runs(definition_id))
        except EngineError as e:
            self._log.warning("argo_scheduler: cannot reach the engine to refresh jobs: %s", e)
            return
        by_job_id = {**cron_runs, **by_job_id}
        now = get_utc_timestamp()
        records = self._records
        for job in pending:
            updates = record_updates(job.status, by_job_id.get(job.job_id), now)
            if updates:
                records.settle(job.job_id, updates)
        if not scheduled:
            return
        unrecorded = {
            run_id: state for run_id, state in cron_runs.items()
            if state.done and state.labels.get(DEFINITION_ID_LABEL)
        }
        known_ids = records.known_ids(unrecorded)
        for run_id, state in unrecorded.items():
            if run_id not in known_ids:
                records.record_unrecorded_run(run_id, state.labels[DEFINITION_ID_LABEL], state)
        try:
            crons = self._engine().cron_states(label_selector=owner_selector(self._owner))
        except EngineError as e:
            self._log.warning("argo_scheduler: cannot read the schedules' status: %s", e)
            return
        records.record_refused_runs(crons.values(), self.refusal_advice)


def _has_schedules(session) -> bool:
    scheduled = session.query(JobDefinition.job_definition_id).filter(JobDefinition.schedule.isnot(None))
    return scheduled.first() is not None
