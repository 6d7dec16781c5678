"""What the `/argo-scheduler/…` handlers answer (docs/http.md): run options, a job's run, a definition's schedule.

Everything is read through the scheduler's owner-scoped database sessions,
so an id of another owner's record is not found, exactly like an unknown
one; a job's files are read only once its record was found. Text that
comes from a run (its log, messages) is redacted before it leaves.
"""

from __future__ import annotations

import os
import time
from typing import Any

from .labels import DEFINITION_ID_LABEL
from .names import job_workflow_name

DEFAULT_LOG_BYTES = 16384
MAX_LOG_BYTES = 65536
NEXT_RUNS = 5
_FINAL = frozenset({"COMPLETED", "FAILED", "STOPPED"})


class NotFound(LookupError):
    """No such record for this owner; str() is the message of the 404."""


def _status(value: Any) -> str:
    return getattr(value, "value", None) or str(value)


def _is_local(scheduler) -> bool:
    # Imported on use: the handlers import this module at the server's start,
    # where the engine registry would cost it three times its import time
    # (benchmarks/run.py import_server_extension: 4.5 ms, 16 ms with it).
    from .engines.registry import is_local

    return is_local(scheduler.engine)


def secrets_of(scheduler) -> list[str]:
    """The secret values this server can know of, to keep out of its answers."""
    from sqlalchemy.engine import make_url

    found = []
    try:
        password = make_url(scheduler.db_url).password
    except Exception:
        password = None
    if password:
        found.append(str(password))
    if _is_local(scheduler):
        store = scheduler.get_engine().secrets
        try:
            names = [p.name for p in store.root.iterdir()]
        except OSError:
            names = []
        for name in names:
            for key in store.keys(name) or ():
                try:
                    found.append(store.read(name, key, scheduler.namespace))
                except Exception:
                    continue
    return found


def _redactor(scheduler):
    from .redact import redact

    known = secrets_of(scheduler)
    return lambda text: None if text is None else redact(str(text), known)


def argo_ui_url(scheduler) -> str | None:
    """The Argo UI's base URL for links, or None (never on the local engine)."""
    if _is_local(scheduler) or not scheduler.argo_ui_url.strip():
        return None
    return scheduler.argo_ui_url.strip().rstrip("/")


def _link(scheduler, kind: str, name: str | None) -> str | None:
    from urllib.parse import quote

    base = argo_ui_url(scheduler)
    if base is None or not name:
        return None
    return f"{base}/{kind}/{quote(scheduler.namespace, safe='')}/{quote(name, safe='')}"


def _default_events(scheduler) -> list[str]:
    from .run_settings import EVENTS

    configured = {e for n in scheduler.notifier_instances.values() for e in n.events}
    return [e for e in EVENTS if e in configured]


def _targets(scheduler) -> list[dict[str, Any]]:
    targets = []
    for name, notifier in scheduler.notifier_instances.items():
        if not notifier.target_key:
            continue
        targets.append({
            "key": notifier.target_key,
            "notifier": name,
            "label": notifier.target_label or notifier.target_key,
            "default": notifier.target_default(),
            "allowed": notifier.target_allowed(),
            "placeholder": notifier.target_placeholder or None,
            "hint": notifier.target_hint(),
        })
    return targets


def options(scheduler) -> dict[str, Any]:
    """GET /argo-scheduler/options: what a form offers, with the server's defaults and limits."""
    from .run_settings import CONCURRENCY_POLICIES, EVENTS, limits

    run, cron = scheduler.run_defaults(), scheduler.cron_defaults()
    return {
        "defaults": {
            "timeout_seconds": run.timeout_seconds,
            "retries": run.retries,
            "retry_backoff_seconds": run.retry_backoff_seconds,
            "cell_timeout_seconds": run.cell_timeout_seconds,
            "concurrency_policy": cron.concurrency_policy,
            "starting_deadline_seconds": cron.starting_deadline_seconds,
        },
        "limits": limits(),
        "notifications": {
            "events": list(EVENTS),
            "default_events": _default_events(scheduler),
            "targets": _targets(scheduler),
        },
        "concurrency_policies": list(CONCURRENCY_POLICIES),
        "argo_ui_url": argo_ui_url(scheduler),
    }


def _resolved_options(scheduler, model, definition: bool) -> dict[str, Any]:
    """The options the job runs with: its own over the server's current defaults."""
    from jupyter_scheduler.exceptions import SchedulerError

    try:
        resolved = scheduler.run_options(model)
    except SchedulerError as e:
        # Stored before the administrator narrowed what is allowed: shown as stored, with why.
        given = dict(model.runtime_environment_parameters or {})
        return {**given, "invalid": str(e)}
    run, notifications = resolved.run, resolved.notifications
    targets = {}
    for name, notifier in scheduler.notifier_instances.items():
        if not notifier.target_key:
            continue
        legacy = (model.parameters or {}).get(notifier.target_parameter) if notifier.target_parameter else None
        targets[notifier.target_key] = notifications.targets.get(name) or legacy or notifier.target_default()
    answer: dict[str, Any] = {
        "timeout_seconds": run.timeout_seconds,
        "retries": run.retries,
        "retry_backoff_seconds": run.retry_backoff_seconds,
        "cell_timeout_seconds": run.cell_timeout_seconds,
        "notify_on": list(notifications.events) if notifications.events is not None else _default_events(scheduler),
        "targets": targets,
    }
    if definition:
        answer["concurrency_policy"] = resolved.cron.concurrency_policy
        answer["starting_deadline_seconds"] = resolved.cron.starting_deadline_seconds
    return answer


def log_tail(path: str | None, max_bytes: int) -> dict[str, Any] | None:
    """The last `max_bytes` of the run log, cut at a line start when cut: {"tail", "truncated", "size"}."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start = max(0, size - max_bytes)
            f.seek(start)
            data = f.read(max_bytes)
    except OSError:
        return None
    truncated = start > 0
    if truncated:
        # A partial first line (or character) says nothing: start at the next line.
        newline = data.find(b"\n")
        data = data[newline + 1:] if newline >= 0 else b""
    return {"tail": data.decode("utf-8", errors="replace"), "truncated": truncated, "size": size}


def clamp_log_bytes(value: str | None) -> int:
    """The ?log_bytes= asked for, within (0, MAX_LOG_BYTES]; ValueError for what is not a number."""
    if value is None or value == "":
        return DEFAULT_LOG_BYTES
    number = int(value)
    if number < 0:
        raise ValueError("log_bytes must be 0 or more")
    return min(number, MAX_LOG_BYTES)


def _workflow_name(scheduler, job) -> str | None:
    if not job.job_definition_id:
        return job_workflow_name(job.input_filename, job.job_id)
    # A cron run's workflow is named after its scheduled time: only the engine knows it.
    try:
        states = scheduler.owned_states(f"{DEFINITION_ID_LABEL}={job.job_definition_id}")
    except Exception:
        states = {}
    state = scheduler.index_by_job_id(states).get(job.job_id)
    if state is not None:
        return state.name
    # A run started with "Run job" from the definition is a one-off job.
    return job_workflow_name(job.input_filename, job.job_id)


def job(scheduler, job_id: str, log_bytes: int = DEFAULT_LOG_BYTES) -> dict[str, Any]:
    """GET /argo-scheduler/jobs/{job_id}: the run behind one of this owner's jobs."""
    from sqlalchemy.exc import NoResultFound

    from .runtime import attempts, progress

    try:
        record = scheduler.get_job(job_id, job_files=False)
    except NoResultFound:
        raise NotFound(f"no job {job_id}") from None
    clean = _redactor(scheduler)
    status = _status(record.status)
    folder = os.path.join(scheduler.staging_path, record.job_id)
    data = progress.read(folder)
    if data is not None and status in _FINAL and data.get("finished_at") is None:
        # The pod died mid-run: the last it wrote is when it stopped.
        data = {**data, "finished_at": data.get("updated_at")}
    log_path = scheduler.staged_outputs(record.copy(update={"output_formats": ["log"]})).get("log")
    tail = log_tail(log_path, log_bytes) if log_bytes else None
    if tail is not None:
        tail["tail"] = clean(tail["tail"])
    name = _workflow_name(scheduler, record)
    return {
        "job_id": record.job_id,
        "status": status,
        "status_message": clean(record.status_message),
        "progress": progress.summary(data, time.time()) if status not in ("CREATED", "QUEUED") else None,
        "attempts": [
            {**a, "message": clean(a["message"])}
            for a in attempts.summary(folder, status, record.status_message, (data or {}).get("attempt"))
        ],
        "log": tail,
        "options": _resolved_options(scheduler, record, definition=False),
        "compute_type": record.compute_type,
        "output_formats": list(record.output_formats or []),
        "environment": record.runtime_environment_name or None,
        "workflow": {"name": name, "namespace": scheduler.namespace, "url": _link(scheduler, "workflows", name)},
    }


def job_definition(scheduler, job_definition_id: str, now: float | None = None) -> dict[str, Any]:
    """GET /argo-scheduler/job-definitions/{id}: one of this owner's job definitions and its schedule."""
    from datetime import datetime, timezone

    from sqlalchemy.exc import NoResultFound

    from .schedules import next_times

    try:
        definition = scheduler.get_job_definition(job_definition_id)
    except NoResultFound:
        raise NotFound(f"no job definition {job_definition_id}") from None
    name = scheduler.cron_name(definition) if definition.schedule else None
    next_runs: list[int] = []
    if definition.active and definition.schedule:
        after = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc)
        try:
            times = next_times(definition.schedule, definition.timezone or "UTC", after, NEXT_RUNS)
        except (ValueError, KeyError):
            times = []
        next_runs = [int(t.timestamp() * 1000) for t in times]
    return {
        "job_definition_id": definition.job_definition_id,
        "schedule": definition.schedule,
        "timezone": definition.timezone,
        "active": bool(definition.active),
        "options": _resolved_options(scheduler, definition, definition=True),
        "cron_workflow": {
            "name": name, "namespace": scheduler.namespace, "url": _link(scheduler, "cron-workflows", name),
        },
        "next_runs": next_runs,
    }
