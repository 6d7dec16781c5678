"""A job database that cannot be used, as the REST handlers meet it: one line naming the setting, no password.

jupyter-scheduler's handlers show a SchedulerError's message in the UI; a
driver's exception would show its SQL and, for some, the URL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from databases import free_port
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import ListJobsQuery

from argo_scheduler import ArgoScheduler
from argo_scheduler.environments import ArgoEnvironmentManager

PASSWORD = "pl4nted-pw"


def bad_database(kind: str, tmp_path: Path) -> tuple[str, str]:
    """A db_url of this kind, and what the message must say about it."""
    if kind == "parent-is-a-file":
        (tmp_path / "a-file").write_text("not a folder")
        return f"sqlite:///{tmp_path / 'a-file' / 'scheduler.sqlite'}", "the file cannot be opened"
    if kind == "not-sqlite":
        (tmp_path / "notes.sqlite").write_text("these are my notes, not a database\n" * 20)
        return f"sqlite:///{tmp_path / 'notes.sqlite'}", "not a sqlite database"
    if kind == "unknown-scheme":
        return f"mongodb://scheduler:{PASSWORD}@127.0.0.1/jobs", "not a kind of database"
    if kind == "not-a-url":
        return f"scheduler:{PASSWORD}@db.example.com", "is not a database URL"
    if kind == "unreachable-postgresql":
        return f"postgresql+psycopg://scheduler:{PASSWORD}@127.0.0.1:{free_port()}/jobs", "Connection refused"
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind", ["parent-is-a-file", "not-sqlite", "unknown-scheme", "not-a-url", "unreachable-postgresql", "locked"]
)
def test_the_ui_gets_one_line_naming_the_setting(tmp_path, kind):
    # GIVEN a server whose job database cannot be used
    holder = None
    if kind == "locked":
        # another process holds an exclusive lock on it
        db_url, reason = f"sqlite:///{tmp_path / 'locked.sqlite'}", "locked by another process"
        holder = sqlite3.connect(tmp_path / "locked.sqlite", isolation_level=None)
        holder.execute("CREATE TABLE other (x)")
        holder.execute("BEGIN EXCLUSIVE")
    else:
        db_url, reason = bad_database(kind, tmp_path)
    scheduler = ArgoScheduler(
        root_dir=str(tmp_path), environments_manager=ArgoEnvironmentManager(), db_url=db_url, engine="argo",
    )
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
