"""ArgoScheduler: jupyter-scheduler's backend, with Argo (or the local engine) running the jobs.

Enable it with::

    c.SchedulerApp.scheduler_class = "argo_scheduler.ArgoScheduler"

The database stays jupyter-scheduler's (list, get and count read it), but the
engine is the truth about runs: records still in progress are reconciled
from workflow phases, the engine asked only about those (docs/engines.md).
"""

from __future__ import annotations

import getpass
import os
import re

from jupyter_scheduler.exceptions import IdempotencyTokenError, InputUriError, SchedulerError
from jupyter_scheduler.models import (
    CountJobsQuery,
    CreateJob,
    CreateJobDefinition,
    DescribeJob,
    DescribeJobDefinition,
    ListJobsQuery,
    ListJobsResponse,
    Status,
    UpdateJob,
    UpdateJobDefinition,
)
from jupyter_scheduler.orm import Job, JobDefinition
from jupyter_scheduler.scheduler import Scheduler
from jupyter_scheduler.utils import get_utc_timestamp
from sqlalchemy.exc import NoResultFound
from traitlets import CaselessStrEnum, Instance, Integer, List, TraitError, Unicode, default, observe, validate
from traitlets import Type as TType

from .checks import CheckReport
from .checks.submission import manifest_checks
from .db import ensure_schema, owner_sessions, scheduler_engine
from .engines import registry as engine_registry
from .engines.base import Engine, EngineError, WorkflowNotFound, WorkflowState
from .environments import ArgoEnvironmentManager
from .inputs import InputError, check_fields, check_inside
from .labels import DEFINITION_ID_LABEL
from .names import cron_workflow_name
from .plugins import notifiers as installed_notifiers
from .plugins import podspec_mutators, select
from .reconciler import OwnerReconciler, index_by_job_id, owner_selector
from .records import RecordWriter
from .run_settings import CronSettings, RunSettings
from .secret_parameters import SecretParameterStore
from .submission import (
    Choice,
    Submission,
    SubmissionSettings,
    assemble,
    build_context,
    choose,
    run_options,
    split_secrets,
)


# Output files as jupyter-scheduler names them: <stem>-<local time>.<format>.
_OUTPUT_TIME = r"-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-(AM|PM)\."


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

    engine = Unicode(
        config=True,
        help="""Where workflows run: the name of an installed engine (an entry
        point of the "argo_scheduler.engines" group; names are caseless) or an
        Engine subclass's class path. Built in: "argo" (an Argo Server,
        c.ArgoEngine.*), "kubernetes" (Argo's Workflow and CronWorkflow objects
        created through the Kubernetes API, for a cluster that runs Argo's
        workflow controller without an Argo Server the Jupyter server can
        reach; c.KubernetesEngine.*) or "local" (this machine, in processes
        detached from the Jupyter server). Default: "argo" when an Argo Server
        is configured (ARGO_SERVER is set), else "local"; "kubernetes" is never
        guessed, as a service account alone does not say whether Argo's
        controller runs in the cluster. docs/writing-a-plugin.md shows how a
        package adds an engine.

            c.ArgoScheduler.engine = "kubernetes"
            c.ArgoScheduler.engine = "my_package.engine.MyEngine"
        """,
    )

    @validate("engine")
    def _check_engine(self, proposal):
        try:
            return engine_registry.normalize(proposal["value"])
        except EngineError as exc:
            raise TraitError(f"c.ArgoScheduler.engine: {exc}") from None

    @default("engine")
    def _default_engine(self):
        if os.environ.get("ARGO_SERVER"):
            self.log.info("argo_scheduler: using the argo engine because ARGO_SERVER is set")
            return "argo"
        self.log.info(
            "argo_scheduler: using the local engine because no Argo Server is configured "
            '(set c.ArgoScheduler.engine = "argo" or "kubernetes" to run on a cluster)'
        )
        return "local"

    @observe("engine")
    def _log_chosen_engine(self, change):
        self.log.info("argo_scheduler: using the %s engine, as configured", change["new"])

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
        help="""Who owns the jobs this server creates and the only owner whose
        jobs and definitions it sees: every record is stamped with it and
        every database query is scoped to it, so owners may share one
        database (docs/database.md); it is also the owner label and
        annotation of every workflow (docs/manifest.md). Default:
        $JUPYTERHUB_USER, else $PREFERRED_USERNAME, else the operating-system
        user.

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
        one still runs (spec.concurrencyPolicy): "Allow" starts it too,
        "Forbid" skips it, "Replace" stops the running one first. A job
        definition sets its own with the runtime environment parameter
        `concurrency_policy`. Default: "Allow".

            c.ArgoScheduler.concurrency_policy = "Forbid"
        """,
    )

    starting_deadline_seconds = Integer(
        0,
        config=True,
        help="""Seconds after its scheduled time a run that could not start then
        (the controller was down) may still start (the CronWorkflow's
        spec.startingDeadlineSeconds); later, it is skipped. A job definition
        sets its own with the runtime environment parameter
        `starting_deadline_seconds`. Default: 0 (none: Argo's own behaviour).

            c.ArgoScheduler.starting_deadline_seconds = 3600
        """,
    )

    argo_ui_url = Unicode(
        "",
        config=True,
        help="""Base URL of the Argo UI, for links from a job's detail in
        JupyterLab to its Workflow ({argo_ui_url}/workflows/{namespace}/{name})
        and from a job definition's to its CronWorkflow (docs/http.md). Never
        used on the local engine. Default: "" (no links).

            c.ArgoScheduler.argo_ui_url = "https://argo.example.com"
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

    workflow_ttl_seconds = Integer(
        24 * 3600,
        min=0,
        config=True,
        help="""Seconds Argo keeps a finished Workflow, one-off or cron run
        (spec.ttlStrategy.secondsAfterCompletion), then deletes it with its
        pods; job records and outputs stay. Keep it long enough for
        JupyterLab to be opened (or `argo-scheduler status` run) in between:
        a record whose pod could not write its end is settled from the
        workflow, and once it is gone the record can only say so. 0 keeps
        finished workflows until their job is deleted. Default: 86400 (a day).

            c.ArgoScheduler.workflow_ttl_seconds = 7 * 24 * 3600
        """,
    )

    pod_gc_strategy = CaselessStrEnum(
        ["OnPodSuccess", "OnPodCompletion", "OnWorkflowSuccess", "OnWorkflowCompletion", ""],
        default_value="OnPodSuccess",
        config=True,
        help="""When Argo deletes a run's pods (spec.podGC.strategy): the
        pod of a successful run at once, a failed one's with its workflow
        (after workflow_ttl_seconds), so `kubectl logs` still shows why.
        "" keeps every pod until its workflow is deleted. Default: "OnPodSuccess".

            c.ArgoScheduler.pod_gc_strategy = "OnPodCompletion"
        """,
    )

    reconcile_batch_size = Integer(
        100,
        config=True,
        help="""Job ids per engine request when unfinished records are checked
        against their workflows (a `job-id in (…)` label selector, about 37
        bytes an id in the request's URL): 200 running jobs cost two requests
        at 100. Lower it behind a proxy that limits URL length. Default: 100.

            c.ArgoScheduler.reconcile_batch_size = 100
        """,
    )

    podspec_mutators = List(
        Unicode(),
        config=True,
        help="""PodSpecMutators that wire the job's pod, by plugin name, applied
        in this order (`argo-scheduler plugins` lists the installed ones; an
        unknown name stops the server with that list). Default: [] (the pod
        gets only the image and the run spec).

            c.ArgoScheduler.podspec_mutators = ["pvc", "nebari"]
        """,
    )

    notifiers = List(
        Unicode(),
        config=True,
        help="""Notifiers told when a run ends, by plugin name. Default: [] (nobody).

            c.ArgoScheduler.notifiers = ["slack"]
        """,
    )

    # Timeouts and retries: what a job gets when its runtime_environment_parameters
    # do not say (docs/timeouts.md).
    timeout_seconds = Integer(
        0,
        config=True,
        help="""Seconds a job's run may take in all, attempts and the waits
        between them included (the workflow's activeDeadlineSeconds); past it
        the job ends FAILED "timed out after N s". A job sets its own with the
        runtime environment parameter `timeout_seconds`. Default: 0 (no limit).

            c.ArgoScheduler.timeout_seconds = 6 * 3600
        """,
    )

    retries = Integer(
        0,
        config=True,
        help="""Attempts after the first when a run fails (Argo's retryStrategy
        limit); a job sets its own with the runtime environment parameter
        `retries` (at most 10). Default: 0 (no retry).

            c.ArgoScheduler.retries = 2
        """,
    )

    retry_backoff_seconds = Integer(
        10,
        config=True,
        help="""Seconds to wait before the first retry; each later wait is
        retry_backoff_factor times longer. A job sets its own with the runtime
        environment parameter `retry_backoff_seconds`. Default: 10.

            c.ArgoScheduler.retry_backoff_seconds = 60
        """,
    )

    retry_backoff_factor = Integer(
        2,
        config=True,
        help="""How much longer each wait between attempts is than the one
        before (Argo's backoff factor, 1 to 10). Default: 2.

            c.ArgoScheduler.retry_backoff_factor = 2
        """,
    )

    cell_timeout_seconds = Integer(
        0,
        config=True,
        help="""Seconds one notebook cell may run (papermill's
        execution_timeout); a cell running longer fails the run. A job sets
        its own with the runtime environment parameter `cell_timeout_seconds`.
        Default: 0 (no limit).

            c.ArgoScheduler.cell_timeout_seconds = 1800
        """,
    )


    engine_instance = Instance(Engine, allow_none=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Resolved at start-up, so a misspelled plugin name stops the server
        # with the list of installed ones instead of failing the first job.
        self.mutator_instances = [
            plugin.cls(parent=self)
            for plugin in select(podspec_mutators(), self.podspec_mutators, "podspec_mutators")
        ]
        self.notifier_instances = {
            plugin.name: plugin.cls(parent=self)
            for plugin in select(installed_notifiers(), self.notifiers, "notifiers")
        }
        if engine_registry.is_local(self.engine):
            # Schedules on this machine fire from a detached agent; the server
            # (re)starts it so a reboot or a killed agent heals itself.
            self.get_engine().ensure_cron_controller()

    @property
    def db_session(self):
        # Made on first use, so commands that never read the database (render)
        # need none; with a busy timeout, as job pods write the same sqlite file.
        # Scoped to this owner: every query, ours and jupyter-scheduler's,
        # sees only this owner's rows, so a database shared by many owners
        # (docs/database.md) is safe whatever method reads it.
        if self._db_session is None:
            engine = scheduler_engine(self.db_url)
            # SchedulerApp made the tables with jupyter-scheduler's create_tables,
            # which leaves them unfit for PostgreSQL and without owners (db.py).
            ensure_schema(engine, owner=self.owner)
            self._db_session = owner_sessions(engine, self.owner)
        return self._db_session

    def get_engine(self) -> Engine:
        if self.engine_instance is None:
            self.engine_instance = engine_registry.engine_class(self.engine)(parent=self)
        return self.engine_instance

    @property
    def records(self) -> RecordWriter:
        return RecordWriter(self.db_session, self.staging_path, self.secret_parameters.delete)

    @property
    def secret_parameters(self) -> SecretParameterStore:
        return SecretParameterStore(self.get_engine, self.notifier_instances, self.log)

    # ---- submissions: assembled once (submission.py) ----------------------

    def submission_settings(self) -> SubmissionSettings:
        return SubmissionSettings(
            staging_path=self.staging_path,
            image=self.image,
            db_url=self.db_url,
            db_url_secret=(self.db_url_secret_name, self.db_url_secret_key) if self.db_url_secret_name else None,
            owner=self.owner,
            namespace=self.namespace,
            run_defaults=self.run_defaults(),
            cron_defaults=self.cron_defaults(),
            successful_jobs_history_limit=self.successful_jobs_history_limit,
            failed_jobs_history_limit=self.failed_jobs_history_limit,
            ttl_seconds=self.workflow_ttl_seconds,
            pod_gc_strategy=self.pod_gc_strategy,
            mutators=self.mutator_instances,
            notifiers=self.notifier_instances,
            installed_notifiers=installed_notifiers(),
            configured_notifier_names=list(self.notifiers),
            environments=self.argo_environments(),
            listed_environments=self._listed_environments,
        )

    def assemble(
        self, model, input_path: str | None = None, *, validate: bool = True, render: bool = True,
        fresh: bool | None = None, choice: Choice | None = None,
    ) -> Submission:
        """The Submission of `model`; `validate` judges it as a user's request first (submission.assemble)."""
        return assemble(
            model, self.submission_settings(), input_path=input_path,
            engine=self.get_engine() if validate else None,
            fresh=validate if fresh is None else fresh, render=render, choice=choice,
        )

    def choose(self, model, fresh: bool = False) -> Choice:
        """The environment, compute type and kernel of `model`; `fresh` lists the environments again."""
        return choose(model, self.submission_settings(), fresh=fresh)

    def render_job(self, job: DescribeJob) -> dict:
        return self.assemble(job, validate=False).manifest

    def render_definition(self, definition: DescribeJobDefinition) -> dict:
        return self.assemble(definition, validate=False).manifest

    def build_context(self, kernel_name: str | None = None, notifications=None):
        """The scheduler's BuildContext; `notifications` (run_settings.Notifications) are one job's choices."""
        return build_context(self.submission_settings(), kernel_name, notifications)

    def run_defaults(self) -> RunSettings:
        return RunSettings(
            timeout_seconds=self.timeout_seconds,
            retries=self.retries,
            retry_backoff_seconds=self.retry_backoff_seconds,
            retry_backoff_factor=self.retry_backoff_factor,
            cell_timeout_seconds=self.cell_timeout_seconds,
        )

    def cron_defaults(self) -> CronSettings:
        return CronSettings(
            concurrency_policy=self.concurrency_policy, starting_deadline_seconds=self.starting_deadline_seconds
        )

    def run_options(self, model):
        """The job's (or definition's) run options, checked; SchedulerError names the bad key and what is allowed."""
        return run_options(model, self.submission_settings())

    def check_run_settings(self, model) -> None:
        """The job's run options are usable, or a SchedulerError naming the bad one."""
        self.run_options(model)

    def split_secret_parameters(self, parameters: dict | None) -> tuple[dict | None, dict[str, str]]:
        """The parameters without any notifier's secret ones, and those a configured notifier reads."""
        return split_secrets(parameters, self.submission_settings())

    # With ArgoEnvironmentManager the job's environment decides image, kernel,
    # pull secret and working dir, and its compute type the pod's resources;
    # with any other manager an environment named like a kernel imposes it.
    def argo_environments(self) -> ArgoEnvironmentManager | None:
        manager = self.environments_manager
        return manager if isinstance(manager, ArgoEnvironmentManager) else None

    def _listed_environments(self) -> list[str]:
        try:
            return [env.name for env in self.environments_manager.list_environments()]
        except Exception as e:  # an environment source being down must not block kernels
            self.log.warning("argo_scheduler: could not list environments: %s", e)
            return []

    def input_path(self, model) -> str:
        """The notebook a submission copies: under root_dir, or for a run of a job definition its staged copy.

        A client sets input_uri (and job_definition_id) freely over REST;
        anything else is refused before it is read or copied.
        """
        definition_id = getattr(model, "job_definition_id", None)
        if not definition_id:
            return check_inside(self.root_dir, model.input_uri)
        try:
            definition = self.get_job_definition(definition_id)
        except NoResultFound:
            raise InputError(f"job_definition_id {definition_id!r}: no such job definition") from None
        staged = os.path.abspath(os.path.join(self.staging_path, definition_id, definition.input_filename))
        if os.path.abspath(os.path.join(self.root_dir, model.input_uri)) != staged:
            raise InputError(
                f"input_uri {model.input_uri!r}: a run of job definition {definition_id} runs its staged notebook only"
            )
        return staged

    def check_manifest(self, manifest: dict) -> None:
        """The manifest about to be submitted passes Argo's schema and fits its namespace, or SchedulerError.

        Checks that cannot be made (no Kubernetes API, RBAC) are logged and do not block.
        """
        report = CheckReport(manifest_checks(self.get_engine(), self.namespace, manifest))
        for check in report.checks:
            if check.status == "warning":
                self.log.warning("argo_scheduler: %s check: %s", check.name, check.message)
            elif check.status == "skipped":
                self.log.debug("argo_scheduler: %s check: %s", check.name, check.message)
        if not report.ok:
            raise SchedulerError(report.failure_message())

    # ---- the engine is the truth (reconciler.py) ----------------------------

    @property
    def reconciler(self) -> OwnerReconciler:
        return OwnerReconciler(
            self.get_engine, self.owner, self.db_session, self.records,
            batch_size=self.reconcile_batch_size, mutators=self.mutator_instances, log=self.log,
        )

    def owner_selector(self) -> str:
        return owner_selector(self.owner)

    def owned_states(self, extra_selector: str = "") -> dict[str, WorkflowState]:
        """This owner's workflows, in one engine call (one per page on Argo)."""
        return self.reconciler.owned_states(extra_selector)

    index_by_job_id = staticmethod(index_by_job_id)

    def reconcile_jobs(self, job_id: str | None = None) -> None:
        """Bring this owner's unfinished records in line with their workflows (OwnerReconciler.reconcile)."""
        self.reconciler.reconcile(job_id)

    # ---- jobs -----------------------------------------------------------

    def create_job(self, model: CreateJob) -> str:
        input_path = self.input_path(model)
        if not model.job_definition_id and not self.file_exists(model.input_uri):
            raise InputUriError(model.input_uri)
        # Assembled and checked before anything is created, under the id the
        # record will get: what is checked is what is submitted.
        try:
            submission = self.assemble(model, input_path)
        except (SchedulerError, InputUriError):
            raise
        except Exception as e:  # a mutator that cannot prepare, a job that cannot become a workflow
            raise SchedulerError(f"could not start the job: {e}") from e
        self.check_manifest(submission.manifest)
        job_id, request = submission.record_id, submission.request

        with self.db_session() as session:
            if request.idempotency_token and (
                session.query(Job).filter(Job.idempotency_token == request.idempotency_token).first()
            ):
                raise IdempotencyTokenError(request.idempotency_token)
            job = Job(
                job_id=job_id,
                **request.dict(exclude_none=True, exclude={"input_uri", "output_formats"}),
                output_formats=list(request.output_formats or []),
                status=Status.CREATED,
            )
            session.add(job)
            session.commit()
            described = DescribeJob.from_orm(job)

        try:
            self.secret_parameters.store(job_id, submission.secrets)
            staging_input = os.path.join(self.staging_path, job_id, described.input_filename)
            os.makedirs(os.path.dirname(staging_input), exist_ok=True)
            self.copy_input_file(request.input_uri, staging_input)
            state = self.get_engine().submit(submission.manifest)
        except Exception as e:
            # Nothing half-made: no record without a workflow.
            self.records.forget(job_id)
            if isinstance(e, (SchedulerError, InputUriError)):
                raise
            advice = self.reconciler.refusal_advice(str(e))
            raise SchedulerError(f"could not start the job: {e}" + (f" {advice}" if advice else "")) from e

        with self.db_session() as session:
            session.query(Job).filter(Job.job_id == job_id, Job.status == Status.CREATED).update(
                {"status": Status.IN_PROGRESS, "start_time": get_utc_timestamp()}
            )
            session.commit()
        self.log.info("argo_scheduler: job %s submitted as workflow %s", job_id, state.name)
        return job_id

    def update_job(self, job_id: str, model: UpdateJob) -> None:
        """jupyter-scheduler's update, except that an id this owner has no job of is "not found", as in get_job."""
        with self.db_session() as session:
            if not session.query(Job).filter(Job.job_id == job_id).update(model.dict(exclude_none=True)):
                raise NoResultFound(f"no job {job_id}")
            session.commit()

    def get_job(self, job_id: str, job_files: bool | None = True) -> DescribeJob:
        self.reconcile_jobs(job_id)
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
        state = self.reconciler.find_workflow(described)
        if state is None:
            self.reconcile_jobs(job_id)
            return
        with self.db_session() as session:
            session.query(Job).filter(Job.job_id == job_id).update({"status": Status.STOPPING})
            session.commit()
        try:
            # Argo's stop: the exit handler still runs and records STOPPED.
            self.get_engine().stop(state.name)
        except WorkflowNotFound:
            pass
        except EngineError as e:
            with self.db_session() as session:
                session.query(Job).filter(Job.job_id == job_id).update({"status": described.status})
                session.commit()
            raise SchedulerError(f"could not stop job {job_id}: {e}") from e
        self.reconcile_jobs(job_id)

    def delete_job(self, job_id: str) -> None:
        with self.db_session() as session:
            record = session.query(Job).filter(Job.job_id == job_id).one()
            described = DescribeJob.from_orm(record)
        state = self.reconciler.find_workflow(described)
        if state is not None:
            try:
                self.get_engine().delete(state.name)
            except WorkflowNotFound:
                pass  # already gone: deleting the record is all that is left
            except EngineError as e:
                # Keep the record: without it the workflow would be an orphan.
                raise SchedulerError(f"could not delete job {job_id}: {e}") from e
        # This job's own staging folder only: never another run's outputs.
        self.records.forget(job_id)

    # ---- job definitions ------------------------------------------------

    def cron_name(self, definition: DescribeJobDefinition) -> str:
        return cron_workflow_name(definition.input_filename, definition.job_definition_id)

    def create_job_definition(self, model: CreateJobDefinition) -> str:
        input_path = self.input_path(model)
        if not self.file_exists(model.input_uri):
            raise InputUriError(model.input_uri)
        # Assembled and checked before anything is stored: a bad cron string stops here.
        submission = self.assemble(model, input_path, render=bool(model.schedule))
        definition, manifest = submission.model, submission.manifest
        if manifest is not None:
            self.check_manifest(manifest)

        with self.db_session() as session:
            session.add(JobDefinition(**definition.dict(exclude={"packaged_files"}, exclude_none=True)))
            session.commit()
        definition_id = definition.job_definition_id
        try:
            self.secret_parameters.store(definition_id, submission.secrets)
            staging_input = os.path.join(self.staging_path, definition_id, definition.input_filename)
            os.makedirs(os.path.dirname(staging_input), exist_ok=True)
            self.copy_input_file(model.input_uri, staging_input)
            if manifest is not None:
                self.get_engine().create_cron(manifest)
                self.get_engine().ensure_cron_controller()
        except Exception as e:
            self.records.forget(definition_id, JobDefinition)
            if isinstance(e, SchedulerError):
                raise
            raise SchedulerError(f"could not create the schedule: {e}") from e
        self.log.info("argo_scheduler: job definition %s scheduled as %s", definition_id, self.cron_name(definition))
        return definition_id

    def update_job_definition(self, job_definition_id: str, model: UpdateJobDefinition) -> None:
        with self.db_session() as session:
            before = DescribeJobDefinition.from_orm(
                session.query(JobDefinition).filter(JobDefinition.job_definition_id == job_definition_id).one()
            )
        updates = model.dict(exclude_none=True, exclude={"input_uri", "url"})
        secrets = {}
        if "parameters" in updates:
            updates["parameters"], secrets = self.split_secret_parameters(updates["parameters"])
        if model.input_uri:
            input_path = check_inside(self.root_dir, model.input_uri)
            if not self.file_exists(model.input_uri):
                raise InputUriError(model.input_uri)
            updates["input_filename"] = os.path.basename(model.input_uri)
        after = before.copy(update=updates)
        check_fields(after)
        changed = {k for k, v in updates.items() if getattr(before, k) != v}
        # A new notebook, environment or formats: the edit is judged as a new request, its notebook
        # (without a new one, the staged one) included; a new compute type lists the environments again.
        judged = bool(model.input_uri or "runtime_environment_name" in updates or "output_formats" in updates)
        fresh = judged or "compute_type" in updates
        render = bool(changed and after.schedule)
        manifest = None
        if judged or render:
            staged = os.path.join(self.staging_path, job_definition_id, after.input_filename)
            path = input_path if model.input_uri else staged
            manifest = self.assemble(after, path, validate=judged, fresh=fresh, render=render).manifest
        else:
            if fresh:
                error = self.choose(after, fresh=True).error
                if error is not None:
                    raise error
            if "runtime_environment_parameters" in updates:
                self.check_run_settings(after)
        if manifest is not None and changed != {"active"}:
            self.check_manifest(manifest)
        # Only once the edit is known good: a refused edit changes nothing, its Secret included.
        self.secret_parameters.store(job_definition_id, secrets)
        if not changed:
            return

        if model.input_uri:
            staging_input = os.path.join(self.staging_path, job_definition_id, after.input_filename)
            self.copy_input_file(model.input_uri, staging_input)
        self.records.store_definition(job_definition_id, updates)
        try:
            self._apply_schedule(before, after, manifest, only_pause=changed == {"active"})
            self.get_engine().ensure_cron_controller()
        except EngineError as e:
            # The record must keep saying what Argo has.
            self.records.store_definition(job_definition_id, {k: getattr(before, k) for k in updates})
            raise SchedulerError(f"could not update the schedule: {e}") from e

    def _apply_schedule(self, before, after, manifest: dict | None, only_pause: bool) -> None:
        engine = self.get_engine()
        name = self.cron_name(before)
        if not before.schedule:
            if manifest is not None:
                engine.create_cron(manifest)
            return
        if manifest is None:
            engine.delete_cron(name)
            return
        if only_pause:
            if before.active != after.active:
                (engine.resume_cron if after.active else engine.suspend_cron)(name)
            return
        # Edited in place; `suspend` comes from the record, so a paused
        # definition stays paused however it is edited.
        engine.update_cron(manifest)

    def delete_job_definition(self, job_definition_id: str) -> None:
        definition = self.get_job_definition(job_definition_id)
        engine = self.get_engine()
        if definition.schedule:
            try:
                engine.delete_cron(self.cron_name(definition))
            except WorkflowNotFound:
                pass
            except EngineError as e:
                raise SchedulerError(f"could not delete the schedule: {e}") from e
        for state in self.owned_states(f"{DEFINITION_ID_LABEL}={job_definition_id}").values():
            try:
                engine.delete(state.name)
            except WorkflowNotFound:
                pass
            except EngineError as e:
                raise SchedulerError(f"could not delete run {state.name}: {e}") from e
        with self.db_session() as session:
            job_ids = [
                job_id for (job_id,) in session.query(Job.job_id).filter(Job.job_definition_id == job_definition_id)
            ]
        records = self.records
        for job_id in job_ids:
            records.forget(job_id)
        records.forget(job_definition_id, JobDefinition)

    # ---- outputs --------------------------------------------------------

    def staged_outputs(self, model: DescribeJob) -> dict[str, str]:
        """The job's output files as they are in its staging folder, by format.

        Listing beats recomputing the names: the pod may name files in
        another time zone than this server's.
        """
        folder = os.path.join(self.staging_path, model.job_id)
        try:
            listing = sorted(os.listdir(folder))
        except FileNotFoundError:
            return {}
        stem = re.escape(os.path.splitext(model.input_filename)[0])
        found = {}
        for fmt in model.output_formats or []:
            pattern = re.compile(stem + _OUTPUT_TIME + re.escape(fmt) + "$")
            matches = [name for name in listing if pattern.match(name)]
            if matches:
                found[fmt] = os.path.join(folder, matches[-1])
        return found

    def get_staging_paths(self, model):
        paths = super().get_staging_paths(model)
        if isinstance(model, DescribeJob):
            paths.update(self.staged_outputs(model))
        return paths

    def get_job_filenames(self, model: DescribeJob) -> dict:
        names = super().get_job_filenames(model)
        names.update({fmt: os.path.basename(path) for fmt, path in self.staged_outputs(model).items()})
        return names
