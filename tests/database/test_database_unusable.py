"""A job database that cannot be used, as the REST handlers meet it: one line naming the setting, no password.

jupyter-scheduler's handlers show a SchedulerError's message in the UI; a
driver's exception would show its SQL and, for some, the URL.
"""

from __future__ import annotations

import sqlite3

import pytest
from support.databases import UNUSABLE_DATABASES, unusable_database_url
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import ListJobsQuery

PASSWORD = "pl4nted-pw"


REASONS = {
    "parent-is-a-file": "the file cannot be opened",
    "not-sqlite": "not a sqlite database",
    "unknown-scheme": "not a kind of database",
    "not-a-url": "is not a database URL",
    "unreachable-postgresql": "Connection refused",
    "locked": "locked by another process",
}


@pytest.mark.parametrize("kind", [*UNUSABLE_DATABASES, "locked"])
def test_the_ui_gets_one_line_naming_the_setting(make_scheduler, tmp_path, kind):
    # GIVEN a server whose job database cannot be used
    holder = None
    if kind == "locked":
        # another process holds an exclusive lock on it
        db_url = f"sqlite:///{tmp_path / 'locked.sqlite'}"
        holder = sqlite3.connect(tmp_path / "locked.sqlite", isolation_level=None)
        holder.execute("CREATE TABLE other (x)")
        holder.execute("BEGIN EXCLUSIVE")
    else:
        db_url = unusable_database_url(kind, tmp_path, PASSWORD)
    reason = REASONS[kind]
    scheduler = make_scheduler(engine="argo", db_url=db_url)
    # WHEN the UI lists jobs
    try:
        with pytest.raises(SchedulerError) as caught:
            scheduler.list_jobs(ListJobsQuery())
    finally:
        if holder is not None:
            holder.rollback()
            holder.close()
    # THEN the message is one line naming the setting and the cause, with no password
    message = str(caught.value)
    assert "\n" not in message and "c.SchedulerApp.db_url" in message and reason in message, message
    assert PASSWORD not in message
