"""status() of many runs at once, by name or label selector; delete() of one run only."""

from __future__ import annotations

import json
import time

import psutil
import pytest

from argo_scheduler.engines.base import SUCCEEDED, EngineError

pytestmark = pytest.mark.slow


def submit_three(engine, wf) -> None:
    for job_id in ("a", "b", "c"):
        labels = {"argo-scheduler/job-id": job_id}
        if job_id != "c":
            labels["argo-scheduler/job-definition-id"] = "def1"
        engine.submit(wf.workflow(f"nb-{job_id}", [wf.python("run", "pass")], labels=labels))
    for job_id in ("a", "b", "c"):
        assert engine.wait(f"nb-{job_id}").phase == SUCCEEDED


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("argo-scheduler/job-id=b,app.kubernetes.io/managed-by=argo-scheduler", {"nb-b"}),
        ("argo-scheduler/job-definition-id=def1", {"nb-a", "nb-b"}),
        ("argo-scheduler/job-id in (a,c)", {"nb-a", "nb-c"}),
        ("!argo-scheduler/job-definition-id", {"nb-c"}),
        ("app.kubernetes.io/managed-by=someone-else", set()),
        (None, {"nb-a", "nb-b", "nb-c"}),
    ],
    ids=["job-id-and-managed-by", "definition", "set-based", "not-exists", "none-match", "all"],
)
def test_status_by_label_selector(engine, wf, selector, expected):
    # GIVEN three finished runs with different labels
    submit_three(engine, wf)
    # WHEN status is asked with a label selector
    states = engine.status(label_selector=selector)
    # THEN exactly the matching runs come back, with their labels
    assert set(states) == expected
    for name, state in states.items():
        assert state.name == name and state.labels["argo-scheduler/job-id"] == name[-1]


def test_status_by_names_leaves_out_unknown_ones(engine, wf):
    submit_three(engine, wf)
    states = engine.status(["nb-a", "nb-c", "nb-zzz", "../etc"])
    assert set(states) == {"nb-a", "nb-c"}
    assert engine.status(["nb-a", "nb-b"], label_selector="argo-scheduler/job-id=b").keys() == {"nb-b"}


def test_an_invalid_selector_is_an_engine_error(engine):
    with pytest.raises(EngineError, match="label selector"):
        engine.status(label_selector="a in b")


def test_delete_removes_only_that_runs_state(engine, wf):
    # GIVEN three finished runs
    submit_three(engine, wf)
    # WHEN one is deleted
    engine.delete("nb-b")
    # THEN its directory is gone and the others are untouched
    assert not (engine.runs_dir / "nb-b").exists()
    assert set(engine.status()) == {"nb-a", "nb-c"}
    assert (engine.runs_dir / "nb-a" / "state.json").exists()
    # AND the name is free again
    engine.submit(wf.workflow("nb-b", [wf.python("run", "pass")]))
    assert engine.wait("nb-b").phase == SUCCEEDED


def test_delete_of_a_running_run_ends_it_without_the_exit_handler(engine, wf, tmp_path):
    # GIVEN a running step and an exit handler that would leave a file
    pid_file, handler_ran = tmp_path / "pid", tmp_path / "handler-ran"
    manifest = wf.workflow(
        "nb-running",
        [
            wf.python("run", "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(300)",
                      str(pid_file)),
            wf.python("bye", "import sys; open(sys.argv[1], 'w')", str(handler_ran)),
        ],
        on_exit="bye",
    )
    engine.submit(manifest)
    step_pid = int(wf.wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the step to start"))
    runner_pid = json.loads((engine.runs_dir / "nb-running" / "runner.json").read_text())["pid"]
    # WHEN it is deleted
    engine.delete("nb-running")
    # THEN the step and the runner have ended, the state is gone, the exit handler never ran
    for pid in (step_pid, runner_pid):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not (engine.runs_dir / "nb-running").exists()
    assert not handler_ran.exists()


def test_deleting_an_unknown_run_is_an_error(engine):
    with pytest.raises(EngineError, match="not found"):
        engine.delete("no-such-run")


def test_a_finished_run_past_its_time_to_live_is_gone(engine, wf):
    # GIVEN a run kept one second after it ends, and one kept a day
    for name, seconds in (("nb-short", 1), ("nb-long", 86400)):
        manifest = wf.workflow(name, [wf.python("run", "pass")])
        manifest["spec"]["ttlStrategy"] = {"secondsAfterCompletion": seconds}
        manifest["spec"]["podGC"] = {"strategy": "OnPodSuccess"}
        engine.submit(manifest)
        assert engine.wait(name).phase == SUCCEEDED
    finished = engine.status(["nb-short"])["nb-short"].finished_at
    # WHEN the engine is asked after the short one's second is up
    time.sleep(max(0.0, (finished + 1100) / 1000 - time.time()))
    states = engine.status()
    # THEN it is gone, folder and all, as Argo's TTL controller deletes it; the other stays
    assert set(states) == {"nb-long"}
    assert not (engine.runs_dir / "nb-short").exists()
