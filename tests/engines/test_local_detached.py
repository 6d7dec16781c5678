"""A local run outlives the process that submitted it, and a lost runner is reported."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest

from argo_scheduler.engines.base import ERROR, SUCCEEDED

pytestmark = pytest.mark.slow

# A separate submitter: submit, print the name, then exit or wait to be killed.
SUBMITTER = textwrap.dedent("""
    import json, sys, time
    from argo_scheduler.engines.local import LocalEngine
    state_dir, manifest, then = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    state = LocalEngine(state_dir=state_dir).submit(manifest)
    print(state.name, flush=True)
    if then == "linger":
        time.sleep(300)
""")


@pytest.mark.parametrize("how", ["exits", "killed"], ids=["submitter-exits", "submitter-killed"])
def test_the_run_completes_after_its_submitter_is_gone(engine, wf, tmp_path, how):
    # GIVEN a run that takes a moment and then writes a file
    out = tmp_path / "out.txt"
    code = "import sys, time; time.sleep(1); open(sys.argv[1], 'w').write('done')"
    manifest = wf.workflow("nb-detached", [wf.python("run", code, str(out))])
    # WHEN another process submits it and then exits, or is killed right after
    submitter = subprocess.Popen(
        [sys.executable, "-c", SUBMITTER, engine.state_dir, json.dumps(manifest),
         "exit" if how == "exits" else "linger"],
        stdout=subprocess.PIPE, text=True,
    )
    assert submitter.stdout.readline().strip() == "nb-detached"
    if how == "killed":
        submitter.send_signal(signal.SIGKILL)
    submitter.wait(timeout=60)
    submitter.stdout.close()
    # THEN the run still goes to its end, seen from this process
    assert engine.wait("nb-detached").phase == SUCCEEDED
    assert out.read_text() == "done"


def test_a_killed_runner_is_reported_as_an_error_and_delete_ends_its_step(engine, wf, tmp_path):
    # GIVEN a run whose step is running
    pid_file = tmp_path / "pid"
    code = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(300)"
    engine.submit(wf.workflow("nb-lost", [wf.python("run", code, str(pid_file))]))
    step_pid = int(wf.wait_for(lambda: pid_file.exists() and pid_file.read_text(), what="the step to start"))
    runner_pid = json.loads((engine.runs_dir / "nb-lost" / "runner.json").read_text())["pid"]
    # WHEN its runner is killed with SIGKILL
    os.kill(runner_pid, signal.SIGKILL)
    # THEN status reports the run as an Error, saying why
    state = wf.wait_for(lambda: (s := engine.status(["nb-lost"])["nb-lost"]).done and s, what="the Error")
    assert state.phase == ERROR
    assert "local runner exited unexpectedly" in state.message
    # AND deleting it ends the step the runner left behind
    assert psutil.pid_exists(step_pid)
    engine.delete("nb-lost")
    wf.wait_for(lambda: not psutil.pid_exists(step_pid) or psutil.Process(step_pid).status() == psutil.STATUS_ZOMBIE,
                what="the orphaned step to end")
    assert engine.status() == {}
