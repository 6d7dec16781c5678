"""ArgoScheduler: jupyter-scheduler's backend, with Argo (or the local engine) running the jobs.

Enable it with::

    c.SchedulerApp.scheduler_class = "argo_scheduler.ArgoScheduler"

The database stays jupyter-scheduler's (list, get and count read it), but the
engine is the truth about runs: records still in progress are reconciled
from workflow phases in one engine call per listing.
"""

from __future__ import annotations

import getpass
import os
import shutil
from typing import Iterable

from jupyter_scheduler.exceptions import IdempotencyTokenError, InputUriError, SchedulerError
from jupyter_scheduler.models import (
    CountJobsQuery,
    CreateJob,
    DescribeJob,
    ListJobsQuery,
    ListJobsResponse,
    Status,
)
from jupyter_scheduler.orm import Job
from jupyter_scheduler.scheduler import Scheduler
from jupyter_scheduler.utils import get_utc_timestamp
from traitlets import CaselessStrEnum, Instance, Integer, Unicode, default
from traitlets import Type as TType

from .db import session_factory
from .engines.base import ERROR, FAILED, SUCCEEDED, Engine, EngineError, WorkflowNotFound, WorkflowState
from .environments import output_formats_mapping

# Records the engine may still change; everything else is final.
ACTIVE_STATUSES = (Status.CREATED, Status.QUEUED, Status.IN_PROGRESS, Status.STOPPING)


def _env_default(*names: str, fallback: str = "") -> str:
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    return fallback


class ArgoScheduler(Scheduler):
    """Runs scheduler jobs as Argo Workflows (or on this machine with the local engine)."""

    # Argo's CronWorkflows (or the local agent) fire schedules, never the
    # Jupyter server's in-process task runner.
    task_runner_class = TType(
        default_value=None,
        allow_none=True,
        klass="jupyter_scheduler.task_runner.BaseTaskRunner",
        config=True,
        help="""Task runner of jupyter-scheduler. Default: None — schedules are
        fired by Argo's CronWorkflows, not by the Jupyter server, so they run
        while the server is stopped. Leave it unset:

            c.ArgoScheduler.task_runner_class = None
        """,
    )

    engine = CaselessStrEnum(
        ["local", "argo"],
        config=True,
        help="""Where workflows run: "argo" (an Argo Server) or "local" (this
        machine, in processes detached from the Jupyter server). Default:
        "argo" when an Argo Server is configured (ARGO_SERVER is set), else
        "local".

            c.ArgoScheduler.engine = "local"
        """,
    )

    @default("engine")
    def _default_engine(self):
        if os.environ.get("ARGO_SERVER"):
            self.log.info("argo_scheduler: using the argo engine because ARGO_SERVER is set")
            return "argo"
        self.log.info("argo_scheduler: using the local engine because no Argo Server is configured")
        return "local"

    image = Unicode(
        config=True,
        help="""Container image of the job's pod; it must have argo_scheduler
        installed. Default: $JUPYTER_IMAGE_SPEC or $JUPYTER_IMAGE (the image of
        the running JupyterLab, as KubeSpawner sets them), else
        "quay.io/jupyter/scipy-notebook:latest".

            c.ArgoScheduler.image = "registry.example.com/team/notebook:2026.11"
        """,
    )

    @default("image")
    def _default_image(self):
        return _env_default(
            "JUPYTER_IMAGE_SPEC", "JUPYTER_IMAGE", fallback="quay.io/jupyter/scipy-notebook:latest"
        )

    namespace = Unicode(
        config=True,
        help="""Kubernetes namespace of the workflows. Default: $ARGO_NAMESPACE, else "default".

            c.ArgoScheduler.namespace = "jupyter-jobs"
        """,
    )

    @default("namespace")
    def _default_namespace(self):
        return _env_default("ARGO_NAMESPACE", fallback="default")

    owner = Unicode(
        config=True,
        help="""Who owns the jobs this server creates (a label on every
        workflow). Default: $JUPYTERHUB_USER, else $PREFERRED_USERNAME, else
        the operating-system user.

            c.ArgoScheduler.owner = "ana@example.com"
        """,
    )

    @default("owner")
    def _default_owner(self):
        return _env_default("JUPYTERHUB_USER", "PREFERRED_USERNAME") or getpass.getuser()

    db_url_secret_name = Unicode(
        "",
        config=True,
        help="""Name of a Kubernetes Secret holding the database URL, for
        databases whose URL carries a password (the URL never enters a
        manifest). Default: "" (the pod gets the server's db_url, which must
        then have no password).

            c.ArgoScheduler.db_url_secret_name = "scheduler-db"
        """,
    )

    db_url_secret_key = Unicode(
        "url",
        config=True,
        help="""Key in db_url_secret_name's Secret that holds the URL. Default: "url".

            c.ArgoScheduler.db_url_secret_key = "url"
        """,
    )

    concurrency_policy = CaselessStrEnum(
        ["Allow", "Forbid", "Replace"],
        default_value="Allow",
        config=True,
        help="""What a CronWorkflow does when a run is due while the previous
        one still runs. Default: "Allow".

            c.ArgoScheduler.concurrency_policy = "Forbid"
        """,
    )

    successful_jobs_history_limit = Integer(
        3,
        config=True,
        help="""Finished successful runs Argo keeps per CronWorkflow (job records stay). Default: 3.

            c.ArgoScheduler.successful_jobs_history_limit = 3
        """,
    )

    failed_jobs_history_limit = Integer(
        3,
        config=True,
        help="""Finished failed runs Argo keeps per CronWorkflow (job records stay). Default: 3.

            c.ArgoScheduler.failed_jobs_history_limit = 3
        """,
    )

    engine_instance = Instance(Engine, allow_none=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Sessions with a busy timeout: job pods write the same sqlite file.
        self._db_session = session_factory(self.db_url)

    # ---- engine and manifests -------------------------------------------

    def get_engine(self) -> Engine:
        if self.engine_instance is None:
            if self.engine == "local":
                from .engines.local import LocalEngine

                self.engine_instance = LocalEngine(parent=self)
            else:
                raise SchedulerError(
                    f"the {self.engine!r} engine is not available in this version; "
                    "set c.ArgoScheduler.engine = 'local'"
                )
        return self.engine_instance

    def build_context(self, kernel_name: str | None = None):
        from .pod import SecretRef
        from .workflow import BuildContext, CronOptions

        secret = (
            SecretRef(self.db_url_secret_name, self.db_url_secret_key)
            if self.db_url_secret_name
            else None
        )
        return BuildContext(
            staging_path=self.staging_path,
            image=self.image,
            db_url=self.db_url,
            db_url_secret=secret,
            owner=self.owner,
            namespace=self.namespace,
            kernel_name=kernel_name,
            cron=CronOptions(
                concurrency_policy=self.concurrency_policy,
                successful_jobs_history_limit=self.successful_jobs_history_limit,
                failed_jobs_history_limit=self.failed_jobs_history_limit,
            ),
        )

    def render_job(self, job: DescribeJob) -> dict:
        from .workflow import build_workflow, to_manifest

        return to_manifest(build_workflow(job, self.build_context(self.kernel_for(job))))

    def kernel_for(self, model) -> str | None:
        """The kernel an environment imposes; None means the notebook's own kernelspec."""
        names = {env.name for env in self._safe_environments()}
        return model.runtime_environment_name if model.runtime_environment_name in names else None

    def _safe_environments(self):
        try:
            return self.environments_manager.list_environments()
        except Exception as e:  # an environment source being down must not block kernels
            self.log.warning("argo_scheduler: could not list environments: %s", e)
            return []

    # ---- validation -----------------------------------------------------

    def validate_job(self, model: CreateJob, input_path: str) -> None:
        unknown = sorted(set(model.output_formats or []) - set(output_formats_mapping()))
        if unknown:
            raise SchedulerError(
                f"unknown output format(s) {', '.join(unknown)}; "
                f"choose from {', '.join(output_formats_mapping())}"
            )
        if self.kernel_for(model):
            return
        import nbformat

        try:
            with open(input_path, encoding="utf-8") as f:
                notebook = nbformat.read(f, as_version=4)
        except (OSError, ValueError) as e:
            raise SchedulerError(f"cannot read notebook {model.input_filename}: {e}") from e
        if not (notebook.metadata.get("kernelspec") or {}).get("name"):
            raise SchedulerError(
                f"{model.input_filename} has no kernel: open it in JupyterLab, select a "
                "kernel, save it, and submit the job again"
            )

    # ---- jobs -----------------------------------------------------------

    def create_job(self, model: CreateJob) -> str:
        if not model.job_definition_id and not self.file_exists(model.input_uri):
            raise InputUriError(model.input_uri)
        self.validate_job(model, os.path.join(self.root_dir, model.input_uri))

        with self.db_session() as session:
            if model.idempotency_token and (
                session.query(Job).filter(Job.idempotency_token == model.idempotency_token).first()
            ):
                raise IdempotencyTokenError(model.idempotency_token)
            job = Job(
                **model.dict(exclude_none=True, exclude={"input_uri", "output_formats"}),
                output_formats=list(model.output_formats or []),
                status=Status.CREATED,
            )
            session.add(job)
            session.commit()
            job_id = job.job_id
            described = DescribeJob.from_orm(job)

        try:
            staging_paths = self.get_staging_paths(described)
            os.makedirs(os.path.dirname(staging_paths["input"]), exist_ok=True)
            self.copy_input_file(model.input_uri, staging_paths["input"])
            manifest = self.render_job(described)
            state = self.get_engine().submit(manifest)
        except Exception as e:
            # Nothing half-made: no record without a workflow.
            self._forget_job(job_id, described)
            if isinstance(e, (SchedulerError, InputUriError)):
                raise
            raise SchedulerError(f"could not start the job: {e}") from e

        with self.db_session() as session:
            session.query(Job).filter(Job.job_id == job_id, Job.status == Status.CREATED).update(
                {"status": Status.IN_PROGRESS}
            )
            session.commit()
        self.log.info("argo_scheduler: job %s submitted as workflow %s", job_id, state.name)
        return job_id

    def _forget_job(self, job_id: str, described: DescribeJob) -> None:
        staging_dir = os.path.join(self.staging_path, job_id)
        shutil.rmtree(staging_dir, ignore_errors=True)
        with self.db_session() as session:
            session.query(Job).filter(Job.job_id == job_id).delete()
            session.commit()

    def workflow_name(self, job: DescribeJob) -> str:
        from .workflow import job_workflow_name

        return job_workflow_name(job.input_filename, job.job_id)

    def get_job(self, job_id: str, job_files: bool | None = True) -> DescribeJob:
        self.reconcile_jobs([job_id])
        return super().get_job(job_id, job_files)

    def list_jobs(self, query: ListJobsQuery) -> ListJobsResponse:
        self.reconcile_jobs()
        return super().list_jobs(query)

    def count_jobs(self, query: CountJobsQuery) -> int:
        self.reconcile_jobs()
        return super().count_jobs(query)

    def stop_job(self, job_id: str) -> None:
        with self.db_session() as session:
            record = session.query(Job).filter(Job.job_id == job_id).one()
            if Status(record.status) not in (Status.IN_PROGRESS, Status.QUEUED, Status.CREATED):
                return
            described = DescribeJob.from_orm(record)
            record.status = Status.STOPPING
            session.commit()
        try:
            # Argo's stop: the exit handler still runs and records STOPPED.
            self.get_engine().stop(self.workflow_name(described))
        except EngineError as e:
            raise SchedulerError(f"could not stop job {job_id}: {e}") from e
        self.reconcile_jobs([job_id])

    def delete_job(self, job_id: str) -> None:
        with self.db_session() as session:
            record = session.query(Job).filter(Job.job_id == job_id).one()
            described = DescribeJob.from_orm(record)
        if described.status in ACTIVE_STATUSES:
            self.stop_job(job_id)
        try:
            self.get_engine().delete(self.workflow_name(described))
        except WorkflowNotFound:
            pass  # already gone: deleting the record is all that is left
        except EngineError as e:
            # Keep the record: without it the workflow would be an orphan.
            raise SchedulerError(f"could not delete job {job_id}: {e}") from e
        # This job's own staging folder only: never another run's outputs.
        shutil.rmtree(os.path.join(self.staging_path, job_id), ignore_errors=True)
        with self.db_session() as session:
            session.query(Job).filter(Job.job_id == job_id).delete()
            session.commit()

    # ---- the engine is the truth ------------------------------------------

    def reconcile_jobs(self, job_ids: Iterable[str] | None = None) -> None:
        """Bring unfinished records in line with their workflows, in one engine call."""
        with self.db_session() as session:
            query = session.query(Job).filter(Job.status.in_([s.value for s in ACTIVE_STATUSES]))
            if job_ids is not None:
                query = query.filter(Job.job_id.in_(list(job_ids)))
            pending = {self.workflow_name(DescribeJob.from_orm(j)): j.job_id for j in query.all()}
        if not pending:
            return
        try:
            states = self.get_engine().status(names=list(pending))
        except EngineError as e:
            self.log.warning("argo_scheduler: cannot reach the engine to refresh jobs: %s", e)
            return
        for name, job_id in pending.items():
            self._apply_state(job_id, states.get(name))

    def _apply_state(self, job_id: str, state: WorkflowState | None) -> None:
        if state is not None and not state.done:
            return
        with self.db_session() as session:
            record = session.query(Job).filter(Job.job_id == job_id).one_or_none()
            if record is None or Status(record.status) not in ACTIVE_STATUSES:
                return  # the pod or the exit handler recorded the outcome itself
            updates = {"end_time": record.end_time or get_utc_timestamp()}
            if Status(record.status) == Status.STOPPING:
                updates.update(status=Status.STOPPED, status_message=record.status_message or "Stopped by user")
            elif state is None:
                updates.update(
                    status=Status.FAILED,
                    status_message="The job's workflow no longer exists; it was deleted outside JupyterLab",
                )
            elif state.phase == SUCCEEDED:
                # Argo says it ran, but the pod never wrote its record.
                updates.update(
                    status=Status.COMPLETED,
                    status_message="The run succeeded but could not record its outcome; "
                    "outputs may be missing (is the database reachable from the job's pod?)",
                )
            elif state.phase in (FAILED, ERROR):
                updates.update(status=Status.FAILED, status_message=(state.message or f"Workflow {state.phase}")[:1024])
            session.query(Job).filter(Job.job_id == job_id).update(updates)
            session.commit()
