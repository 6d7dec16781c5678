"""A CronWorkflow on the local engine: check it, find when it is due, make one run's Workflow.

Pure: no files are read or written and no clock is read here — "now" is
always an argument — so every rule below is tested without waiting.

What the local engine honours of a CronWorkflow, and how:

- Checked at create/update as Argo does, and refused with the field's path:
  metadata name (DNS-1123, at most 52 characters — Argo's limit, which
  leaves room for the run suffix), namespace, labels, annotations;
  spec.schedules (5-field cron, or Argo's descriptors @hourly … @yearly),
  timezone (IANA, default UTC), concurrencyPolicy (Allow, Forbid, Replace),
  startingDeadlineSeconds, successful/failedJobsHistoryLimit (Argo's
  defaults 3 and 1), suspend, workflowMetadata (labels, annotations) and
  workflowSpec, which must pass every check a Workflow gets at submit.
  Anything else (stopStrategy, when, the pre-3.6 singular `schedule`, …)
  is refused like an unknown key.
- A run is the Workflow Argo's cron controller makes: named
  `<cron name>-<unix seconds of the scheduled time>` (Argo 3.5+), labelled
  with the workflowMetadata labels plus `workflows.argoproj.io/cron-workflow`,
  annotated with the workflowMetadata annotations plus
  `workflows.argoproj.io/scheduled-time`, its spec the workflowSpec.
- Schedules match the wall clock of spec.timezone the way Argo's cron
  library (robfig/cron) does, so a manifest behaves the same on either
  engine: `0 6 * * *` stays at 06:00 local across DST changes; a time the
  spring change skips (02:30 in Europe/Paris) does not fire that day; a time
  the autumn change repeats fires at both instants.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any, Mapping

from ... import schedules as cron_syntax
from ...labels import CRON_WORKFLOW_LABEL, SCHEDULED_TIME_ANNOTATION
from . import manifest as local_manifest
from .rundir import ObjectDir, rfc3339
from ..base import EngineError, UnsupportedManifest

CRONS_DIR = "crons"
# Argo refuses longer CronWorkflow names: `-<10 digits>` must still fit in 63.
CRON_NAME_MAX = 52

ALLOW, FORBID, REPLACE = "Allow", "Forbid", "Replace"
CONCURRENCY_POLICIES = (ALLOW, FORBID, REPLACE)
# Argo's defaults when the fields are absent.
DEFAULT_SUCCESSFUL_HISTORY = 3
DEFAULT_FAILED_HISTORY = 1
DEFAULT_TIMEZONE = "UTC"

# More than any UTC offset change in the tz database's daylight-saving rules:
# how far around a clock change a scheduled instant may sit out of order.
_MAX_OFFSET_CHANGE = timedelta(hours=3)

_TOP_KEYS = frozenset({"apiVersion", "kind", "metadata", "spec"})
_METADATA_KEYS = frozenset({"name", "namespace", "labels", "annotations"})
_SPEC_KEYS = frozenset({
    "schedules", "timezone", "concurrencyPolicy", "startingDeadlineSeconds",
    "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "suspend",
    "workflowMetadata", "workflowSpec",
})
_WORKFLOW_METADATA_KEYS = frozenset({"labels", "annotations"})


class CronDir(ObjectDir):
    """Where one CronWorkflow lives under `<state_dir>/crons/<name>/`.

    manifest.json   the CronWorkflow as last created/updated (spec.suspend
                    edited in place by suspend/resume); its presence is what
                    makes the cron exist
    cron.json       written by the engine's API: name, uid, namespace,
                    creationTimestamp, countFrom (epoch seconds: scheduled
                    times before it never fire — creation, update, resume)
    state.json      owned by the agent: lastScheduledTime (RFC 3339),
                    handledThrough (epoch seconds of the latest scheduled
                    time fired or deliberately skipped)
    """

    @property
    def cron(self) -> Path:
        return self.path / "cron.json"


@dataclass(frozen=True)
class CronPlan:
    name: str
    namespace: str | None
    labels: dict[str, str]
    annotations: dict[str, str]
    schedules: tuple[str, ...]  # as written in the manifest
    timezone: str
    concurrency_policy: str
    starting_deadline_seconds: int | None
    successful_jobs_history_limit: int
    failed_jobs_history_limit: int
    suspend: bool
    # The workflowSpec without workflowMetadata, which becomes the run's metadata.
    workflow_spec: dict
    run_labels: dict[str, str]
    run_annotations: dict[str, str]


def is_cron_name(name: str) -> bool:
    return len(name) <= CRON_NAME_MAX and local_manifest.is_workflow_name(name)


def run_name(cron_name: str, scheduled: datetime) -> str:
    """Argo 3.5+'s name for the run of `scheduled`: the same time always makes the same name."""
    return f"{cron_name}-{int(scheduled.timestamp())}"


def run_manifest(plan: CronPlan, scheduled: datetime) -> dict:
    """The Workflow Argo's cron controller would create for the time `scheduled`."""
    metadata: dict[str, Any] = {
        "name": run_name(plan.name, scheduled),
        # The agent finds a cron's runs by this label, so the workflowMetadata cannot override it.
        "labels": {**plan.run_labels, CRON_WORKFLOW_LABEL: plan.name},
        "annotations": {**plan.run_annotations, SCHEDULED_TIME_ANNOTATION: rfc3339(scheduled)},
    }
    if plan.namespace:
        metadata["namespace"] = plan.namespace
    return {
        "apiVersion": local_manifest.API_VERSION,
        "kind": "Workflow",
        "metadata": metadata,
        "spec": dict(plan.workflow_spec),
    }


def summary(manifest: Mapping[str, Any], cron: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
    """What LocalEngine.crons() tells of one stored cron (manifest.json, cron.json, state.json)."""
    spec, meta = manifest.get("spec") or {}, manifest.get("metadata") or {}
    return {
        "name": meta.get("name"),
        "uid": cron.get("uid"),
        "namespace": cron.get("namespace"),
        "creationTimestamp": cron.get("creationTimestamp"),
        "labels": dict(meta.get("labels") or {}),
        "suspend": bool(spec.get("suspend") or False),
        "schedules": list(spec.get("schedules") or []),
        "timezone": spec.get("timezone") or DEFAULT_TIMEZONE,
        "concurrencyPolicy": spec.get("concurrencyPolicy") or ALLOW,
        "lastScheduledTime": state.get("lastScheduledTime"),
    }


# ---- checking a manifest ---------------------------------------------------


def _invalid(path: str, problem: str) -> EngineError:
    return EngineError(f"invalid CronWorkflow: {path} {problem}")


def _unsupported(path: str, allowed: frozenset[str]) -> UnsupportedManifest:
    return UnsupportedManifest(
        f"{path} is not supported by the local engine's CronWorkflows "
        f"(supported here: {', '.join(sorted(allowed))}); use an Argo engine for it"
    )


# The Workflow checks', in a CronWorkflow's words.
_object = partial(local_manifest.check_object, invalid=_invalid, unsupported=_unsupported)
_string_map = partial(local_manifest.check_string_map, invalid=_invalid)


def _count(value: Any, path: str, default: int | None) -> int | None:
    if value is None:
        return default
    # bool is an int in Python, never in a manifest.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _invalid(path, f"must be a whole number >= 0, got {value!r}")
    return value


def check_schedule(schedule: Any, path: str) -> str:
    """`schedule` as croniter reads it (descriptors expanded), or EngineError naming `path`."""
    try:
        return cron_syntax.check_schedule(schedule)
    except ValueError as error:
        raise _invalid(path, str(error)) from None


def check_timezone(value: Any, path: str) -> str:
    if value is None or value == "":
        return DEFAULT_TIMEZONE
    try:
        return cron_syntax.check_timezone(value)
    except ValueError as error:
        raise _invalid(path, str(error)) from None


def _run_metadata(spec: dict, workflow_spec: dict) -> tuple[dict[str, str], dict[str, str]]:
    # Argo applies the CronWorkflow's workflowMetadata when it creates the
    # run, then the workflowSpec's own when the run starts; the later wins.
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    for raw, path in (
        (spec.get("workflowMetadata"), "spec.workflowMetadata"),
        (workflow_spec.get("workflowMetadata"), "spec.workflowSpec.workflowMetadata"),
    ):
        meta = _object(raw, path, _WORKFLOW_METADATA_KEYS)
        # The run's metadata, but read from the spec, where Argo substitutes.
        local_manifest.refuse_global_tags(meta, path)
        labels.update(_string_map(meta.get("labels"), f"{path}.labels"))
        annotations.update(_string_map(meta.get("annotations"), f"{path}.annotations"))
    return labels, annotations


def _as_workflow_spec_path(error: EngineError) -> EngineError:
    """The submit check's message, with its paths pointing into spec.workflowSpec."""
    message = re.sub(r"(?<![\w.'\"-])spec\.", "spec.workflowSpec.", str(error))
    return type(error)(message.replace("invalid manifest:", "invalid CronWorkflow:", 1))


def parse(manifest: Mapping[str, Any], checked_at: datetime | None = None) -> CronPlan:
    """The plan of a CronWorkflow manifest, or EngineError naming the field at fault.

    The workflowSpec is checked as the Workflow of a run scheduled at
    `checked_at` (default: the epoch — only the run's name depends on it).
    """
    top = _object(manifest, "", _TOP_KEYS, required=True)
    try:
        json.dumps(top)  # it is stored as JSON
    except (TypeError, ValueError) as exc:
        raise _invalid("the manifest", f"must be JSON data ({exc})") from None
    if top.get("apiVersion") != local_manifest.API_VERSION:
        raise _invalid("apiVersion", f"must be {local_manifest.API_VERSION!r}, got {top.get('apiVersion')!r}")
    if top.get("kind") != "CronWorkflow":
        raise _invalid("kind", f"must be 'CronWorkflow', got {top.get('kind')!r}")
    meta = _object(top.get("metadata"), "metadata", _METADATA_KEYS, required=True)
    spec = _object(top.get("spec"), "spec", _SPEC_KEYS, required=True)

    name = meta.get("name")
    if not isinstance(name, str) or not is_cron_name(name):
        raise _invalid(
            "metadata.name",
            f"must be a lowercase DNS-1123 name of at most {CRON_NAME_MAX} characters, got {name!r}",
        )
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise _invalid("metadata.namespace", f"must be a string, got {namespace!r}")

    schedules = spec.get("schedules")
    if not isinstance(schedules, list) or not schedules:
        raise _invalid("spec.schedules", f"must be a non-empty list of cron schedules, got {schedules!r}")
    for i, schedule in enumerate(schedules):
        check_schedule(schedule, f"spec.schedules[{i}]")

    policy = spec.get("concurrencyPolicy") or ALLOW
    if policy not in CONCURRENCY_POLICIES:
        raise _invalid(
            "spec.concurrencyPolicy", f"must be one of {', '.join(CONCURRENCY_POLICIES)}, got {policy!r}"
        )
    suspend = spec.get("suspend", False)
    if suspend is None:
        suspend = False
    if not isinstance(suspend, bool):
        raise _invalid("spec.suspend", f"must be true or false, got {suspend!r}")

    # Its keys are checked below, by the very check a submitted Workflow gets.
    workflow_spec = spec.get("workflowSpec")
    if not isinstance(workflow_spec, Mapping):
        what = "missing" if workflow_spec is None else f"a {type(workflow_spec).__name__}"
        raise _invalid("spec.workflowSpec", f"must be an object, got {what}")
    workflow_spec = dict(workflow_spec)
    run_labels, run_annotations = _run_metadata(spec, workflow_spec)
    workflow_spec.pop("workflowMetadata", None)

    plan = CronPlan(
        name=name,
        namespace=namespace or None,
        labels=_string_map(meta.get("labels"), "metadata.labels"),
        annotations=_string_map(meta.get("annotations"), "metadata.annotations"),
        schedules=tuple(schedules),
        timezone=check_timezone(spec.get("timezone"), "spec.timezone"),
        concurrency_policy=policy,
        starting_deadline_seconds=_count(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds", None),
        successful_jobs_history_limit=_count(
            spec.get("successfulJobsHistoryLimit"), "spec.successfulJobsHistoryLimit", DEFAULT_SUCCESSFUL_HISTORY
        ),
        failed_jobs_history_limit=_count(
            spec.get("failedJobsHistoryLimit"), "spec.failedJobsHistoryLimit", DEFAULT_FAILED_HISTORY
        ),
        suspend=suspend,
        workflow_spec=workflow_spec,
        run_labels=run_labels,
        run_annotations=run_annotations,
    )
    try:
        local_manifest.parse(run_manifest(plan, checked_at or datetime.fromtimestamp(0, timezone.utc)))
    except EngineError as exc:
        raise _as_workflow_spec_path(exc) from None
    return plan


# ---- when a cron is due ----------------------------------------------------


def _aware(instant: datetime, what: str) -> datetime:
    if instant.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return instant.astimezone(timezone.utc)


def _wall(instant: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _instants(wall: datetime, tz: zoneinfo.ZoneInfo) -> list[datetime]:
    """The instants at which the clocks of `tz` show `wall`: none in a spring gap, two in an autumn overlap."""
    found = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(timezone.utc)
        if _wall(instant, tz) == wall and instant not in found:
            found.append(instant)
    return found


def _offset_change_near(instant: datetime, tz: zoneinfo.ZoneInfo) -> timedelta:
    """How much the UTC offset differs within _MAX_OFFSET_CHANGE of `instant` (0 away from clock changes)."""
    offset = instant.astimezone(tz).utcoffset()
    return max(
        abs((instant + delta).astimezone(tz).utcoffset() - offset)
        for delta in (-_MAX_OFFSET_CHANGE, _MAX_OFFSET_CHANGE)
    )


def _latest_match(expression: str, tz: zoneinfo.ZoneInfo, since: datetime, now: datetime) -> datetime | None:
    from croniter import CroniterBadDateError, croniter

    # Walk matching wall-clock times backwards from now. Near a clock change
    # the instants of consecutive wall times are out of order by at most the
    # offset change, hence the margins on both ends.
    start = _wall(now, tz) + _offset_change_near(now, tz)
    stop = _wall(since, tz) - _offset_change_near(since, tz)
    times = croniter(expression, start.replace(second=0, microsecond=0) + timedelta(minutes=1))
    best = None
    while True:
        try:
            wall = times.get_prev(datetime)
        except CroniterBadDateError:
            return best
        if wall <= stop:
            return best
        for instant in _instants(wall, tz):
            if since < instant <= now and (best is None or instant > best):
                best = instant
                # Nothing later than `best` can hide further back than this.
                stop = max(stop, wall - _offset_change_near(instant, tz))


def latest_due(schedules: tuple[str, ...] | list[str], tz_name: str, since: datetime, now: datetime) -> datetime | None:
    """The latest scheduled instant in (since, now], in UTC; None if none fell due.

    Only the latest: when several were missed (the agent was not running),
    Argo and Kubernetes start one run, not one per missed time.
    """
    since, now = _aware(since, "since"), _aware(now, "now")
    if now <= since:
        return None
    tz = zoneinfo.ZoneInfo(tz_name)
    due = [
        t for t in (_latest_match(cron_syntax.expand(s), tz, since, now) for s in schedules) if t
    ]
    return max(due) if due else None


def past_deadline(plan: CronPlan, scheduled: datetime, now: datetime) -> bool:
    """Whether it is too late to start the run of `scheduled` (startingDeadlineSeconds)."""
    if plan.starting_deadline_seconds is None:
        return False
    late = (_aware(now, "now") - _aware(scheduled, "scheduled")).total_seconds()
    return late > plan.starting_deadline_seconds
