"""The local engine's Secrets: a private store, and env `valueFrom.secretKeyRef` resolved as the kubelet does."""

from __future__ import annotations

import json
import os
import stat

import pytest

from argo_scheduler.engines.base import EngineError, UnsupportedManifest
from argo_scheduler.engines.local import LocalEngine

VALUE = "xoxb-local-secret-value"
# Prints the env vars the step was given, as JSON, to its log.
SHOW_ENV = "import json, os; print('ENV ' + json.dumps({k: v for k, v in os.environ.items() if k.startswith('T_')}))"


@pytest.fixture
def engine(tmp_path) -> LocalEngine:
    return LocalEngine(state_dir=str(tmp_path / "state"), stop_grace_seconds=2)


def workflow(name: str, env: list[dict]) -> dict:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name},
        "spec": {
            "entrypoint": "run",
            "templates": [{"name": "run", "container": {
                "image": "python:3.11-slim", "command": ["python", "-c", SHOW_ENV], "env": env,
            }}],
        },
    }


def secret_ref(variable: str, name: str, key: str, optional: bool | None = None) -> dict:
    ref = {"name": name, "key": key}
    if optional is not None:
        ref["optional"] = optional
    return {"name": variable, "valueFrom": {"secretKeyRef": ref}}


def step_env(engine: LocalEngine, name: str) -> dict:
    [log] = engine.logs(name).values()
    line = next(line for line in log.splitlines() if line.startswith("ENV "))
    return json.loads(line[4:])


def test_secrets_are_files_only_their_owner_can_read(engine, tmp_path):
    # WHEN a Secret is stored
    engine.put_secret("argo-scheduler-abc", {"SLACK_TOKEN": VALUE, "other": "x"})
    # THEN it is one 0600 file per key, in 0700 directories
    root = tmp_path / "state" / "secrets"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "argo-scheduler-abc").stat().st_mode) == 0o700
    token = root / "argo-scheduler-abc" / "SLACK_TOKEN"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600 and token.read_text() == VALUE
    # WHEN it is replaced THEN exactly the new keys remain, as with Kubernetes' replace
    engine.put_secret("argo-scheduler-abc", {"SLACK_TOKEN": "new"})
    assert sorted(os.listdir(root / "argo-scheduler-abc")) == ["SLACK_TOKEN"] and token.read_text() == "new"
    # WHEN it is deleted (twice) THEN it is gone, and deleting nothing is no error
    engine.delete_secret("argo-scheduler-abc")
    engine.delete_secret("argo-scheduler-abc")
    assert os.listdir(root) == []


@pytest.mark.parametrize(("name", "data"), [("../escape", {"k": "v"}), ("Upper", {"k": "v"}), ("ok", {"../k": "v"})])
def test_bad_names_and_keys_are_refused(engine, name, data):
    with pytest.raises(EngineError, match="invalid Secret"):
        engine.put_secret(name, data)


def test_a_step_gets_secret_values_in_its_env_and_no_file_of_the_run_holds_them(engine, tmp_path):
    # GIVEN a Secret and a workflow referencing it, and a later value that refers to it with $(VAR)
    engine.put_secret("job-secret", {"token": VALUE})
    env = [secret_ref("T_TOKEN", "job-secret", "token"), {"name": "T_HEADER", "value": "Bearer $(T_TOKEN)"},
           secret_ref("T_ABSENT", "job-secret", "nope", optional=True),
           secret_ref("T_NO_SECRET", "no-such-secret", "token", optional=True)]
    # WHEN it runs
    engine.submit(workflow("uses-secret", env))
    state = engine.wait("uses-secret", timeout=60)
    # THEN the step saw the value, expanded where referenced; optional missing ones are unset
    assert state.phase == "Succeeded", state.message
    assert step_env(engine, "uses-secret") == {"T_TOKEN": VALUE, "T_HEADER": f"Bearer {VALUE}"}
    # AND the run's own files hold only the reference
    run_dir = tmp_path / "state" / "runs" / "uses-secret"
    for path in run_dir.rglob("*"):
        if path.is_file() and not path.name.endswith(".log"):
            assert VALUE not in path.read_text(), path


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (("no-such-secret", "token"), 'CreateContainerConfigError: secret "no-such-secret" not found'),
        (("job-secret", "nope"), "CreateContainerConfigError: couldn't find key nope in Secret default/job-secret"),
    ],
    ids=["secret", "key"],
)
def test_a_missing_required_secret_fails_the_step_like_a_pod_that_cannot_start(engine, ref, message):
    engine.put_secret("job-secret", {"token": VALUE})
    engine.submit(workflow("missing", [secret_ref("T_TOKEN", *ref)]))
    state = engine.wait("missing", timeout=60)
    assert state.phase == "Error" and state.message == message
    [node] = [n for n in engine.record("missing")["nodes"].values() if n["type"] == "Pod"]
    assert "process" not in node and not node.get("log")  # nothing started


def test_other_env_sources_are_still_refused(engine):
    manifest = workflow("config-map", [{"name": "T", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}}])
    with pytest.raises(UnsupportedManifest, match=r"spec.templates\[0\].container.env\[0\].valueFrom.configMapKeyRef"):
        engine.submit(manifest)
    both = workflow("both", [{"name": "T", "value": "v", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}])
    with pytest.raises(EngineError, match="value and valueFrom cannot both be set"):
        engine.submit(both)
