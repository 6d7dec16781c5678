"""Runs on the local engine end to end: real processes, Argo's phases and messages."""

from __future__ import annotations

import json
import os
import sys

import pytest

from argo_scheduler.engines.base import ERROR, FAILED, SUCCEEDED, EngineError

pytestmark = pytest.mark.slow


def read_argv(path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def failure_recorder(wf, path) -> dict:
    """The record-failure template of docs/manifest.md, writing its arguments to `path`."""
    return wf.python(
        "record-failure", wf.WRITE_ARGV, str(path),
        "{{workflow.status}}", "{{workflow.failures}}", "{{workflow.name}}",
    )


def test_success_runs_the_container_and_skips_the_failure_step(engine, wf, tmp_path):
    # GIVEN the documented shape: a run pod and an exit handler that records failures only
    out, recorded = tmp_path / "out.json", tmp_path / "recorded.json"
    manifest = wf.workflow(
        "nb-ok",
        [
            wf.python("run", wf.WRITE_ARGV, str(out), "{{workflow.name}}", "{{workflow.uid}}",
                      "{{workflow.namespace}}", "{{workflow.creationTimestamp}}"),
            wf.failure_handler(),
            failure_recorder(wf, recorded),
        ],
        on_exit="exit-handler",
    )
    # WHEN it is submitted and runs to its end
    submitted = engine.submit(manifest)
    state = engine.wait("nb-ok")
    # THEN it succeeded, with Argo's workflow variables in the pod's argv
    assert submitted.phase in ("Pending", "Running")
    assert state.phase == SUCCEEDED and state.message is None
    assert state.started_at and state.finished_at and state.finished_at >= state.started_at
    name, uid, namespace, created = read_argv(out)
    assert (name, uid, namespace) == ("nb-ok", submitted.uid, "default")
    assert created.endswith("Z") and "T" in created
    # AND the failure step was skipped without starting any process
    nodes = {n["displayName"]: n for n in engine.record("nb-ok")["nodes"].values()}
    assert nodes["record-failure"]["phase"] == "Skipped"
    assert nodes["record-failure"]["message"] == "when 'Succeeded != Succeeded' evaluated false"
    assert "argv" not in nodes["record-failure"]
    assert not recorded.exists()


def test_failure_runs_the_exit_handler_with_status_and_failures(engine, wf, tmp_path):
    # GIVEN a run pod that exits 1
    recorded = tmp_path / "recorded.json"
    manifest = wf.workflow(
        "nb-fails",
        [
            wf.python("run", "import sys; print('boom', file=sys.stderr); sys.exit(1)"),
            wf.failure_handler(),
            failure_recorder(wf, recorded),
        ],
        on_exit="exit-handler",
    )
    # WHEN it runs
    engine.submit(manifest)
    state = engine.wait("nb-fails")
    # THEN the workflow failed with Argo's message
    assert state.phase == FAILED
    assert state.message == "Error (exit code 1)"
    # AND the exit handler ran with workflow.status=Failed and Argo's failures:
    # a JSON list, quoted once more as a string (Argo applies strconv.Quote)
    status, failures, name = read_argv(recorded)
    assert (status, name) == ("Failed", "nb-fails")
    [failure] = json.loads(json.loads(failures))
    assert failure["message"] == "Error (exit code 1)"
    assert failure["displayName"] == "nb-fails" and failure["podName"] == "nb-fails"
    assert failure["templateName"] == "run" and failure["phase"] == "Failed"
    assert failure["finishedAt"].endswith("Z")
    # AND the pod's output is in its log
    assert "boom" in engine.logs("nb-fails")["nb-fails"]


def test_a_command_that_cannot_start_is_an_error(engine, wf, tmp_path):
    # GIVEN a container whose command does not exist on this machine
    recorded = tmp_path / "recorded.json"
    run = {"name": "run", "container": {"image": "x", "command": ["no-such-command-argo-scheduler-test"]}}
    manifest = wf.workflow("nb-nocmd", [run, wf.failure_handler(), failure_recorder(wf, recorded)],
                           on_exit="exit-handler")
    # WHEN it runs
    engine.submit(manifest)
    state = engine.wait("nb-nocmd")
    # THEN the run is an Error (infrastructure, not the code), and the exit handler says so
    assert state.phase == ERROR
    assert "failed to start" in state.message
    status, failures, _ = read_argv(recorded)
    assert status == "Error"
    assert json.loads(json.loads(failures))[0]["phase"] == "Error"


def test_a_failing_exit_handler_fails_a_successful_run(engine, wf):
    # GIVEN a successful entrypoint and an exit handler that exits 2
    manifest = wf.workflow(
        "nb-exit-fails",
        [wf.python("run", "pass"), wf.python("bye", "raise SystemExit(2)")],
        on_exit="bye",
    )
    # WHEN it runs
    engine.submit(manifest)
    state = engine.wait("nb-exit-fails")
    # THEN the workflow is Failed with the handler's message, as Argo decides
    assert state.phase == FAILED
    assert state.message == "Error (exit code 2)"


def test_steps_run_group_after_group_and_stop_after_a_failed_group(engine, wf, tmp_path):
    # GIVEN steps: [a], [b fails, c], [d]; each step appends its input to a file
    trail = tmp_path / "trail.txt"
    append = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n'); sys.exit(int(sys.argv[3]))"
    worker = wf.python("work", append, str(trail), "{{inputs.parameters.who}}", "{{inputs.parameters.code}}")
    worker["inputs"] = {"parameters": [{"name": "who"}, {"name": "code", "default": "0"}]}

    def step(who: str, code: str | None = None) -> dict:
        params = [{"name": "who", "value": who}] + ([{"name": "code", "value": code}] if code else [])
        return {"name": who, "template": "work", "arguments": {"parameters": params}}

    main = {"name": "main", "steps": [[step("a")], [step("b", "3"), step("c")], [step("d")]]}
    manifest = wf.workflow("nb-steps", [main, worker], entrypoint="main")
    # WHEN it runs
    engine.submit(manifest)
    state = engine.wait("nb-steps")
    # THEN a, b and c ran, d did not; the workflow failed naming the failed child
    assert trail.read_text().split() == ["a", "b", "c"]
    assert state.phase == FAILED
    nodes = {n["displayName"]: n for n in engine.record("nb-steps")["nodes"].values()}
    assert state.message == f"child '{nodes['b']['id']}' failed"
    assert nodes["b"]["message"] == "Error (exit code 3)"
    assert "d" not in nodes


def test_python_is_the_engines_interpreter_and_env_and_workdir_apply(engine, wf, tmp_path):
    # GIVEN a container running `python` with env entries and a working directory
    out = tmp_path / "out.json"
    code = (
        "import json, os, sys; json.dump([sys.executable, os.environ['PATH'].split(os.pathsep)[0], "
        "os.environ['GREETING'], os.environ['DERIVED'], os.getcwd()], open(sys.argv[1], 'w'))"
    )
    template = wf.python(
        "run", code, str(out),
        env=[{"name": "GREETING", "value": "hi {{workflow.name}}"}, {"name": "DERIVED", "value": "$(GREETING)!"}],
        workingDir=str(tmp_path),
    )
    # WHEN it runs
    engine.submit(wf.workflow("nb-env", [template]))
    assert engine.wait("nb-env").phase == SUCCEEDED
    # THEN it ran on the engine's interpreter, first on PATH, with the container's env and workingDir
    executable, first_on_path, greeting, derived, cwd = json.loads(out.read_text())
    assert executable == sys.executable
    assert first_on_path == os.path.dirname(sys.executable)
    assert (greeting, derived) == ("hi nb-env", "hi nb-env!")
    assert os.path.realpath(cwd) == os.path.realpath(tmp_path)


def test_a_duplicate_name_is_refused(engine, wf):
    # GIVEN a run named nb-dup
    engine.submit(wf.workflow("nb-dup", [wf.python("run", "pass")]))
    # WHEN another is submitted with the same name
    # THEN it is refused, as Argo answers 409 AlreadyExists
    with pytest.raises(EngineError, match="already exists"):
        engine.submit(wf.workflow("nb-dup", [wf.python("run", "pass")]))
    assert engine.wait("nb-dup").phase == SUCCEEDED


def test_generate_name_makes_a_fresh_name(engine, wf):
    # GIVEN a manifest with generateName instead of a name
    manifest = wf.workflow("unused", [wf.python("run", "pass")])
    del manifest["metadata"]["name"]
    manifest["metadata"]["generateName"] = "nb-gen-"
    # WHEN it is submitted twice
    first, second = engine.submit(manifest), engine.submit(manifest)
    # THEN each run gets its own name, Kubernetes-style
    assert first.name != second.name
    for state in (first, second):
        assert state.name.startswith("nb-gen-") and len(state.name) == len("nb-gen-") + 5
        assert engine.wait(state.name).phase == SUCCEEDED
