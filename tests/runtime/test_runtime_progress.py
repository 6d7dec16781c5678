"""The run's progress file (cell i of N, since when) and each attempt's outcome, as the runtime leaves them."""

from __future__ import annotations

import json
import threading
import time

import pytest
from runtime_helpers import create_job_like_the_server, definition_spec, new_uid

from argo_scheduler.runtime import progress, run_job
from argo_scheduler.runtime.attempts import NO_OUTCOME, Attempt, summary


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite"])
def test_a_run_writes_its_progress_cell_by_cell(db_url, staging):
    # GIVEN a job of six code cells that each take a moment
    spec = create_job_like_the_server(
        definition_spec("steps.ipynb", staging, db_url, parameters={"pause": "0.4"}), db_url
    )
    folder = staging / spec.job_id
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            data = progress.read(str(folder))
            if data and (not seen or seen[-1] != (data["cell"], data["cells"])):
                seen.append((data["cell"], data["cells"]))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    # WHEN the pod runs it
    try:
        result = run_job(spec, workflow_name="wf", workflow_uid=new_uid())
    finally:
        done.set()
        watcher.join()
    assert result.status.value == "COMPLETED"
    # THEN a reader saw the cell count climb, one file at a time, never a half-written one
    cells = seen[-1][1]
    assert cells == 8  # papermill's count: the markdown, the parameters, the injected parameters, five steps
    assert [cell for cell, _ in seen] == sorted(cell for cell, _ in seen) and len(seen) >= 4
    # AND at the end: the last cell, finished, with how long it took
    final = progress.read(str(folder))
    assert (final["cell"], final["cells"], final["attempt"]) == (cells, cells, 1)
    assert final["finished_at"] >= final["started_at"]
    assert progress.summary(final)["elapsed_seconds"] >= 5 * 0.4 - 0.1
    # AND no temporary file is left beside it
    assert [p.name for p in folder.iterdir() if p.name.startswith(progress.PROGRESS_FILE)] == [progress.PROGRESS_FILE]


def test_a_reader_tolerates_no_file_and_a_broken_one(tmp_path):
    assert progress.read(str(tmp_path)) is None
    (tmp_path / progress.PROGRESS_FILE).write_text("{not json")
    assert progress.read(str(tmp_path)) is None
    (tmp_path / progress.PROGRESS_FILE).write_text(json.dumps({"cell": "3"}))
    assert progress.read(str(tmp_path)) is None


def test_progress_that_cannot_be_written_costs_only_the_progress(tmp_path):
    tracker = progress.Progress(str(tmp_path / "missing"))
    tracker.start(3)
    tracker.cell(0, 3)
    assert progress.read(str(tmp_path / "missing")) is None


def write_outcomes(folder, outcomes: dict) -> None:
    (folder / ".argo-scheduler-attempts.json").write_text(json.dumps({str(k): v for k, v in outcomes.items()}))


@pytest.mark.parametrize(
    ("outcomes", "status", "message", "current", "expected"),
    [
        ({}, "QUEUED", None, None, []),
        ({}, "IN_PROGRESS", None, 1, [(1, "running", None)]),
        ({}, "COMPLETED", None, 1, [(1, "succeeded", None)]),
        ({}, "FAILED", "ZeroDivisionError: x", 1, [(1, "failed", "ZeroDivisionError: x")]),
        ({1: "ZeroDivisionError: x"}, "IN_PROGRESS", "attempt 1 of 3 failed: …; retrying", 1,
         [(1, "failed", "ZeroDivisionError: x")]),
        ({1: "ZeroDivisionError: x"}, "IN_PROGRESS", "attempt 2 of 3 running", 2,
         [(1, "failed", "ZeroDivisionError: x"), (2, "running", None)]),
        ({1: "ZeroDivisionError: x", 2: "succeeded"}, "COMPLETED", "attempt 2 of 3 succeeded; …", 2,
         [(1, "failed", "ZeroDivisionError: x"), (2, "succeeded", None)]),
        ({2: "ZeroDivisionError: x"}, "FAILED", "timed out after 60 s", 3,
         [(1, "failed", NO_OUTCOME), (2, "failed", "ZeroDivisionError: x"), (3, "failed", "timed out after 60 s")]),
    ],
    ids=["not-started", "running", "completed", "failed", "between-attempts", "second-running", "second-succeeded",
         "lost-and-timed-out"],
)
def test_each_attempts_outcome_comes_from_what_the_runtime_recorded(tmp_path, outcomes, status, message, current, expected):
    write_outcomes(tmp_path, outcomes)
    got = summary(str(tmp_path), status, message, current)
    assert [(a["attempt"], a["status"], a["message"]) for a in got] == expected


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite"])
def test_a_retried_runs_attempts_read_back_as_they_ended(db_url, staging):
    # GIVEN a notebook that fails on its first attempt and succeeds on its second, run as Argo would retry it
    spec = create_job_like_the_server(
        definition_spec("fails_first_time.ipynb", staging, db_url, parameters={"marker": str(staging / "marker")}),
        db_url,
    )
    uid = new_uid()
    run_job(spec, workflow_name="wf", workflow_uid=uid, attempt=Attempt(1, 3))
    final = run_job(spec, workflow_name="wf", workflow_uid=uid, attempt=Attempt(2, 3))
    folder = str(staging / spec.job_id)
    # THEN the summary says attempt 1 failed (why) and attempt 2 succeeded, and the progress names attempt 2
    current = progress.read(folder)["attempt"]
    attempts = summary(folder, final.status.value, final.status_message, current)
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, "failed"), (2, "succeeded")]
    assert attempts[0]["message"].startswith("ZeroDivisionError")
