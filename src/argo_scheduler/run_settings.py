"""A job's timeouts and retries: read from its runtime_environment_parameters, defaults from config.

jupyter-scheduler carries `runtime_environment_parameters` from the UI's
form (an advanced-options extension fills it), the REST API and the CLI to
the job and job definition records. The UI sends text, so numbers arrive as
strings as often as as numbers. Pure: no I/O, so the scheduler can refuse a
bad value before it creates anything and the builder can render the same
decision (see docs/timeouts.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Mapping

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


def _whole_number(key: str, value: Any) -> int:
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
    limit = _LIMITS[key]
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
