"""Parameters reach a pod's argv verbatim, one element each, whatever they contain."""

from __future__ import annotations

import json

import pytest

from argo_scheduler.engines.base import SUCCEEDED, EngineError
from argo_scheduler.spec import RunSpec

pytestmark = pytest.mark.slow

VALUES = [
    'he said "hi" and \'bye\'',
    "  spaces   inside and around  ",
    "$(rm -rf ~) `id` ${HOME}",
    "a; echo pwned && false || true | cat > /tmp/x",
    "Zoë — 日本語 🎉",
    "line one\nline two\ttabbed",
    "{\\u007bnot a tag}}",
    "",
    "--flag=value",
    "*",
]
IDS = ["quotes", "spaces", "command-substitution", "shell-operators", "unicode",
       "newline-and-tab", "escaped-braces", "empty", "looks-like-an-option", "glob"]


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_workflow_parameter_arrives_verbatim(engine, wf, tmp_path, value):
    # GIVEN a workflow parameter with awkward text, used in one argv element with text around it
    out = tmp_path / "out.json"
    template = wf.python("run", wf.WRITE_ARGV, str(out), "{{workflow.parameters.p}}", "x{{workflow.parameters.p}}y")
    manifest = wf.workflow("nb-param", [template], parameters={"p": value})
    # WHEN it runs
    engine.submit(manifest)
    assert engine.wait("nb-param").phase == SUCCEEDED
    # THEN each element is exactly the value (plus its literal surroundings), never split or interpreted
    assert json.loads(out.read_text(encoding="utf-8")) == [value, f"x{value}y"]


@pytest.mark.parametrize("value", VALUES, ids=IDS)
def test_step_argument_arrives_verbatim_through_inputs(engine, wf, tmp_path, value):
    # GIVEN a steps template passing the parameter on as a step argument
    out = tmp_path / "out.json"
    worker = wf.python("work", wf.WRITE_ARGV, str(out), "{{inputs.parameters.text}}")
    worker["inputs"] = {"parameters": [{"name": "text"}]}
    main = {"name": "main", "steps": [[{
        "name": "call", "template": "work",
        "arguments": {"parameters": [{"name": "text", "value": "{{workflow.parameters.p}}"}]},
    }]]}
    manifest = wf.workflow("nb-step-param", [main, worker], entrypoint="main", parameters={"p": value})
    # WHEN it runs
    engine.submit(manifest)
    assert engine.wait("nb-step-param").phase == SUCCEEDED
    # THEN the called container got the value as one argv element
    assert json.loads(out.read_text(encoding="utf-8")) == [value]


def test_a_run_spec_round_trips_through_the_spec_parameter(engine, wf, tmp_path):
    # GIVEN a RunSpec full of user text, `{{` included, as the builder passes it
    spec = RunSpec(
        name='Zoë\'s "report"; $(id)', input_filename="a b.ipynb", input_path="/tmp/a b.ipynb",
        staging_path="/tmp/staging", parameters={"q": "{{workflow.name}}", "s": "x; y"},
    )
    out = tmp_path / "out.json"
    template = wf.python("run", wf.WRITE_ARGV, str(out), "--spec", "{{workflow.parameters.spec}}")
    engine.submit(wf.workflow("nb-spec", [template], parameters={"spec": spec.to_json()}))
    assert engine.wait("nb-spec").phase == SUCCEEDED
    # THEN the pod reads back the very same spec
    flag, text = json.loads(out.read_text(encoding="utf-8"))
    assert flag == "--spec"
    assert RunSpec.from_json(text) == spec


def test_user_dollars_survive_kubernetes_expansion_in_the_spec(engine, wf, tmp_path):
    # GIVEN user text naming a variable the container defines (a Secret's, say)
    spec = RunSpec(
        name="n", input_filename="a.ipynb", input_path="/tmp/a.ipynb", staging_path="/tmp/s",
        parameters={"leak": "$(ARGO_SCHEDULER_DB_URL)", "money": "costs $$5", "plain": "$HOME"},
    )
    out = tmp_path / "out.json"
    template = wf.python("run", wf.WRITE_ARGV, str(out), "{{workflow.parameters.spec}}",
                         env=[{"name": "ARGO_SCHEDULER_DB_URL", "value": "postgresql://u:secret@db/x"}])
    # WHEN it passes through Argo's and the kubelet's substitutions
    engine.submit(wf.workflow("nb-spec-dollars", [template], parameters={"spec": spec.to_json()}))
    assert engine.wait("nb-spec-dollars").phase == SUCCEEDED
    # THEN the pod reads the user's text exactly, and never the secret
    [text] = json.loads(out.read_text(encoding="utf-8"))
    assert RunSpec.from_json(text) == spec
    assert "secret" not in text


def test_an_unknown_variable_is_refused_and_nothing_starts(engine, wf):
    # GIVEN a container referring to a variable Argo does not define
    manifest = wf.workflow("nb-unknown", [wf.python("run", "pass", "{{workflow.nope}}")])
    # WHEN it is submitted
    # THEN it is refused like Argo refuses it, and no run exists
    with pytest.raises(EngineError, match=r"failed to resolve \{\{workflow\.nope\}\}"):
        engine.submit(manifest)
    assert engine.status() == {}
    assert not (engine.runs_dir / "nb-unknown").exists()


def test_kubernetes_dollar_rules_apply_as_in_a_pod(engine, wf, tmp_path):
    # GIVEN args using Kubernetes' $(VAR) syntax: a container env var, an escaped
    # reference and a doubled dollar
    out = tmp_path / "out.json"
    template = wf.python("run", wf.WRITE_ARGV, str(out), "$(GREETING)", "$$(GREETING)", "costs $$5",
                         env=[{"name": "GREETING", "value": "hi"}])
    # WHEN it runs
    engine.submit(wf.workflow("nb-dollars", [template]))
    assert engine.wait("nb-dollars").phase == SUCCEEDED
    # THEN the kubelet's expansion applied, exactly as a real pod would see it
    # (so user text must reach argv with `$` written as `$$`, or be unaffected)
    assert json.loads(out.read_text()) == ["hi", "$(GREETING)", "costs $5"]
