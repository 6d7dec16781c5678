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


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# A step that writes its pid, then starts a child that leaves the step's session (setsid)
# and writes its pid too, then sleeps; once the child's pid is written, the step waits
# `sys.argv[3]` seconds before it ends.
ORPHANING_STEP = (
    "import os, subprocess, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
    "subprocess.Popen([sys.executable, '-c', "
    "'import os, sys, time; os.setsid(); open(sys.argv[1] + \".tmp\", \"w\").write(str(os.getpid())); "
    "os.rename(sys.argv[1] + \".tmp\", sys.argv[1]); time.sleep(300)', sys.argv[2]])\n"
    "while not os.path.exists(sys.argv[2]): time.sleep(0.05)\n"
    "time.sleep(float(sys.argv[3]))"
)


def test_a_killed_runner_is_reported_as_an_error_once_nothing_of_its_run_is_left(engine, wf, tmp_path):
    # GIVEN a run whose step is running, and has a child in a session of its own
    step_file, child_file = tmp_path / "step", tmp_path / "child"
    engine.submit(wf.workflow("nb-lost", [wf.python("run", ORPHANING_STEP, str(step_file), str(child_file), "300")]))
    step_pid = int(wf.wait_for(lambda: step_file.exists() and step_file.read_text(), what="the step to start"))
    child_pid = int(wf.wait_for(lambda: child_file.exists() and child_file.read_text(), what="its child to start"))
    runner_pid = json.loads((engine.runs_dir / "nb-lost" / "runner.json").read_text())["pid"]
    # WHEN its runner is killed with SIGKILL
    os.kill(runner_pid, signal.SIGKILL)
    # THEN status reports the run as an Error, saying why
    state = wf.wait_for(lambda: (s := engine.status(["nb-lost"])["nb-lost"]).done and s, what="the Error")
    assert state.phase == ERROR
    assert "local runner exited unexpectedly" in state.message
    # AND by then nothing of the run is left to record another end: not the step, not its child
    assert gone(step_pid) and gone(child_pid)
    # AND the Error is recorded, not recomputed: it stays as it is
    assert json.loads((engine.runs_dir / "nb-lost" / "state.json").read_text())["phase"] == ERROR
    engine.delete("nb-lost")
    assert engine.status() == {}


@pytest.mark.parametrize("ending", ["step-ends", "stopped"])
def test_a_steps_orphan_in_its_own_session_ends_with_the_step(engine, wf, tmp_path, ending):
    # GIVEN a step whose child left the step's session and process group
    step_file, child_file = tmp_path / "step", tmp_path / "child"
    seconds = "300" if ending == "stopped" else "0"
    engine.submit(wf.workflow("nb-orphan", [wf.python("run", ORPHANING_STEP, str(step_file), str(child_file), seconds)]))
    child_pid = int(wf.wait_for(lambda: child_file.exists() and child_file.read_text(), what="the child to start"))
    # WHEN the step ends by itself, or is stopped
    if ending == "stopped":
        engine.stop("nb-orphan")
    state = engine.wait("nb-orphan")
    # THEN the workflow is over and the child did not outlive the step
    assert state.done
    assert gone(child_pid)
