"""No secret in any output: a database password and a SLACK_TOKEN parameter, planted, then looked for everywhere.

Channels: every command's stdout and stderr (run, render, status, stop,
check; with --json and without), the rendered manifests, every row of the
database, the run's files and logs. Only the engine's secret store and Slack
may hold them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from support.fake_slack import FakeSlack

pytestmark = pytest.mark.slow

TOKEN = "xoxb-planted-7f3a9c"
UNKNOWN_JOB = "00000000-0000-0000-0000-000000000000"


def files_holding(root: Path, needle: str, skip: tuple[Path, ...]) -> list[Path]:
    return [p for p in root.rglob("*")
            if p.is_file() and not any(s in p.parents for s in skip) and needle.encode() in p.read_bytes()]


def database_text(db_url: str) -> str:
    """Every row of every table, as text."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return "\n".join(
                repr(row) for table in inspect(engine).get_table_names()
                for row in connection.execute(text(f'SELECT * FROM "{table}"'))
            )
    finally:
        engine.dispose()


def test_no_command_and_no_file_shows_the_database_password_or_a_slack_token(cli, postgres_url, postgres_cluster):
    # GIVEN the server's configuration: PostgreSQL with a password (the pod reads the URL from a Secret),
    # and the Slack notifier
    password = postgres_cluster.password
    state_dir = cli.home / "data" / "argo_scheduler" / "local"
    from argo_scheduler.engines.local import LocalEngine

    LocalEngine(state_dir=str(state_dir)).put_secret("scheduler-db", {"url": postgres_url})
    with FakeSlack(token=TOKEN) as slack:
        (cli.home / "config" / "jupyter_server_config.py").write_text(
            f"c.SchedulerApp.db_url = {postgres_url!r}\n"
            "c.ArgoScheduler.db_url_secret_name = 'scheduler-db'\n"
            "c.ArgoScheduler.notifiers = ['slack']\n"
            f"c.SlackNotifier.base_url = {slack.base_url!r}\n"
        )
        notebook = cli.notebook("parameters.ipynb")
        planted = ["-p", f"SLACK_TOKEN={TOKEN}", "-p", "SLACK_CHANNEL=#reports", "-p", "n=3"]
        # WHEN the user runs every command, with the token as a parameter where one is taken
        results = {
            "run": cli("run", notebook, *planted),
            "run --json": cli("run", notebook, *planted, "--json"),
            "render": cli("render", notebook, *planted),
            "render --schedule": cli("render", notebook, *planted, "--schedule", "0 6 * * *"),
            "check": cli("check", notebook, *planted),
            "check --json": cli("check", notebook, *planted, "--json"),
            "status unknown": cli("status", UNKNOWN_JOB),
            "status unknown --json": cli("status", UNKNOWN_JOB, "--json"),
            "stop unknown": cli("stop", UNKNOWN_JOB),
        }
        job_id = __import__("json").loads(results["run --json"].stdout)["job_id"]
        results["status"] = cli("status", job_id)
        results["status --json"] = cli("status", job_id, "--json")
        results["stop"] = cli("stop", job_id)
        # THEN the runs completed and Slack got the token: the secret went where it belongs
        assert '"status": "COMPLETED"' in results["run --json"].stdout, results["run --json"]
        assert results["run"].returncode == 0, results["run"].stdout + results["run"].stderr
        slack.wait_for("chat.postMessage", "files.completeUploadExternal")
        assert {c.token for c in slack.calls if c.method != "upload"} == {TOKEN}
    # AND the commands that render or check did, and those about an unknown job said so (with the URL masked)
    assert results["render"].returncode == 0 and "kind: Workflow" in results["render"].stdout
    assert "kind: CronWorkflow" in results["render --schedule"].stdout
    assert results["check"].returncode == 0, results["check"].stdout
    assert "no job" in results["status unknown"].stderr and ":***@" in results["status unknown"].stderr
    assert "no job" in results["stop unknown"].stderr and ":***@" in results["stop unknown"].stderr
    # AND no output of any command holds the password or the token
    for name, result in results.items():
        for secret in (password, TOKEN):
            assert secret not in result.stdout + result.stderr, f"{name} printed a secret:\n{result.stdout}{result.stderr}"
    # AND no database row holds either
    rows = database_text(postgres_url)
    assert job_id in rows and password not in rows and TOKEN not in rows
    # AND no file does — manifests, run state and step logs, staged notebooks and outputs — but the
    # secret store (and the configuration the test wrote the URL in)
    for secret in (password, TOKEN):
        assert files_holding(cli.home, secret, skip=(state_dir / "secrets", cli.home / "config")) == []
