"""The job record, read and written through jupyter-scheduler's ORM.

The pods of many runs write to the database the Jupyter server uses. With
sqlite that means queueing behind other writers: every connection waits on
sqlite's busy timeout, and every transaction is retried with backoff when
sqlite still answers "database is locked" — it answers at once, without
waiting, when waiting could deadlock two writers.
"""

from __future__ import annotations

import logging
import os
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from jupyter_scheduler.models import Status
from jupyter_scheduler.orm import Job
from jupyter_scheduler.utils import get_utc_timestamp
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..db import SQLITE_BUSY_TIMEOUT_SECONDS, ensure_schema, make_engine
from ..spec import DB_URL_ENV, RunSpec

log = logging.getLogger(__name__)

T = TypeVar("T")

STATUS_MESSAGE_LIMIT: int = Job.__table__.c.status_message.type.length

# Written by the pod when it is told to stop mid-run. Argo usually knows the
# reason (eviction, deadline, user stop) better, so the exit handler may
# replace a message that starts with this.
TERMINATED_MESSAGE = "Terminated: the job's pod was told to stop before the notebook finished"

STOPPED_BY_USER = "Stopped by user"

_LOCKED_MARKERS = ("database is locked", "database table is locked", "database is busy")


class DatabaseNotConfigured(RuntimeError):
    """Neither the run spec nor the pod's environment names a database."""


class JobVanished(RuntimeError):
    """The job's record was deleted (the user deleted the job) before the run started."""


def resolve_db_url(spec: RunSpec, explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    url = explicit or spec.db_url or environ.get(DB_URL_ENV)
    if not url:
        raise DatabaseNotConfigured(
            f"No database URL: the run spec has no db_url and {DB_URL_ENV} is not set "
            "in the job pod's environment, so the job cannot be recorded."
        )
    return url


def job_id_for(spec: RunSpec, workflow_uid: str) -> str:
    """The job's id: the spec's for a one-off job, the workflow's uid for a cron run."""
    if spec.job_id:
        return spec.job_id
    try:
        # Argo's uid is a Kubernetes UID, a UUID: the same shape as
        # jupyter-scheduler's own job ids, and it fits the 36-character column.
        return str(uuid.UUID(workflow_uid))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(
            f"The run spec has no job_id and the workflow uid {workflow_uid!r} is not a UUID; "
            "a cron run takes its job id from the workflow's uid."
        ) from None


def clip_message(message: str | None) -> str | None:
    """`message` cut to fit jupyter-scheduler's status_message column."""
    if message is None or len(message) <= STATUS_MESSAGE_LIMIT:
        return message
    return message[: STATUS_MESSAGE_LIMIT - 1] + "…"


@dataclass(frozen=True)
class JobSnapshot:
    """The columns of a job row the runtime reads, detached from any session."""

    job_id: str
    name: str | None
    input_filename: str
    output_formats: list[str]
    parameters: dict[str, Any]
    job_definition_id: str | None
    status: Status
    status_message: str | None
    create_time: int
    start_time: int | None
    end_time: int | None

    @classmethod
    def of(cls, job: Job) -> "JobSnapshot":
        return cls(
            job_id=job.job_id,
            name=job.name,
            input_filename=job.input_filename,
            output_formats=list(job.output_formats or []),
            parameters=dict(job.parameters or {}),
            job_definition_id=job.job_definition_id,
            status=Status(job.status),
            status_message=job.status_message,
            create_time=job.create_time,
            start_time=job.start_time,
            end_time=job.end_time,
        )


def _is_locked(error: OperationalError) -> bool:
    text = str(error.orig if error.orig is not None else error).lower()
    return any(marker in text for marker in _LOCKED_MARKERS)


class JobStore:
    """Job rows of one database, every write retried while the database is busy."""

    def __init__(
        self,
        db_url: str,
        *,
        busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS,
        retry_for: float = 120.0,
        max_delay: float = 2.0,
    ) -> None:
        try:
            url = make_url(db_url)
        except (ArgumentError, ValueError):
            # sqlalchemy's message quotes the URL, password included.
            raise DatabaseNotConfigured("The database URL is not a URL sqlalchemy can parse") from None
        # Safe to show in logs and messages: a PostgreSQL URL may carry a password.
        self.display_url = url.render_as_string(hide_password=True)
        try:
            self._engine = make_engine(url, busy_timeout)
        except ImportError as error:
            raise DatabaseNotConfigured(
                f"The job's image has no driver for {url.get_backend_name()} databases ({error})"
            ) from error
        self._sessions = sessionmaker(bind=self._engine)
        self._retry_for = retry_for
        self._max_delay = max_delay

    def __enter__(self) -> "JobStore":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def ensure_schema(self) -> None:
        """Make jupyter-scheduler's tables fit for the run (db.ensure_schema).

        The Jupyter server creates them at start-up; a run against a fresh
        database (the CLI, a test) would otherwise fail on its first query,
        and one on PostgreSQL tables jupyter-scheduler made, on its first time.
        """
        self._retry(lambda: ensure_schema(self._engine))

    def get(self, job_id: str) -> JobSnapshot | None:
        def read(session: Session) -> JobSnapshot | None:
            job = session.get(Job, job_id)
            return None if job is None else JobSnapshot.of(job)

        return self._transact(read)

    def ensure_job(self, spec: RunSpec, job_id: str) -> tuple[JobSnapshot, bool]:
        """The job's row, created from the spec if it does not exist; and whether it was created.

        Idempotent, so a retried pod of the same cron run finds the row its
        first attempt made instead of recording a second job.
        """

        def ensure(session: Session) -> tuple[JobSnapshot, bool]:
            job = session.get(Job, job_id)
            if job is not None:
                return JobSnapshot.of(job), False
            job = Job(
                job_id=job_id,
                name=spec.name,
                input_filename=spec.input_filename,
                runtime_environment_name=spec.runtime_environment_name,
                runtime_environment_parameters=dict(spec.runtime_environment_parameters),
                compute_type=spec.compute_type,
                output_formats=list(spec.output_formats),
                parameters=dict(spec.parameters),
                tags=list(spec.tags),
                job_definition_id=spec.job_definition_id,
                # Whose job it is in a database many owners share (db.owner_sessions).
                owner=spec.owner,
                status=Status.CREATED.value,
                create_time=get_utc_timestamp(),
            )
            session.add(job)
            session.flush()
            return JobSnapshot.of(job), True

        try:
            return self._transact(ensure)
        except IntegrityError:
            # Another attempt of the same run inserted the row between our
            # read and our insert: theirs is the record.
            existing = self.get(job_id)
            if existing is None:
                raise
            return existing, False

    def update(
        self, job_id: str, decide: Callable[[JobSnapshot], Mapping[str, Any] | None]
    ) -> JobSnapshot | None:
        """Apply `decide(current row)`'s column changes in one transaction; the row after, or None if gone.

        `decide` sees the row as it is inside the transaction, so a decision
        such as "do not overwrite a stop the user asked for" is never made
        on a stale read. It may run more than once when the database is busy.
        """

        def change(session: Session) -> JobSnapshot | None:
            job = session.get(Job, job_id, with_for_update=True)
            if job is None:
                return None
            changes = decide(JobSnapshot.of(job))
            if not changes:
                return JobSnapshot.of(job)
            for column, value in changes.items():
                if column == "status_message":
                    value = clip_message(value)
                setattr(job, column, value)
            session.flush()
            return JobSnapshot.of(job)

        return self._transact(change)

    def _transact(self, work: Callable[[Session], T]) -> T:
        def attempt() -> T:
            with self._sessions.begin() as session:
                return work(session)

        return self._retry(attempt)

    def _retry(self, action: Callable[[], T]) -> T:
        delay = 0.05
        deadline = time.monotonic() + self._retry_for
        while True:
            try:
                return action()
            except OperationalError as error:
                if not _is_locked(error) or time.monotonic() + delay > deadline:
                    raise
            # Jitter keeps the pods of simultaneous runs from retrying in lockstep.
            pause = delay * random.uniform(0.5, 1.5)
            log.warning("The job database %s is busy; retrying in %.2fs", self.display_url, pause)
            time.sleep(pause)
            delay = min(delay * 2, self._max_delay)
