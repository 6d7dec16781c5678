"""spec.activeDeadlineSeconds and retryStrategy on the local engine: Argo's nodes, phases and messages."""

from __future__ import annotations

import json
import textwrap

import psutil
import pytest

from argo_scheduler.engines.base import FAILED, SUCCEEDED

pytestmark = pytest.mark.slow

# Records its pid and a grandchild's, then sleeps: a run still going at its deadline.
SLEEPER = textwrap.dedent("""
    import json, os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(sys.argv[1] + ".tmp", "w") as f:
        json.dump({"step": os.getpid(), "grandchild": child.pid}, f)
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    time.sleep(300)
""")

# Appends its retry number to a file; fails (exit 1) until the marker file exists, creating it.
FLAKY = textwrap.dedent("""
    import os, sys
    marker, seen, retry = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(seen, "a") as f:
        f.write(retry + "\\n")
    if not os.path.exists(marker):
        open(marker, "w").close()
        sys.exit(1)
""")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def recorder(wf, path) -> dict:
    return wf.python("record-failure", wf.WRITE_ARGV, str(path), "{{workflow.status}}", "{{workflow.failures}}")


def nodes_of(engine, name: str) -> dict[str, dict]:
    return {n["displayName"]: n for n in engine.record(name)["nodes"].values()}


def test_the_deadline_kills_the_group_and_the_exit_handler_still_runs(engine, wf, tmp_path):
    # GIVEN a run that sleeps well past its workflow deadline
    pids_file, recorded = tmp_path / "pids.json", tmp_path / "recorded.json"
    manifest = wf.workflow(
        "nb-deadline",
        [wf.python("run", SLEEPER, str(pids_file)), wf.failure_handler(), recorder(wf, recorded)],
        on_exit="exit-handler",
    )
    manifest["spec"]["activeDeadlineSeconds"] = 2
    # WHEN it runs
    engine.submit(manifest)
    pids = wf.wait_for(lambda: pids_file.exists() and json.loads(pids_file.read_text()), what="the step to start")
    state = engine.wait("nb-deadline")
    # THEN it failed with Argo's deadline message, its processes gone
    assert (state.phase, state.message) == (FAILED, "Step exceeded its deadline")
    wf.wait_for(lambda: gone(pids["step"]) and gone(pids["grandchild"]), what="the processes to end")
    # AND the exit handler, exempt from the deadline, ran and was told why
    status, failures = json.loads(recorded.read_text())
    assert status == "Failed"
    [failure] = json.loads(json.loads(failures))
    assert failure["message"] == "Step exceeded its deadline"
    assert nodes_of(engine, "nb-deadline")["record-failure"]["phase"] == SUCCEEDED


def retried_workflow(wf, tmp_path, name: str, retry_strategy: dict) -> dict:
    marker, seen = tmp_path / "marker", tmp_path / "seen"
    run = wf.python("run", FLAKY, str(marker), str(seen), "{{retries}}")
    run["retryStrategy"] = retry_strategy
    return wf.workflow(name, [run])


def test_a_failed_attempt_is_retried_with_its_retry_number(engine, wf, tmp_path):
    # GIVEN a run that fails on its first attempt only, with two retries
    manifest = retried_workflow(wf, tmp_path, "nb-retry", {"limit": 2, "retryPolicy": "Always"})
    # WHEN it runs
    engine.submit(manifest)
    state = engine.wait("nb-retry")
    # THEN it succeeded on the second attempt, each told its retry number
    assert state.phase == SUCCEEDED, engine.logs("nb-retry")
    assert (tmp_path / "seen").read_text().split() == ["0", "1"]
    # AND the nodes are Argo's: a Retry node and one Pod node per attempt
    nodes = nodes_of(engine, "nb-retry")
    assert nodes["nb-retry"]["type"] == "Retry" and nodes["nb-retry"]["phase"] == SUCCEEDED
    assert (nodes["nb-retry(0)"]["phase"], nodes["nb-retry(0)"]["message"]) == (FAILED, "Error (exit code 1)")
    assert nodes["nb-retry(1)"]["phase"] == SUCCEEDED
    assert len(nodes["nb-retry"]["children"]) == 2


@pytest.mark.parametrize(
    ("retry_strategy", "attempts", "message"),
    [
        ({"limit": 0}, 1, "No more retries left"),
        ({"limit": 1, "retryPolicy": "OnError"}, 1, "Error (exit code 1)"),
    ],
    ids=["limit-reached", "policy-does-not-retry-failures"],
)
def test_a_run_is_not_retried_beyond_its_strategy(engine, wf, tmp_path, retry_strategy, attempts, message):
    # GIVEN a run that fails on its first attempt, and a strategy that allows no retry of it
    engine.submit(retried_workflow(wf, tmp_path, "nb-no-retry", retry_strategy))
    # WHEN it runs
    state = engine.wait("nb-no-retry")
    # THEN it failed after its one attempt, the Retry node saying why in Argo's words
    assert state.phase == FAILED
    assert (tmp_path / "seen").read_text().split() == [str(n) for n in range(attempts)]
    assert nodes_of(engine, "nb-no-retry")["nb-no-retry"]["message"] == message


def test_the_deadline_ends_the_wait_between_attempts(engine, wf, tmp_path):
    # GIVEN a failing first attempt, a long backoff and a deadline that falls inside it
    manifest = retried_workflow(
        wf, tmp_path, "nb-backoff", {"limit": 3, "retryPolicy": "Always", "backoff": {"duration": "120", "factor": 2}}
    )
    manifest["spec"]["activeDeadlineSeconds"] = 2
    # WHEN it runs
    engine.submit(manifest)
    state = engine.wait("nb-backoff")
    # THEN no second attempt started and the run failed with the deadline message
    assert (tmp_path / "seen").read_text().split() == ["0"]
    assert (state.phase, state.message) == (FAILED, "Step exceeded its deadline")


def test_a_stop_during_the_backoff_starts_no_further_attempt(engine, wf, tmp_path):
    # GIVEN a failing first attempt waiting out a long backoff
    engine.submit(retried_workflow(
        wf, tmp_path, "nb-stop-backoff", {"limit": 3, "retryPolicy": "Always", "backoff": {"duration": "120"}}
    ))
    wf.wait_for(lambda: (tmp_path / "marker").exists(), what="the first attempt")
    wf.wait_for(
        lambda: nodes_of(engine, "nb-stop-backoff").get("nb-stop-backoff(0)", {}).get("phase") == FAILED,
        what="the first attempt to fail",
    )
    # WHEN the run is stopped
    engine.stop("nb-stop-backoff")
    state = engine.wait("nb-stop-backoff")
    # THEN it ended as stopped, after its one attempt
    assert (state.phase, state.message) == (FAILED, "Stopped with strategy 'Stop'")
    assert (tmp_path / "seen").read_text().split() == ["0"]
