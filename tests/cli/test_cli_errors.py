"""Bad databases and bad job input on the command line: one line naming what to fix, a documented exit status.

docs/cli.md: 2 for input the command refuses, 3 for a job database that
cannot be used; never a traceback.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from support.databases import UNUSABLE_DATABASES, unusable_database_url

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


# What the line says of each (the CLI makes a sqlite file's folder itself, so it finds a file there first).
REASONS = {
    "parent-is-a-file": "is a file, not a folder",
    "not-sqlite": "not a sqlite database",
    "unknown-scheme": "not a kind of database",
    "not-a-url": "is not a database URL",
    "unreachable-postgresql": "Connection refused",
}


@pytest.mark.parametrize(
    "command, kind",
    [("status", kind) for kind in UNUSABLE_DATABASES]
    # `run` renders and checks its manifest before it opens the database (a
    # URL with a password is refused there first: test_database_url_secret.py).
    + [("stop", "unreachable-postgresql"), ("run", "parent-is-a-file"), ("run", "not-sqlite")],
)
def test_a_database_that_cannot_be_used_is_one_line_naming_the_setting(cli, kind, command):
    # GIVEN a database URL that cannot work
    db_url, reason = unusable_database_url(kind, cli.home, PLANTED_PASSWORD), REASONS[kind]
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


def test_an_unknown_engine_is_one_line_listing_the_installed_ones(cli):
    # GIVEN a notebook
    notebook = cli.notebook("parameters.ipynb")
    # WHEN it is run on an engine no distribution registers
    result = cli("run", notebook, "--engine", "no-such-engine")
    # THEN one line says so, lists what is installed (built-ins and the outside plugin's), and nothing is created
    assert result.returncode == EXIT_USAGE, result.stderr
    line = one_line(result)
    assert "no engine named 'no-such-engine' is installed" in line
    assert "argo, kubernetes, local, team-local" in line
    nothing_left(cli)
