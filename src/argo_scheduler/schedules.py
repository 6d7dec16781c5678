"""Cron schedules and time zones as Argo reads them (robfig/cron, IANA zones).

One check for the builder (before anything is created) and the local engine
(which fires them), so a schedule means the same on every engine.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

# robfig/cron's predefined schedules, which Argo accepts.
DESCRIPTORS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
# One comma-separated item of a field as robfig/cron reads it: croniter
# alone would also take `L`, `W` and `#`, which Argo refuses.
_FIELD_ITEM = re.compile(r"^(\*|[0-9]+|[A-Za-z]{3})(-([0-9]+|[A-Za-z]{3}))?(/[0-9]+)?$")


def expand(schedule: str) -> str:
    """The five fields of a schedule, Argo's descriptors (@daily, …) included."""
    return DESCRIPTORS.get(schedule.strip().lower(), schedule.strip())


def check_schedule(schedule: object) -> str:
    """The five-field expression of `schedule`; ValueError saying how to write it otherwise."""
    from croniter import CroniterBadDateError, croniter

    if not isinstance(schedule, str) or not schedule.strip():
        raise ValueError(f"{schedule!r} is not a cron schedule string")
    expression = expand(schedule)
    fields = expression.split()
    if (
        len(fields) != 5
        or not all(_FIELD_ITEM.match(item) for field in fields for item in field.split(","))
        or not croniter.is_valid(expression)
    ):
        raise ValueError(
            f"{schedule!r} is not a valid cron schedule; use five fields 'minute hour day-of-month "
            "month day-of-week', e.g. '0 6 * * 1-5', or one of " + ", ".join(DESCRIPTORS)
        )
    try:
        croniter(expression, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError(f"{schedule!r} never fires (no such date)") from None
    return expression


def check_timezone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not a time zone name")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone; use an IANA name such as 'Europe/Paris'") from None
    return value


def next_times(schedule: str, timezone_name: str, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` instants (UTC, after `after`) at which `schedule` fires in `timezone_name`.

    Read as Argo's cron library reads it, on the wall clock of the zone: a
    time a spring clock change skips does not fire that day, one an autumn
    change repeats fires at both instants (as the local engine fires them).
    """
    from datetime import timedelta, timezone

    from croniter import CroniterBadDateError, croniter

    tz = zoneinfo.ZoneInfo(timezone_name)
    if after.tzinfo is None:
        raise ValueError("after must be a timezone-aware datetime")
    # Started an hour early on the wall clock: an autumn repeat may put the
    # next instant on a wall time before `after`'s.
    wall = (after.astimezone(tz) - timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)
    times = croniter(expand(schedule), wall)
    found: list[datetime] = []
    for _ in range(count * 10 + 100):
        try:
            candidate = times.get_next(datetime)
        except CroniterBadDateError:
            break
        for fold in (0, 1):
            instant = candidate.replace(tzinfo=tz, fold=fold).astimezone(timezone.utc)
            if instant.astimezone(tz).replace(tzinfo=None) != candidate:
                continue  # in a spring gap: this wall time never happens
            if instant > after and instant not in found:
                found.append(instant)
        if len(found) >= count:
            break
    return sorted(found)[:count]
