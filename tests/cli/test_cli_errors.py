"""Bad databases and bad job input on the command line: one line naming what to fix, a documented exit status.

docs/cli.md: 2 for input the command refuses, 3 for a job database that
cannot be used; never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from databases import free_port

EXIT_USAGE, EXIT_DATABASE = 2, 3
SETTING = "c.SchedulerApp.db_url"
PLANTED_PASSWORD = "pl4nted-db-pw"
UNKNOWN_JOB = "00000000-0000-0000-0000-000000000000"


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def nothing_left(cli) -> None:
    assert cli.job_rows() == []
    assert not cli.staging.exists() or not any(cli.staging.iterdir())
    runs = cli.home / "data" / "argo_scheduler" / "local" / "runs"
    assert not runs.exists() or not any(runs.iterdir())


def bad_database(kind: str, home: Path) -> tuple[str, str]:
    """A --db-url of this kind, and what the message must say about it."""
    if kind == "parent-is-a-file":
        (home / "a-file").write_text("not a folder")
        return f"sqlite:///{home / 'a-file' / 'scheduler.sqlite'}", "is a file, not a folder"
    if kind == "not-sqlite":
        (home / "notes.sqlite").write_text("these are my notes, not a database\n" * 20)
        return f"sqlite:///{home / 'notes.sqlite'}", "not a sqlite database"
    if kind == "unknown-scheme":
        return f"mongodb://scheduler:{PLANTED_PASSWORD}@127.0.0.1/jobs", "not a kind of database"
    if kind == "not-a-url":
        return f"scheduler:{PLANTED_PASSWORD}@db.example.com", "is not a database URL"
    if kind == "unreachable-postgresql":
        # A port nothing listens on: the connection is refused at once.
        return (f"postgresql+psycopg://scheduler:{PLANTED_PASSWORD}@127.0.0.1:{free_port()}/jobs",
                "Connection refused")
    raise ValueError(kind)


DATABASE_KINDS = ["parent-is-a-file", "not-sqlite", "unknown-scheme", "not-a-url", "unreachable-postgresql"]


@pytest.mark.parametrize(
    "command, kind",
    [("status", kind) for kind in DATABASE_KINDS]
    # `run` renders and checks its manifest before it opens the database (a
    # URL with a password is refused there first: test_database_url_secret.py).
    + [("stop", "unreachable-postgresql"), ("run", "parent-is-a-file"), ("run", "not-sqlite")],
)
def test_a_database_that_cannot_be_used_is_one_line_naming_the_setting(cli, kind, command):
    # GIVEN a database URL that cannot work
    db_url, reason = bad_database(kind, cli.home)
    notebook = cli.notebook("parameters.ipynb")
    args = ["run", notebook] if command == "run" else [command, UNKNOWN_JOB]
    # WHEN a command needs the database
    result = cli(*args, "--db-url", db_url)
    # THEN it exits 3 with one line naming the setting and the cause, and no password
    assert result.returncode == EXIT_DATABASE, result.stderr
    line = one_line(result)
    assert SETTING in line and reason in line, line
    assert PLANTED_PASSWORD not in result.stderr + result.stdout
    # AND nothing was created
    nothing_left(cli)


def test_a_locked_database_is_a_short_bounded_wait_then_one_line(cli, tmp_path):
    # GIVEN a sqlite job database another process holds an exclusive lock on
    path = tmp_path / "locked.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE other (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # WHEN a command needs it (the test's own timeout bounds the wait: a 30 s wait and retries exceed it)
        result = cli("status", UNKNOWN_JOB, "--db-url", f"sqlite:///{path}", timeout=60)
    finally:
        holder.rollback()
        holder.close()
    # THEN one line says it is locked, naming the setting; exit 3
    assert result.returncode == EXIT_DATABASE, result.stderr
    line = one_line(result)
    assert SETTING in line and "locked by another process" in line, line


@pytest.mark.parametrize(
    "option, message",
    [
        (["-p", "class=2"], "parameter name 'class' is a Python keyword"),
        (["-p", "None=2"], "parameter name 'None' is a Python keyword"),
        (["--name", "n" * 300], "the name is 300 characters long; at most 256 fit"),
        (["-p", "SLACK_TOKEN=xoxb-planted-cli"], "parameter SLACK_TOKEN is a secret of the slack notifier"),
    ],
    ids=["keyword", "None", "long-name", "unread-secret"],
)
@pytest.mark.parametrize("command", ["run", "render", "check"])
def test_run_render_and_check_refuse_the_same_input_the_same_way(cli, command, option, message):
    # GIVEN a notebook, and input a submission refuses
    notebook = cli.notebook("parameters.ipynb")
    # WHEN it is run, rendered or checked
    result = cli(command, notebook, *option)
    # THEN each refuses it with the same message: run and render with one line and exit 2
    if command == "check":
        assert result.returncode == 1, result.stdout + result.stderr
        report = json.loads(cli(command, notebook, *option, "--json").stdout)
        [failed] = [c for c in report["checks"] if c["status"] == "failed"]
        assert failed["name"] == "input" and message in failed["message"], report
        assert "xoxb-planted-cli" not in result.stdout + result.stderr
    else:
        assert result.returncode == EXIT_USAGE, result.stderr
        assert message in one_line(result)
        assert result.stdout == ""
    # AND nothing was created
    nothing_left(cli)
