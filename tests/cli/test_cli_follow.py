"""`argo-scheduler run` and `status --follow` while they wait: a bar on a terminal, lines otherwise, JSON events."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_json_follow_is_one_object_per_event_then_the_result(cli):
    # GIVEN a notebook of several slow steps
    notebook = cli.notebook("steps.ipynb")
    # WHEN it is run with --json --follow
    result = cli("run", notebook, "-p", "pause=1", "--json", "--follow")
    # THEN stdout is JSON objects only: the status, the cells as they start, the final result
    assert result.returncode == 0, result.stderr
    seen = events(result.stdout)
    assert seen[0]["event"] == "status" and seen[0]["status"] == "IN_PROGRESS"
    cells = [e["cell"] for e in seen if e["event"] == "progress"]
    assert len(cells) >= 3 and cells == sorted(cells) and cells[-1] == 8
    assert all(e["cells"] == 8 for e in seen if e["event"] == "progress")
    final = seen[-1]
    assert final["event"] == "final" and final["status"] == "COMPLETED" and "ipynb" in final["outputs"]
    assert len({e["job_id"] for e in seen}) == 1


def test_a_failed_run_prints_the_logs_last_lines(cli):
    notebook = cli.notebook("divide_by_zero.ipynb")
    # WHEN a failing notebook is run, not on a terminal
    result = cli("run", notebook)
    # THEN it says why, and the run log's end shows where
    assert result.returncode == 1
    assert "ZeroDivisionError: division by zero (in cell In [2])" in result.stdout
    assert "lines of the run log" in result.stderr and "ZeroDivisionError" in result.stderr.split("run log", 1)[1]
    # AND with --json the result carries the log's end
    report = cli.json("run", notebook)
    assert report["status"] == "FAILED" and "Traceback" in report["log_tail"]


def test_status_follow_shows_plain_lines_off_a_terminal(cli):
    notebook = cli.notebook("steps.ipynb")
    job_id = cli.json("run", notebook, "--detach", "-p", "pause=1")["job_id"]
    # WHEN its status is followed
    result = cli("status", job_id, "--follow")
    # THEN plain progress lines went to stderr, the result to stdout, and it exited as the job ended
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if " cell " in line]
    assert lines and all(line.startswith(f"job {job_id}: cell ") and " of 8, " in line for line in lines)
    assert "\r" not in result.stderr
    assert result.stdout.startswith(f"job {job_id}: COMPLETED")


def test_a_terminal_gets_a_progress_bar(cli):
    notebook = cli.notebook("steps.ipynb")
    # GIVEN the command's stderr is a terminal
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "argo_scheduler.cli", "run", str(notebook), "-p", "pause=0.7"],
        env=cli.env, cwd=cli.home / "work", stdout=subprocess.PIPE, stderr=follower, text=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout, _ = proc.communicate(timeout=240)
    os.close(leader)
    terminal = b"".join(chunks).decode()
    # THEN the bar was redrawn in place up to the last cell, and the result is on stdout
    assert proc.returncode == 0, terminal
    assert "\r[" in terminal and "cell 8/8" in terminal and "[" + "#" * 20 + "]" in terminal
    assert "COMPLETED" in stdout


def test_the_local_engine_tells_a_waiter_when_the_run_ends(cli):
    from argo_scheduler.engines.local import LocalEngine
    from argo_scheduler.workflow import job_workflow_name

    notebook = cli.notebook("steps.ipynb")
    job_id = cli.json("run", notebook, "--detach", "-p", "pause=0.5")["job_id"]
    engine = LocalEngine(state_dir=str(cli.home / "data" / "argo_scheduler" / "local"))
    name = job_workflow_name("steps.ipynb", job_id)
    # WHEN one waits for its end far longer than it takes
    engine.wait_for_end(name, timeout=600)
    # THEN the wait returned because the run is over
    assert engine.status([name])[name].done
