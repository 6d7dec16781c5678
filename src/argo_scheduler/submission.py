"""One submission, assembled once: what a job or job definition becomes before anything is stored or sent.

create_job (a run of a job definition too: jupyter-scheduler's
create_job_from_definition calls it), create_job_definition and
update_job_definition each assemble one `Submission`, in one pass and in
this order: the request's fields; its environment, compute type and kernel,
chosen once; its notebook and output formats, judged by the checks against
the engine; its run options, resolved once; its secret parameters, taken
out; its BuildContext and manifest. A step that refuses raises the message
the user sees, before any record, Secret or workflow exists. The scheduler
then checks the manifest, writes the record and gives the engine the
manifest of the same object.

The builder (workflow.py: hera, the kubernetes client) loads only when a
manifest is rendered: the scheduler imports this module at the Jupyter
server's start, which must not pay for hera.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from jupyter_scheduler.exceptions import InputUriError, SchedulerError
from jupyter_scheduler.models import CreateJob, CreateJobDefinition, DescribeJob, DescribeJobDefinition, Status
from jupyter_scheduler.utils import get_utc_timestamp

from .checks.submission import NotebookFacts, formats_check_for, notebook_check_for
from .engines.base import Engine
from .environments import ArgoEnvironmentManager, Environment, EnvironmentNotFound, output_formats_mapping
from .inputs import check_fields
from .run_settings import CronSettings, Notifications, RunOptions, RunSettings, RunSettingsError, check_options
from .secret_parameters import split_secret_parameters


@dataclass(frozen=True)
class SubmissionSettings:
    """The scheduler's configuration, as a submission reads it."""

    staging_path: str
    image: str
    db_url: str | None
    # (Secret name, key) of the database URL; None: the URL travels in the run spec.
    db_url_secret: tuple[str, str] | None
    owner: str
    namespace: str
    run_defaults: RunSettings
    cron_defaults: CronSettings
    successful_jobs_history_limit: int
    failed_jobs_history_limit: int
    ttl_seconds: int
    pod_gc_strategy: str
    mutators: Sequence[Any]
    # Configured notifiers by name, and every installed notifier plugin by name.
    notifiers: Mapping[str, Any]
    installed_notifiers: Mapping[str, Any]
    configured_notifier_names: Sequence[str]
    # ArgoEnvironmentManager, which decides image, kernel and compute; None with another manager,
    # whose environments (listed_environments) impose a kernel when named like one.
    environments: ArgoEnvironmentManager | None
    listed_environments: Callable[[], Iterable[str]]


@dataclass(frozen=True)
class Choice:
    """The environment, compute type and kernel a request runs with, chosen once."""

    environment: Environment | None
    compute: Any
    # The kernel the environment imposes; None: the notebook's own kernelspec.
    kernel_name: str | None
    offered_formats: tuple[str, ...]
    kernels_from_here: bool
    # An environment or compute type that does not exist (any more): raised once the notebook was judged.
    error: SchedulerError | None = None

    def facts(self, model, input_path: str) -> NotebookFacts:
        return NotebookFacts(
            path=input_path,
            shown_as=model.input_filename,
            environment=model.runtime_environment_name,
            imposed_kernel=self.kernel_name,
            kernels_from_here=self.kernels_from_here,
            output_formats=tuple(model.output_formats or ()),
            offered_formats=self.offered_formats,
        )


def choose(model, settings: SubmissionSettings, fresh: bool = False) -> Choice:
    """`fresh` lists the environments again first: a submission must not pass on a listing since outdated."""
    manager = settings.environments
    if manager is None:
        # Another manager: an environment named like a kernel imposes it, from this machine's kernelspecs.
        name = model.runtime_environment_name
        kernel = name if name in set(settings.listed_environments()) else None
        return Choice(None, None, kernel, tuple(output_formats_mapping()), kernels_from_here=bool(kernel))
    try:
        environment, compute = manager.resolve(model.runtime_environment_name, model.compute_type, fresh=fresh)
    except EnvironmentNotFound as e:
        return Choice(None, None, None, tuple(output_formats_mapping()), False, SchedulerError(str(e)))
    return Choice(
        environment, compute, environment.kernel_name, manager.formats_of(environment),
        kernels_from_here=environment.source == "kernelspec",
    )


def run_options(model, settings: SubmissionSettings) -> RunOptions:
    """The request's run options, checked: the one check of REST, CLI and form alike."""
    installed = {
        plugin.cls.target_key: name
        for name, plugin in settings.installed_notifiers.items()
        if plugin.cls.target_key
    }
    try:
        return check_options(
            model.runtime_environment_parameters,
            run_defaults=settings.run_defaults,
            cron_defaults=settings.cron_defaults,
            notifiers=settings.notifiers,
            installed_targets=installed,
            job_parameters=model.parameters,
        )
    except RunSettingsError as e:
        raise SchedulerError(f"runtime environment parameters: {e}") from None


def split_secrets(parameters: dict | None, settings: SubmissionSettings) -> tuple[dict | None, dict[str, str]]:
    return split_secret_parameters(
        parameters, settings.installed_notifiers, settings.notifiers, settings.configured_notifier_names
    )


@dataclass(frozen=True)
class Submission:
    """What one job or job definition is submitted as: the checks read it, the engine gets its manifest."""

    # The request as its record stores it, and the job or definition it describes: secret parameters out.
    request: Any
    model: DescribeJob | DescribeJobDefinition
    secrets: Mapping[str, str]
    choice: Choice
    options: RunOptions
    # None when nothing is rendered (a job definition without a schedule).
    context: Any = None
    manifest: dict | None = None

    @property
    def record_id(self) -> str:
        model = self.model
        return model.job_id if isinstance(model, DescribeJob) else model.job_definition_id


def assemble(
    request,
    settings: SubmissionSettings,
    *,
    input_path: str | None = None,
    engine: Engine | None = None,
    fresh: bool = False,
    render: bool = True,
    choice: Choice | None = None,
) -> Submission:
    """The Submission of `request` (CreateJob, CreateJobDefinition, or a described job or definition).

    With `engine`, the request is validated first, as a user's: its fields,
    its notebook at `input_path` and its formats, against what that engine
    runs. SchedulerError (InputUriError for a notebook that is gone) says
    what is wrong; a job that cannot become a workflow raises the builder's
    BuildError, a definition's is a SchedulerError. A `choice` made
    already (the CLI's check reports it) is not made again.
    """
    if engine is not None:
        check_fields(request)
        if input_path is not None and not os.path.isfile(input_path):
            raise InputUriError(request.input_uri)
    if choice is None:
        choice = choose(request, settings, fresh=fresh)
    if engine is not None:
        # The notebook comes first: a notebook without kernel is what the user hears of
        # even when its environment is gone too.
        facts = choice.facts(request, input_path)
        for check in (formats_check_for(engine, facts), notebook_check_for(engine, facts)):
            if check.failed:
                raise SchedulerError(check.message)
    if choice.error is not None:
        raise choice.error
    options = run_options(request, settings)
    parameters, secrets = split_secrets(request.parameters, settings)
    request = request.copy(update={"parameters": parameters})
    model = _described(request)
    context = manifest = None
    if render:
        context = build_context(settings, choice.kernel_name, options.notifications)
        if choice.environment is not None:
            from .environments.shape import shape_context  # the kubernetes client: only once rendering

            context = shape_context(context, choice.environment, choice.compute)
        manifest = _render(model, context)
    return Submission(request, model, secrets, choice, options, context, manifest)


def _described(request) -> DescribeJob | DescribeJobDefinition:
    """The job or definition as its record will describe it, before the record exists."""
    if not isinstance(request, (CreateJob, CreateJobDefinition)):
        return request
    now = get_utc_timestamp()
    fields = request.dict(exclude_none=True, exclude={"input_uri", "output_formats"})
    formats = list(request.output_formats or [])
    record_id = str(uuid.uuid4())
    if isinstance(request, CreateJob):
        return DescribeJob(
            job_id=record_id, url=f"/jobs/{record_id}", create_time=now, update_time=now, status=Status.CREATED,
            output_formats=formats, **fields,
        )
    return DescribeJobDefinition(
        job_definition_id=record_id, output_formats=formats, create_time=now, update_time=now, active=True, **fields,
    )


def _render(model, context) -> dict:
    from .workflow import BuildError, build_cron_workflow, build_workflow, to_manifest

    if isinstance(model, DescribeJob):
        return to_manifest(build_workflow(model, context))
    try:
        return to_manifest(build_cron_workflow(model, context))
    except BuildError as e:
        raise SchedulerError(str(e)) from e


# ---- the BuildContext: the scheduler's configuration, one job's choices ----


def build_context(settings: SubmissionSettings, kernel_name: str | None = None, notifications=None):
    """The BuildContext of the configuration; `notifications` (run_settings.Notifications) are one job's choices.

    Each mutator prepares first (PodSpecMutator.prepare), once per build.
    """
    from .pod import SecretRef
    from .workflow import BuildContext, Cleanup, CronOptions

    for mutator in settings.mutators:
        mutator.prepare()
    return BuildContext(
        run_defaults=settings.run_defaults,
        pod_mutations=[m.mutate for m in settings.mutators] + [NotifierEnv(settings.notifiers)],
        run_only_labels=frozenset().union(*(m.run_only_labels for m in settings.mutators)),
        notifiers=notifier_entries(settings.notifiers, notifications),
        staging_path=settings.staging_path,
        image=settings.image,
        db_url=settings.db_url,
        db_url_secret=SecretRef(*settings.db_url_secret) if settings.db_url_secret else None,
        owner=settings.owner,
        namespace=settings.namespace,
        kernel_name=kernel_name,
        cron=CronOptions(
            concurrency_policy=settings.cron_defaults.concurrency_policy,
            starting_deadline_seconds=settings.cron_defaults.starting_deadline_seconds or None,
            successful_jobs_history_limit=settings.successful_jobs_history_limit,
            failed_jobs_history_limit=settings.failed_jobs_history_limit,
        ),
        cleanup=Cleanup(ttl_seconds=settings.ttl_seconds or None, pod_gc_strategy=settings.pod_gc_strategy or None),
    )


def notifier_entries(notifiers: Mapping[str, Any], notifications: Notifications | None = None) -> list[dict]:
    """The notifiers' pod halves for one job: its own events and targets over the configured ones."""
    entries = []
    for name, notifier in notifiers.items():
        config = notifier.pod_config()
        if notifications is not None and notifications.events is not None:
            config["events"] = list(notifications.events)
        entry = {"name": name, "config": config}
        target = notifications.targets.get(name) if notifications is not None else None
        if target:
            entry["target"] = target
        entries.append(entry)
    return entries


class NotifierEnv:
    """The pod mutation adding the env the notifiers' pod halves need (Secret references), once each."""

    def __init__(self, notifiers: Mapping[str, Any]):
        self.notifiers = notifiers

    def __call__(self, pod, spec) -> None:
        from .pod import main_container

        container = main_container(pod)
        env = list(container.env or [])
        present = {e.name for e in env}
        for notifier in self.notifiers.values():
            for var in notifier.pod_env(spec):
                if var.name not in present:
                    env.append(var)
                    present.add(var.name)
        container.env = env or None
