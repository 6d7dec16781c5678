"""stop(): Argo's Stop — the step's whole process group ends, the exit handler still runs."""

from __future__ import annotations

import json
import textwrap

import psutil
import pytest

from argo_scheduler.engines.base import FAILED, SUCCEEDED, EngineError

pytestmark = pytest.mark.slow

# Starts a grandchild that sleeps, records both pids, then sleeps itself.
# With ignore_term, both ignore SIGTERM, so only SIGKILL after the grace ends them.
SLEEPER = textwrap.dedent("""
    import json, signal, subprocess, sys, time
    ignore = sys.argv[2] == "ignore-term"
    if ignore:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child_code = "import signal, sys, time\\n" + (
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n" if ignore else "") + "time.sleep(300)"
    child = subprocess.Popen([sys.executable, "-c", child_code])
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"step": __import__("os").getpid(), "grandchild": child.pid}, f)
    __import__("os").replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(300)
""")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("mode", ["obey-term", "ignore-term"], ids=["terminated", "killed-after-grace"])
def test_stop_mid_run_kills_the_group_and_runs_the_exit_handler(engine, wf, tmp_path, mode):
    # GIVEN a running step that has started a grandchild process
    pids_file, recorded = tmp_path / "pids.json", tmp_path / "recorded.json"
    manifest = wf.workflow(
        "nb-stop",
        [
            wf.python("run", SLEEPER, str(pids_file), mode),
            wf.failure_handler(),
            wf.python("record-failure", wf.WRITE_ARGV, str(recorded), "{{workflow.status}}", "{{workflow.failures}}"),
        ],
        on_exit="exit-handler",
    )
    engine.submit(manifest)
    pids = wf.wait_for(lambda: pids_file.exists() and json.loads(pids_file.read_text()), what="the step to start")
    # WHEN the run is stopped
    engine.stop("nb-stop")
    state = engine.wait("nb-stop")
    # THEN it failed with Argo's stop message
    assert state.phase == FAILED
    assert state.message == "Stopped with strategy 'Stop'"
    # AND the step and its grandchild are gone
    wf.wait_for(lambda: gone(pids["step"]) and gone(pids["grandchild"]), what="the processes to end")
    # AND the exit handler ran, told the run failed and which node was stopped
    status, failures = json.loads(recorded.read_text())
    assert status == "Failed"
    [failure] = json.loads(json.loads(failures))
    assert failure["displayName"] == "nb-stop"
    assert "Stop" in failure["message"]


def test_stop_before_the_first_step_still_runs_the_exit_handler(engine, wf, tmp_path):
    # GIVEN a run stopped right after submit, maybe before its runner started the step
    marker, recorded = tmp_path / "ran", tmp_path / "recorded.json"
    manifest = wf.workflow(
        "nb-stop-early",
        [
            wf.python("run", "import sys, time; time.sleep(30); open(sys.argv[1], 'w')", str(marker)),
            wf.failure_handler(),
            wf.python("record-failure", wf.WRITE_ARGV, str(recorded), "{{workflow.status}}"),
        ],
        on_exit="exit-handler",
    )
    engine.submit(manifest)
    # WHEN it is stopped at once
    engine.stop("nb-stop-early")
    state = engine.wait("nb-stop-early")
    # THEN the run failed as stopped, the step never completed, and the exit handler ran
    assert state.phase == FAILED and "Stopped" in state.message
    assert not marker.exists()
    assert json.loads(recorded.read_text()) == ["Failed"]


def test_stopping_a_finished_run_changes_nothing(engine, wf):
    # GIVEN a finished run
    engine.submit(wf.workflow("nb-done", [wf.python("run", "pass")]))
    assert engine.wait("nb-done").phase == SUCCEEDED
    # WHEN it is stopped
    engine.stop("nb-done")
    # THEN it is still a success
    assert engine.status(["nb-done"])["nb-done"].phase == SUCCEEDED
    assert not (engine.runs_dir / "nb-done" / "stop").exists()


def test_stopping_an_unknown_run_is_an_error(engine):
    with pytest.raises(EngineError, match="not found"):
        engine.stop("no-such-run")
