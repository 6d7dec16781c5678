"""When a cron is due: a pure function of (schedules, timezone, since, now) — the clock is injected."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from argo_scheduler.engines.local import cron as local_cron
from argo_scheduler.engines.local.cron import latest_due


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=timezone.utc)


def fired(schedule: str, tz: str, start: datetime, end: datetime, poll: timedelta = timedelta(minutes=5)) -> list[str]:
    """What an agent polling every `poll` from `start` to `end` fires (each time it fires becomes `since`).

    The calendars below have at least 30 minutes between two times, so a
    5-minute poll sees each of them.
    """
    times, since, now = [], start, start
    while now < end:
        now += poll
        due = latest_due([schedule], tz, since, now)
        if due is not None:
            times.append(due.strftime("%Y-%m-%dT%H:%MZ"))
            since = due
    return times


CALENDARS = {
    # A fixed local time stays fixed as the offset changes: 05:00Z in winter, 04:00Z in summer.
    "paris-spring-keeps-06:00-local": (
        "0 6 * * *", "Europe/Paris", utc(2024, 3, 29, 12), utc(2024, 4, 1, 12),
        ["2024-03-30T05:00Z", "2024-03-31T04:00Z", "2024-04-01T04:00Z"],
    ),
    "new-york-spring-keeps-09:00-local": (
        "0 9 * * *", "America/New_York", utc(2024, 3, 9, 0), utc(2024, 3, 11, 0),
        ["2024-03-09T14:00Z", "2024-03-10T13:00Z"],
    ),
    # As Argo's cron library: 02:30 does not exist on the spring day, so it does not fire that day ...
    "paris-spring-skips-the-missing-02:30": (
        "30 2 * * *", "Europe/Paris", utc(2024, 3, 29, 12), utc(2024, 4, 1, 12),
        ["2024-03-30T01:30Z", "2024-04-01T00:30Z"],
    ),
    # ... and 02:30 happens twice on the autumn day, so it fires at both instants.
    "paris-autumn-fires-the-repeated-02:30-twice": (
        "30 2 * * *", "Europe/Paris", utc(2024, 10, 26, 12), utc(2024, 10, 28, 12),
        ["2024-10-27T00:30Z", "2024-10-27T01:30Z", "2024-10-28T01:30Z"],
    ),
    # Every 30 minutes stays every 30 minutes of real time through the repeated hour.
    "paris-autumn-half-hourly-never-pauses": (
        "*/30 * * * *", "Europe/Paris", utc(2024, 10, 26, 23, 10), utc(2024, 10, 27, 2, 10),
        ["2024-10-26T23:30Z", "2024-10-27T00:00Z", "2024-10-27T00:30Z", "2024-10-27T01:00Z",
         "2024-10-27T01:30Z", "2024-10-27T02:00Z"],
    ),
    "tokyo-morning-is-the-previous-utc-day": (
        "0 6 * * *", "Asia/Tokyo", utc(2024, 5, 1, 0), utc(2024, 5, 2, 0),
        ["2024-05-01T21:00Z"],
    ),
    "weekdays-only": (
        "0 6 * * 1-5", "UTC", utc(2026, 11, 20, 0), utc(2026, 11, 24, 0),  # Friday to Tuesday
        ["2026-11-20T06:00Z", "2026-11-23T06:00Z"],
    ),
}


@pytest.mark.parametrize("schedule, tz, start, end, expected", CALENDARS.values(), ids=CALENDARS.keys())
def test_schedules_are_evaluated_on_the_wall_clock_of_their_timezone(schedule, tz, start, end, expected):
    # GIVEN a schedule in a timezone WHEN an agent polls through [start, end] THEN it fires exactly these
    assert fired(schedule, tz, start, end) == expected


def test_missed_times_fire_once_the_latest():
    # GIVEN a cron last handled at midnight WHEN the agent comes back at 10:17:30
    due = latest_due(["*/5 * * * *"], "UTC", since=utc(2024, 1, 1, 0, 0), now=utc(2024, 1, 1, 10, 17, 30))
    # THEN only the latest missed time is due, once
    assert due == utc(2024, 1, 1, 10, 15)
    assert latest_due(["*/5 * * * *"], "UTC", since=due, now=utc(2024, 1, 1, 10, 19, 59)) is None


@pytest.mark.parametrize(
    "now, expected",
    [
        (utc(2024, 1, 1, 10, 19, 59), None),
        (utc(2024, 1, 1, 10, 20, 0), utc(2024, 1, 1, 10, 20)),
    ],
    ids=["before-the-first-time", "exactly-at-the-first-time"],
)
def test_nothing_before_creation_fires(now, expected):
    # GIVEN a cron created at 10:17:30 with a time at 10:15 just before it
    created = utc(2024, 1, 1, 10, 17, 30)
    # THEN 10:15 never fires, and 10:20 fires from 10:20:00 on
    assert latest_due(["*/5 * * * *", "15 10 * * *"], "UTC", since=created, now=now) == expected


def test_the_latest_of_several_schedules_wins():
    due = latest_due(["0 6 * * *", "0 18 * * *"], "UTC", since=utc(2024, 1, 1), now=utc(2024, 1, 2, 20))
    assert due == utc(2024, 1, 2, 18)


def test_a_yearly_schedule_finds_last_years_time():
    due = latest_due(["@yearly"], "Europe/Paris", since=utc(2020, 1, 1), now=utc(2024, 6, 1))
    assert due == utc(2023, 12, 31, 23)  # 1 January 00:00 in Paris


@pytest.mark.parametrize(
    "late_by, past",
    [(timedelta(seconds=0), False), (timedelta(seconds=300), False), (timedelta(seconds=301), True)],
    ids=["on-time", "at-the-deadline", "past-the-deadline"],
)
def test_starting_deadline(wf, late_by, past):
    plan = local_cron.parse(wf.cron("c", [wf.python("run", "pass")], startingDeadlineSeconds=300))
    scheduled = utc(2024, 1, 1, 10)
    assert local_cron.past_deadline(plan, scheduled, scheduled + late_by) is past


def test_no_starting_deadline_means_never_too_late(wf):
    plan = local_cron.parse(wf.cron("c", [wf.python("run", "pass")]))
    assert not local_cron.past_deadline(plan, utc(2020, 1, 1), utc(2024, 1, 1))


def test_times_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_due(["* * * * *"], "UTC", since=datetime(2024, 1, 1), now=utc(2024, 1, 2))
