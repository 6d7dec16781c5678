"""A job's run options: read from its runtime_environment_parameters, defaults from config.

Timeouts and retries (docs/timeouts.md), a job definition's concurrency
policy and starting deadline, and the job's notifications (which events,
and per-notifier targets such as a Slack channel).

jupyter-scheduler carries `runtime_environment_parameters` from the UI's
form (an advanced-options extension fills it), the REST API and the CLI to
the job and job definition records. The UI sends text, so numbers arrive as
strings as often as as numbers. Pure: no I/O, so the scheduler can refuse a
bad value before it creates anything and the builder can render the same
decision (see docs/timeouts.md). `check_options` is the one check every
submission and update passes, whoever sends it (REST, the CLI, the form).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Protocol

TIMEOUT_KEY = "timeout_seconds"
RETRIES_KEY = "retries"
BACKOFF_KEY = "retry_backoff_seconds"
CELL_TIMEOUT_KEY = "cell_timeout_seconds"
KEYS = (TIMEOUT_KEY, RETRIES_KEY, BACKOFF_KEY, CELL_TIMEOUT_KEY)

# Beyond these a value is a typo, not a wish: a month-long run, a retry storm.
MAX_SECONDS = 30 * 24 * 3600
MAX_RETRIES = 10
MAX_BACKOFF_FACTOR = 10

_INTEGER = re.compile(r"^[+-]?[0-9]+$")

_LIMITS = {
    TIMEOUT_KEY: MAX_SECONDS,
    RETRIES_KEY: MAX_RETRIES,
    BACKOFF_KEY: MAX_SECONDS,
    CELL_TIMEOUT_KEY: MAX_SECONDS,
}


class RunSettingsError(ValueError):
    """A timeout or retry setting the run cannot have; the message names the key and what is allowed."""


@dataclass(frozen=True)
class RunSettings:
    """0 means "none": no deadline, no retry, no wait between attempts, no per-cell limit.

    The defaults are ArgoScheduler's (its traits of the same names).
    """

    timeout_seconds: int = 0
    retries: int = 0
    retry_backoff_seconds: int = 10
    retry_backoff_factor: int = 2
    cell_timeout_seconds: int = 0

    def check(self) -> "RunSettings":
        """Itself, or RunSettingsError for a value out of range (config defaults are checked too)."""
        for key, limit in _LIMITS.items():
            value = getattr(self, key)
            if not 0 <= value <= limit:
                raise RunSettingsError(f"{key} must be between 0 and {limit}, got {value}")
        if not 1 <= self.retry_backoff_factor <= MAX_BACKOFF_FACTOR:
            raise RunSettingsError(
                f"retry_backoff_factor must be between 1 and {MAX_BACKOFF_FACTOR}, got {self.retry_backoff_factor}"
            )
        return self


def _whole_number(key: str, value: Any, limit: int | None = None) -> int:
    if isinstance(value, bool):
        raise RunSettingsError(f"{key} must be a whole number of {_unit(key)}, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _INTEGER.match(value.strip()):
        number = int(value.strip())
    else:
        raise RunSettingsError(f"{key} must be a whole number of {_unit(key)}, got {value!r}")
    limit = _LIMITS[key] if limit is None else limit
    if not 0 <= number <= limit:
        raise RunSettingsError(f"{key} must be between 0 and {limit} {_unit(key)}, got {number}")
    return number


def _unit(key: str) -> str:
    return "retries" if key == RETRIES_KEY else "seconds"


def resolve(parameters: Mapping[str, Any] | None, defaults: RunSettings) -> RunSettings:
    """The settings of one job: its own values where given, else the configured defaults.

    A key left empty (an untouched text field) takes the default; any other
    value must be a whole number in range, or RunSettingsError says which
    key is wrong and why.
    """
    given: dict[str, int] = {}
    for key in KEYS:
        value = (parameters or {}).get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        given[key] = _whole_number(key, value)
    return replace(defaults.check(), **given)


# ---- a job definition's schedule options ----------------------------------

CONCURRENCY_POLICY_KEY = "concurrency_policy"
STARTING_DEADLINE_KEY = "starting_deadline_seconds"
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
CRON_KEYS = (CONCURRENCY_POLICY_KEY, STARTING_DEADLINE_KEY)


@dataclass(frozen=True)
class CronSettings:
    """What a CronWorkflow does with a run due while the last one runs, and with a run it missed.

    `starting_deadline_seconds` 0 means none: a missed run starts however late.
    """

    concurrency_policy: str = "Allow"
    starting_deadline_seconds: int = 0

    def check(self) -> "CronSettings":
        if self.concurrency_policy not in CONCURRENCY_POLICIES:
            raise RunSettingsError(
                f"{CONCURRENCY_POLICY_KEY} must be one of {', '.join(CONCURRENCY_POLICIES)}, "
                f"got {self.concurrency_policy!r}"
            )
        if not 0 <= self.starting_deadline_seconds <= MAX_SECONDS:
            raise RunSettingsError(
                f"{STARTING_DEADLINE_KEY} must be between 0 and {MAX_SECONDS}, got {self.starting_deadline_seconds}"
            )
        return self


def _given(parameters: Mapping[str, Any] | None, key: str) -> Any:
    """The value of `key`, or None when absent or left empty."""
    value = (parameters or {}).get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def resolve_cron(parameters: Mapping[str, Any] | None, defaults: CronSettings) -> CronSettings:
    """The schedule options of one job definition: its own where given, else the configured defaults.

    Jobs may carry them too (a run of a definition copies its parameters);
    they are checked there alike and only CronWorkflows use them.
    """
    given: dict[str, Any] = {}
    policy = _given(parameters, CONCURRENCY_POLICY_KEY)
    if policy is not None:
        # Argo's spelling, whatever the case the client sent.
        spelled = {p.lower(): p for p in CONCURRENCY_POLICIES}.get(str(policy).strip().lower())
        if spelled is None or not isinstance(policy, str):
            raise RunSettingsError(
                f"{CONCURRENCY_POLICY_KEY} must be one of {', '.join(CONCURRENCY_POLICIES)}, got {policy!r}"
            )
        given[CONCURRENCY_POLICY_KEY] = spelled
    deadline = _given(parameters, STARTING_DEADLINE_KEY)
    if deadline is not None:
        given[STARTING_DEADLINE_KEY] = _whole_number(STARTING_DEADLINE_KEY, deadline, MAX_SECONDS)
    return replace(defaults.check(), **given)


# ---- notifications --------------------------------------------------------

NOTIFY_ON_KEY = "notify_on"
# Every per-job notification key starts so; one no configured notifier takes is refused.
NOTIFY_PREFIX = "notify_"
SUCCESS, FAILURE = "success", "failure"
EVENTS = (SUCCESS, FAILURE)
NO_EVENTS = "none"


class TargetTaker(Protocol):
    """What the check needs of a configured notifier (argo_scheduler.notifiers.base.Notifier)."""

    target_key: str | None
    target_parameter: str | None

    def check_target(self, value: str) -> str: ...


@dataclass(frozen=True)
class Notifications:
    """A job's notification choices.

    `events` None means each notifier's configured `events`; () means none.
    `targets` maps a notifier's name to the target the job gave it, checked.
    """

    events: tuple[str, ...] | None = None
    targets: Mapping[str, str] = field(default_factory=dict)


def parse_events(value: Any) -> tuple[str, ...] | None:
    """ "success,failure" -> ("success", "failure"); "none" -> (); "" or None -> None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    allowed = f'"{SUCCESS}", "{FAILURE}", "{SUCCESS},{FAILURE}" or "{NO_EVENTS}"'
    if not isinstance(value, str):
        raise RunSettingsError(f"{NOTIFY_ON_KEY} must be {allowed}, got {value!r}")
    words = [w.strip().lower() for w in value.split(",") if w.strip()]
    if words == [NO_EVENTS]:
        return ()
    if not words or any(w not in EVENTS for w in words):
        raise RunSettingsError(f"{NOTIFY_ON_KEY} must be {allowed}, got {value!r}")
    return tuple(e for e in EVENTS if e in words)


def resolve_notifications(
    parameters: Mapping[str, Any] | None,
    notifiers: Mapping[str, TargetTaker],
    installed_targets: Mapping[str, str] | None = None,
    job_parameters: Mapping[str, Any] | None = None,
) -> Notifications:
    """The job's notification choices, checked against the configured `notifiers` (name -> notifier).

    `installed_targets` (target key -> notifier name, of every installed
    notifier) only makes the message for a notifier that is installed but not
    configured say so. A job parameter that addresses a notifier's target
    (`target_parameter`, e.g. SLACK_CHANNEL) is checked like the target.
    """
    events = parse_events((parameters or {}).get(NOTIFY_ON_KEY))
    if events and not notifiers:
        raise RunSettingsError(
            f"{NOTIFY_ON_KEY}: this server has no notifier configured (c.ArgoScheduler.notifiers), "
            "so nobody would be told"
        )
    by_key = {n.target_key: name for name, n in notifiers.items() if n.target_key}
    targets: dict[str, str] = {}
    for key in sorted(parameters or {}):
        if not key.startswith(NOTIFY_PREFIX) or key == NOTIFY_ON_KEY:
            continue
        value = _given(parameters, key)
        if value is None:
            # Left empty (a form sends every field it shows): the notifier's own target.
            continue
        if key not in by_key:
            owner = (installed_targets or {}).get(key)
            why = (
                f"the {owner} notifier is not configured on this server"
                if owner
                else "no notifier takes it"
            )
            configured = ", ".join(sorted(by_key)) or "none"
            raise RunSettingsError(f"{key}: {why} (per-job targets here: {configured})")
        if not isinstance(value, str):
            raise RunSettingsError(f"{key} must be text, got {value!r}")
        name = by_key[key]
        try:
            targets[name] = notifiers[name].check_target(value.strip())
        except ValueError as e:
            raise RunSettingsError(f"{key}: {e}") from None
    for name, notifier in notifiers.items():
        parameter = notifier.target_parameter
        value = _given(job_parameters, parameter) if parameter else None
        if value is None:
            continue
        try:
            notifier.check_target(str(value).strip())
        except ValueError as e:
            raise RunSettingsError(f"parameter {parameter}: {e}") from None
    return Notifications(events=events, targets=targets)


# ---- all of them, once ----------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    run: RunSettings
    cron: CronSettings
    notifications: Notifications


def check_options(
    parameters: Mapping[str, Any] | None,
    *,
    run_defaults: RunSettings,
    cron_defaults: CronSettings,
    notifiers: Mapping[str, TargetTaker],
    installed_targets: Mapping[str, str] | None = None,
    job_parameters: Mapping[str, Any] | None = None,
) -> RunOptions:
    """Every run option of one job or job definition, or RunSettingsError naming the first bad one."""
    return RunOptions(
        run=resolve(parameters, run_defaults),
        cron=resolve_cron(parameters, cron_defaults),
        notifications=resolve_notifications(parameters, notifiers, installed_targets, job_parameters),
    )


def limits() -> dict[str, int]:
    """The largest value each numeric option takes."""
    return {**_LIMITS, STARTING_DEADLINE_KEY: MAX_SECONDS}
