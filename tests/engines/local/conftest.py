"""Fixtures for the engines' tests: a local engine in a temporary directory, and small manifests."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from argo_scheduler.engines.local import LocalEngine

IMAGE = "python:3.11-slim"  # recorded by the local engine, never pulled


def python_template(name: str, code: str, *args: str, **container: Any) -> dict:
    """A container template running `python -c CODE ARGS...` (argv, no shell involved)."""
    return {
        "name": name,
        "container": {"image": IMAGE, "command": ["python", "-c", code], "args": list(args), **container},
    }


def failure_handler(record_template: str = "record-failure") -> dict:
    """The exit handler of docs/manifest.md: one step, only when the run did not succeed."""
    return {
        "name": "exit-handler",
        "steps": [[{
            "name": "record-failure",
            "template": record_template,
            "when": "{{workflow.status}} != Succeeded",
        }]],
    }


def workflow(
    name: str,
    templates: list[dict],
    entrypoint: str = "run",
    on_exit: str | None = None,
    parameters: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> dict:
    spec: dict[str, Any] = {"entrypoint": entrypoint, "templates": templates}
    if on_exit:
        spec["onExit"] = on_exit
    if parameters:
        spec["arguments"] = {"parameters": [{"name": k, "value": v} for k, v in parameters.items()]}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "argo-scheduler", **(labels or {})},
        },
        "spec": spec,
    }


# Writes its argv (after the code) as JSON to the file named by the first argument.
WRITE_ARGV = "import json, sys; open(sys.argv[1], 'w', encoding='utf-8').write(json.dumps(sys.argv[2:]))"


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def wf() -> SimpleNamespace:
    return SimpleNamespace(
        workflow=workflow,
        python=python_template,
        failure_handler=failure_handler,
        WRITE_ARGV=WRITE_ARGV,
        wait_for=wait_for,
        cron=cron,
    )


@pytest.fixture
def engine(tmp_path):
    engine = LocalEngine(state_dir=str(tmp_path / "engine-state"), stop_grace_seconds=2.0)
    yield engine
    # Leave no process behind, whatever the test did: delete() ends a live
    # run and whatever a dead runner left running.
    for name in engine.status():
        engine.delete(name)


def cron(
    name: str,
    templates: list[dict],
    schedules: list[str] | None = None,
    entrypoint: str = "run",
    workflow_labels: dict[str, str] | None = None,
    **spec: Any,
) -> dict:
    """A CronWorkflow shaped as the builder renders one (workflowMetadata inside the workflowSpec)."""
    labels = {"app.kubernetes.io/managed-by": "argo-scheduler", **(workflow_labels or {})}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "schedules": schedules or ["* * * * *"],
            **spec,
            "workflowSpec": {
                "entrypoint": entrypoint,
                "templates": templates,
                "workflowMetadata": {"labels": labels, "annotations": {"argo-scheduler/notebook": "n.ipynb"}},
            },
        },
    }


@pytest.fixture
def agent(engine):
    """The agent's one pass, driven with an injected "now" — no process, no waiting for the clock."""
    from argo_scheduler.engines.local.agent import LocalAgent

    return LocalAgent(engine=engine)


@pytest.fixture
def agent_processes(engine):
    """Stops whatever agent process a test started for the engine's state dir, and checks it is gone."""
    from argo_scheduler.engines.local.agent_control import agent_running, stop_agent

    yield engine.state_dir
    stop_agent(engine.state_dir)
    assert not agent_running(engine.state_dir), "an agent process was left behind"
