"""Pure builder: a job or job definition in, a hera Workflow / CronWorkflow out.

No I/O, no globals, no network. What it renders is what every engine
receives, the local one included (see docs/manifest.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

from hera.workflows import Container, CronWorkflow, Parameter, Step, Steps, Workflow
from hera.workflows import models as m
from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition
from kubernetes.client import ApiClient, V1Pod

from .labels import (  # noqa: F401  (the label keys: importers of workflow.py still find them here)
    DEFINITION_ID_LABEL,
    JOB_ID_LABEL,
    JOB_NAME_ANNOTATION,
    NOTEBOOK_ANNOTATION,
    OWNER_ANNOTATION,
    OWNER_LABEL,
)
# CRON_NAME_MAX, job_workflow_name and owner_annotation live in names.py; importers of workflow.py still find them.
from .names import (  # noqa: F401
    CRON_NAME_MAX,
    annotation_value,
    cron_workflow_name,
    job_workflow_name,
    label_value,
    owner_annotation,
)
from .pod import LABEL_PREFIX, MANAGED_BY, PodContext, SecretRef, main_container, make_pod
from .run_settings import CronSettings, RunSettings, RunSettingsError, resolve, resolve_cron
from .spec import RunSpec

RUN_TEMPLATE = "run"
EXIT_TEMPLATE = "exit-handler"
RECORD_FAILURE_TEMPLATE = "record-failure"
SPEC_PARAMETER = "spec"
RUNTIME_COMMAND = ["python", "-m", "argo_scheduler.runtime"]

# Argo substitutes the retry number (0 for the first attempt) in a container
# template that has a retryStrategy.
RETRY_NUMBER = "{{retries}}"
# A failed cell and a pod lost with its node are both worth another attempt:
# "Always" retries Argo's Failed (the notebook failed) and Error (the pod
# could not run) alike; a stopped workflow is never retried.
RETRY_POLICY = "Always"

# Argo's spec.podGC.strategy values (io.argoproj.workflow.v1alpha1.PodGC).
POD_GC_STRATEGIES = ("OnPodSuccess", "OnPodCompletion", "OnWorkflowSuccess", "OnWorkflowCompletion")
# A finished workflow is kept a day: long enough for the next listing in
# JupyterLab to settle a record its pod could not write (docs/manifest.md).
DEFAULT_TTL_SECONDS = 24 * 3600

PodMutation = Callable[[V1Pod, RunSpec], None]


class BuildError(ValueError):
    """The job cannot become a valid workflow; the message says what to change."""


@dataclass(frozen=True)
class CronOptions:
    concurrency_policy: str = "Allow"
    successful_jobs_history_limit: int = 3
    failed_jobs_history_limit: int = 3
    starting_deadline_seconds: int | None = None


@dataclass(frozen=True)
class Cleanup:
    """What Argo deletes once a run is over, so finished workflows and pods do not pile up."""

    # spec.ttlStrategy.secondsAfterCompletion; None keeps a finished workflow until it is deleted.
    ttl_seconds: int | None = DEFAULT_TTL_SECONDS
    # spec.podGC.strategy; None keeps every pod until its workflow goes.
    pod_gc_strategy: str | None = "OnPodSuccess"


@dataclass(frozen=True)
class BuildContext:
    """What the pod needs beyond jupyter-scheduler's model of the job."""

    staging_path: str
    image: str
    # A URL without credentials (sqlite path on a shared volume, say) may
    # travel in the run spec; one with a password must come as db_url_secret.
    db_url: str | None = None
    db_url_secret: SecretRef | None = None
    owner: str | None = None
    namespace: str | None = None
    kernel_name: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    image_pull_policy: str | None = None
    # The chosen environment's and compute type's share of the pod (pull
    # secret, working dir, resources, node placement), applied in order
    # before pod_mutations so that mutators see, and may adjust, the result.
    environment_mutations: Sequence[PodMutation] = ()
    # Applied in order to the job's V1Pod before it becomes templates.
    pod_mutations: Sequence[PodMutation] = ()
    # Labels of the pod mutations' that go on each Workflow, a CronWorkflow's
    # runs included, but not on the CronWorkflow object (PodSpecMutator.run_only_labels).
    run_only_labels: frozenset[str] = frozenset()
    # The notifiers' pod halves: [{"name": …, "config": {…}}] (no secrets).
    notifiers: Sequence[dict] = ()
    cron: CronOptions = field(default_factory=CronOptions)
    cleanup: Cleanup = field(default_factory=Cleanup)
    # Timeouts and retries of a job that sets none in its runtime_environment_parameters.
    run_defaults: RunSettings = field(default_factory=RunSettings)


def build_workflow(job: DescribeJob, context: BuildContext) -> Workflow:
    """The Workflow that runs one job: one pod, plus a failure recorder on exit."""
    settings = run_settings(job, context)
    spec = job_run_spec(job, context)
    labels = {**MANAGED_BY, JOB_ID_LABEL: job.job_id, **_owner_label(context)}
    if job.job_definition_id:
        labels[DEFINITION_ID_LABEL] = job.job_definition_id
    annotations = _annotations(job.input_filename, job.name, context)
    workflow_spec = _workflow_spec(spec, context, labels, annotations, settings)
    return Workflow(
        name=job_workflow_name(job.input_filename, job.job_id),
        namespace=context.namespace,
        labels=_with_pod_labels(labels, workflow_spec),
        annotations=annotations,
        **workflow_spec,
    )


def build_cron_workflow(definition: DescribeJobDefinition, context: BuildContext) -> CronWorkflow:
    """The CronWorkflow of a job definition; each run's pod records its own job."""
    if not definition.schedule:
        raise BuildError("a job definition needs a schedule to become a CronWorkflow")
    schedule = validate_schedule(definition.schedule)
    timezone = validate_timezone(definition.timezone or "UTC")
    cron = context.cron
    schedule_options = cron_settings(definition, context)
    settings = run_settings(definition, context)
    spec = definition_run_spec(definition, context)
    labels = {
        **MANAGED_BY,
        DEFINITION_ID_LABEL: definition.job_definition_id,
        **_owner_label(context),
    }
    annotations = _annotations(definition.input_filename, definition.name, context)
    workflow_spec = _workflow_spec(spec, context, labels, annotations, settings)
    run_labels = _with_pod_labels(labels, workflow_spec)
    # A webhook keyed on a run-only label must not dress the stored
    # CronWorkflow as well, or each run would be dressed twice (docs/plugins/nebari.md).
    own_labels = {k: v for k, v in run_labels.items() if k not in context.run_only_labels or k in labels}
    return CronWorkflow(
        name=cron_workflow_name(definition.input_filename, definition.job_definition_id),
        namespace=context.namespace,
        labels=own_labels,
        annotations=annotations,
        schedules=[schedule],
        timezone=timezone,
        concurrency_policy=schedule_options.concurrency_policy,
        successful_jobs_history_limit=cron.successful_jobs_history_limit,
        failed_jobs_history_limit=cron.failed_jobs_history_limit,
        # 0 means none; Argo reads a 0 as "never start a missed run".
        starting_deadline_seconds=schedule_options.starting_deadline_seconds or None,
        cron_suspend=not definition.active,
        # Runs carry the definition's labels so one selector lists them all.
        workflow_metadata=m.WorkflowMetadata(labels=run_labels, annotations=annotations),
        **workflow_spec,
    )


def job_run_spec(job: DescribeJob, context: BuildContext) -> RunSpec:
    return RunSpec(
        job_id=job.job_id,
        job_definition_id=job.job_definition_id,
        input_path=os.path.join(context.staging_path, job.job_id, job.input_filename),
        **_common_spec_fields(job, context),
    )


def definition_run_spec(definition: DescribeJobDefinition, context: BuildContext) -> RunSpec:
    return RunSpec(
        job_id=None,
        job_definition_id=definition.job_definition_id,
        input_path=os.path.join(
            context.staging_path, definition.job_definition_id, definition.input_filename
        ),
        **_common_spec_fields(definition, context),
    )


def run_settings(model: DescribeJob | DescribeJobDefinition, context: BuildContext) -> RunSettings:
    """The job's timeouts and retries: its runtime_environment_parameters over the context's defaults."""
    try:
        return resolve(model.runtime_environment_parameters, context.run_defaults)
    except RunSettingsError as e:
        raise BuildError(str(e)) from None


def cron_settings(definition: DescribeJobDefinition, context: BuildContext) -> CronSettings:
    """The definition's concurrency policy and starting deadline: its runtime_environment_parameters over the context's."""
    defaults = CronSettings(
        concurrency_policy=context.cron.concurrency_policy,
        starting_deadline_seconds=context.cron.starting_deadline_seconds or 0,
    )
    try:
        return resolve_cron(definition.runtime_environment_parameters, defaults)
    except RunSettingsError as e:
        raise BuildError(str(e)) from None


def validate_schedule(schedule: str) -> str:
    from .schedules import check_schedule

    try:
        check_schedule(schedule)
    except ValueError as e:
        raise BuildError(str(e)) from None
    return schedule.strip()


def validate_timezone(timezone: str) -> str:
    from .schedules import check_timezone

    try:
        return check_timezone(timezone)
    except ValueError as e:
        raise BuildError(str(e)) from None


def _common_spec_fields(model: DescribeJob | DescribeJobDefinition, context: BuildContext) -> dict:
    if context.db_url and not context.db_url_secret and _has_password(context.db_url):
        raise BuildError(
            "the database URL carries a password, which must not travel in a manifest: "
            "store the URL in a Kubernetes Secret and name it in "
            "c.ArgoScheduler.db_url_secret_name (its key in db_url_secret_key)"
        )
    return dict(
        name=model.name,
        input_filename=model.input_filename,
        staging_path=context.staging_path,
        runtime_environment_name=model.runtime_environment_name,
        runtime_environment_parameters=dict(model.runtime_environment_parameters or {}),
        parameters=dict(model.parameters or {}),
        output_formats=list(model.output_formats or []),
        tags=list(model.tags or []),
        compute_type=model.compute_type,
        kernel_name=context.kernel_name,
        db_url=None if context.db_url_secret else context.db_url,
        owner=context.owner,
        notifiers=[dict(n) for n in context.notifiers],
    )


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return bool(make_url(url).password)
    except Exception:
        # Not a URL sqlalchemy can parse: treat it as possibly secret.
        return True


def _owner_label(context: BuildContext) -> dict[str, str]:
    return {OWNER_LABEL: label_value(context.owner)} if context.owner else {}


def _with_pod_labels(labels: dict[str, str], workflow_spec: dict) -> dict[str, str]:
    """The workflow's labels: the builder's, plus any label a pod mutation added.

    Admission webhooks and label selectors look at the Workflow object (and a
    cron run's Workflow gets its labels from workflowMetadata), never at the
    pods' metadata; the Nebari workflow controller keys on
    `jupyterflow-override` there. The builder's own labels win, so a mutation
    cannot move a workflow out of the scheduler's selectors.
    """
    pod_metadata = workflow_spec.get("pod_metadata")
    added = (pod_metadata.labels if pod_metadata else None) or {}
    return {**added, **labels}


def _annotations(input_filename: str, name: str, context: BuildContext) -> dict[str, str]:
    """The user's text about the run, escaped: these annotations are also in the spec, which Argo templates."""
    annotations = {NOTEBOOK_ANNOTATION: input_filename, JOB_NAME_ANNOTATION: name}
    if context.owner:
        annotations[OWNER_ANNOTATION] = context.owner
    return {key: annotation_value(value) for key, value in annotations.items() if value is not None}


def _workflow_spec(
    spec: RunSpec,
    context: BuildContext,
    labels: dict[str, str],
    annotations: dict[str, str],
    settings: RunSettings,
) -> dict:
    """Workflow-spec keyword arguments shared by Workflow and CronWorkflow."""
    pod = make_pod(
        PodContext(
            image=context.image,
            labels=labels,
            annotations=annotations,
            db_url_secret=context.db_url_secret,
            env=context.env,
            image_pull_policy=context.image_pull_policy,
        )
    )
    for mutate in (*context.environment_mutations, *context.pod_mutations):
        mutate(pod, spec)
    pod_level, container = _split_pod(pod)

    def runtime(name: str, command: str, *extra: str, settings: dict = container, **template) -> Container:
        return Container(
            name=name,
            command=list(RUNTIME_COMMAND),
            args=[
                command,
                "--spec", "{{workflow.parameters.%s}}" % SPEC_PARAMETER,
                "--workflow-name", "{{workflow.name}}",
                "--workflow-uid", "{{workflow.uid}}",
                *extra,
            ],
            **settings,
            **template,
        )

    run = runtime(RUN_TEMPLATE, "run", *_run_arguments(settings), retry_strategy=_retry_strategy(settings))
    record_failure = runtime(
        RECORD_FAILURE_TEMPLATE,
        "record-failure",
        "--workflow-status", "{{workflow.status}}",
        "--workflow-failures", "{{workflow.failures}}",
        *(["--timeout-seconds", str(settings.timeout_seconds)] if settings.timeout_seconds else []),
        # It only writes a database row: the notebook's CPUs, memory and GPUs
        # would make it wait for (or hold) a node it does not need.
        settings={k: v for k, v in container.items() if k != "resources"},
    )
    # A steps template, because only a step can carry `when`: on success the
    # step is skipped and no second pod starts.
    exit_handler = Steps(
        name=EXIT_TEMPLATE,
        sub_steps=[
            Step(
                name=RECORD_FAILURE_TEMPLATE,
                template=RECORD_FAILURE_TEMPLATE,
                when="{{workflow.status}} != Succeeded",
            )
        ],
    )
    return dict(
        entrypoint=RUN_TEMPLATE,
        on_exit=EXIT_TEMPLATE,
        arguments=[Parameter(name=SPEC_PARAMETER, value=spec.to_json())],
        templates=[run, exit_handler, record_failure],
        # The workflow's deadline, not the run template's: it bounds the whole
        # run, attempts and waits between them included, and Argo exempts the
        # onExit handler from it, so the failure recorder still runs
        # (docs/timeouts.md). Zero would mean "terminate now" to Argo.
        active_deadline_seconds=settings.timeout_seconds or None,
        # A cron run's Workflow gets these from the workflowSpec too, so its
        # runs go after the same time as one-off jobs' (and sooner past the
        # CronWorkflow's history limits).
        ttl_strategy=_ttl_strategy(context.cleanup),
        pod_gc=_pod_gc(context.cleanup),
        **pod_level,
    )


def _ttl_strategy(cleanup: Cleanup) -> m.TTLStrategy | None:
    if cleanup.ttl_seconds is None:
        return None
    if cleanup.ttl_seconds < 1:
        # Zero would delete a run the moment it ends, before anything could
        # settle a record its pod did not write.
        raise BuildError(f"a workflow's time to live must be at least 1 second, not {cleanup.ttl_seconds}")
    return m.TTLStrategy(seconds_after_completion=cleanup.ttl_seconds)


def _pod_gc(cleanup: Cleanup) -> m.PodGC | None:
    if cleanup.pod_gc_strategy is None:
        return None
    if cleanup.pod_gc_strategy not in POD_GC_STRATEGIES:
        raise BuildError(f"pod GC strategy {cleanup.pod_gc_strategy!r} is not one of {', '.join(POD_GC_STRATEGIES)}")
    return m.PodGC(strategy=cleanup.pod_gc_strategy)


def _run_arguments(settings: RunSettings) -> list[str]:
    """The run command's options for the per-cell timeout and the attempt it is."""
    arguments = []
    if settings.cell_timeout_seconds:
        arguments += ["--cell-timeout", str(settings.cell_timeout_seconds)]
    if settings.retries:
        arguments += ["--retry-number", RETRY_NUMBER, "--retry-limit", str(settings.retries)]
    return arguments


def _retry_strategy(settings: RunSettings) -> m.RetryStrategy | None:
    if not settings.retries:
        return None
    backoff = None
    if settings.retry_backoff_seconds:
        # No maxDuration: Argo then overrides each retried pod's deadline with
        # what is left of it (argo-workflows#13044); the workflow's deadline
        # already bounds the attempts.
        backoff = m.Backoff(
            duration=str(settings.retry_backoff_seconds),
            factor=m.IntOrString(settings.retry_backoff_factor),
        )
    return m.RetryStrategy(limit=m.IntOrString(settings.retries), retry_policy=RETRY_POLICY, backoff=backoff)


# V1PodSpec field (as serialized) -> (hera Workflow keyword, hera model or None)
_POD_SPEC_FIELDS: dict[str, tuple[str, type | None]] = {
    "volumes": ("volumes", m.Volume),
    "nodeSelector": ("node_selector", None),
    "tolerations": ("tolerations", m.Toleration),
    "affinity": ("affinity", m.Affinity),
    "securityContext": ("security_context", m.PodSecurityContext),
    "serviceAccountName": ("service_account_name", None),
    "automountServiceAccountToken": ("automount_service_account_token", None),
    "imagePullSecrets": ("image_pull_secrets", m.LocalObjectReference),
    "priorityClassName": ("pod_priority_class_name", None),
    "schedulerName": ("scheduler_name", None),
    "hostAliases": ("host_aliases", m.HostAlias),
    "dnsPolicy": ("dns_policy", None),
    "dnsConfig": ("dns_config", m.PodDNSConfig),
    "hostNetwork": ("host_network", None),
}
# Argo sets these itself on every pod it makes.
_POD_SPEC_IGNORED = {"containers", "restartPolicy"}

# V1Container field -> (hera Container keyword, hera model or None)
_CONTAINER_FIELDS: dict[str, tuple[str, type | None]] = {
    "image": ("image", None),
    "imagePullPolicy": ("image_pull_policy", None),
    "env": ("env", m.EnvVar),
    "envFrom": ("env_from", m.EnvFromSource),
    "resources": ("resources", m.ResourceRequirements),
    "volumeMounts": ("volume_mounts", m.VolumeMount),
    "workingDir": ("working_dir", None),
    "securityContext": ("security_context", m.SecurityContext),
}
# The builder owns the command line; a mutator never decides what runs.
_CONTAINER_IGNORED = {"name", "command", "args"}


def _split_pod(pod: V1Pod) -> tuple[dict, dict]:
    """Hera keyword arguments for the workflow spec and for each container template."""
    data = ApiClient().sanitize_for_serialization(pod)
    pod_spec = data.get("spec") or {}
    if len(pod_spec.get("containers") or []) != 1:
        raise BuildError("the job's pod must have exactly one container; sidecars are not supported")
    container_data = ApiClient().sanitize_for_serialization(main_container(pod))

    pod_level = _convert(pod_spec, _POD_SPEC_FIELDS, _POD_SPEC_IGNORED, "pod spec")
    container = _convert(container_data, _CONTAINER_FIELDS, _CONTAINER_IGNORED, "container")
    if not str(container.get("image") or "").strip():
        # hera would quietly put its own default image in, a pod without argo_scheduler.
        raise BuildError(
            "the job's pod has no container image: set c.ArgoScheduler.image, or the environment's "
            "image (a pod mutator may have cleared it)"
        )
    metadata = data.get("metadata") or {}
    if metadata.get("labels") or metadata.get("annotations"):
        pod_level["pod_metadata"] = m.Metadata(
            labels=metadata.get("labels") or None, annotations=metadata.get("annotations") or None
        )
    return pod_level, container


def _convert(data: dict, fields: dict, ignored: set, where: str) -> dict:
    out = {}
    for key, value in data.items():
        if key in ignored or value in (None, [], {}):
            continue
        if key not in fields:
            # Dropping it would run a different pod than the one configured.
            raise BuildError(f"{where} field {key!r} set by a pod mutator cannot be expressed in the workflow")
        keyword, model = fields[key]
        if model is None:
            out[keyword] = value
        elif isinstance(value, list):
            out[keyword] = [model.model_validate(item) for item in value]
        else:
            out[keyword] = model.model_validate(value)
    return out


def to_manifest(workflow: Workflow | CronWorkflow) -> dict:
    """The plain dict an engine submits (Argo's JSON)."""
    manifest = workflow.to_dict()
    spec = manifest.get("spec", {})
    if manifest.get("kind") == "CronWorkflow" and "workflowMetadata" in spec.get("workflowSpec", {}):
        # Argo's cron controller puts spec.workflowMetadata on each run when it
        # creates it; workflowSpec.workflowMetadata only arrives on the first
        # reconcile — too late for admission webhooks (Nebari's) and selectors.
        # hera exposes only the latter, so the former is copied here.
        spec["workflowMetadata"] = dict(spec["workflowSpec"]["workflowMetadata"])
    return manifest


def with_mutations(context: BuildContext, *mutations: PodMutation) -> BuildContext:
    return replace(context, pod_mutations=(*context.pod_mutations, *mutations))
