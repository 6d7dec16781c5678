"""CronWorkflows on the local engine: what create/update refuse, the stored lifecycle, a run's Workflow."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from argo_scheduler.engines.local import cron as local_cron, manifest as local_manifest
from argo_scheduler.engines.base import EngineError, UnsupportedManifest, WorkflowNotFound

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
HELLO = "print('hello')"


def _tiny(wf, name: str = "tiny", **spec) -> dict:
    return wf.cron(name, [wf.python("run", HELLO)], **spec)


def _set(manifest: dict, path: str, value) -> dict:
    """A copy of `manifest` with the dotted `path` set (a trailing `[i]` indexes a list)."""
    manifest = copy.deepcopy(manifest)
    *parents, last = path.split(".")
    node = manifest
    for key in parents:
        node = node[int(key[1:-1])] if key.startswith("[") else node[key]
    node[last] = value
    return manifest


def _with_volume_mount(m: dict) -> dict:
    m = copy.deepcopy(m)
    m["spec"]["workflowSpec"]["templates"][0]["container"]["volumeMounts"] = [{"name": "home", "mountPath": "/h"}]
    return m


REFUSALS = {
    "schedule-out-of-range": (lambda m: _set(m, "spec.schedules", ["61 * * * *"]), "spec.schedules[0]"),
    "schedule-six-fields": (lambda m: _set(m, "spec.schedules", ["0 * * * * *"]), "spec.schedules[0]"),
    "schedule-quartz-L": (lambda m: _set(m, "spec.schedules", ["0 0 L * *"]), "spec.schedules[0]"),
    "schedule-never-fires": (lambda m: _set(m, "spec.schedules", ["0 0 31 2 *"]), "never fires"),
    "schedules-empty": (lambda m: _set(m, "spec.schedules", []), "spec.schedules"),
    "schedules-not-a-list": (lambda m: _set(m, "spec.schedules", "* * * * *"), "spec.schedules"),
    "timezone-unknown": (lambda m: _set(m, "spec.timezone", "Mars/Olympus_Mons"), "spec.timezone"),
    "policy-lowercase": (lambda m: _set(m, "spec.concurrencyPolicy", "forbid"), "spec.concurrencyPolicy"),
    "deadline-negative": (lambda m: _set(m, "spec.startingDeadlineSeconds", -1), "spec.startingDeadlineSeconds"),
    "history-not-a-number": (
        lambda m: _set(m, "spec.successfulJobsHistoryLimit", "3"), "spec.successfulJobsHistoryLimit"
    ),
    "history-bool": (lambda m: _set(m, "spec.failedJobsHistoryLimit", True), "spec.failedJobsHistoryLimit"),
    "suspend-not-bool": (lambda m: _set(m, "spec.suspend", "yes"), "spec.suspend"),
    "unknown-spec-field": (lambda m: _set(m, "spec.stopStrategy", {"expression": "x"}), "spec.stopStrategy"),
    "workflowspec-volumes": (lambda m: _set(m, "spec.workflowSpec.volumes", [{"name": "v"}]), "spec.workflowSpec.volumes"),
    "workflowspec-volume-mount": (_with_volume_mount, "spec.workflowSpec.templates[0].container.volumeMounts"),
    "workflowspec-bad-entrypoint": (
        lambda m: _set(m, "spec.workflowSpec.entrypoint", "nowhere"), "spec.workflowSpec.entrypoint"
    ),
    "workflowspec-missing": (lambda m: _set(m, "spec.workflowSpec", None), "spec.workflowSpec"),
    "workflow-metadata-labels-from": (
        lambda m: _set(m, "spec.workflowSpec.workflowMetadata.labelsFrom", {"x": {"expression": "1"}}),
        "spec.workflowSpec.workflowMetadata.labelsFrom",
    ),
    "name-too-long-for-run-suffix": (lambda m: _set(m, "metadata.name", "a" * 53), "metadata.name"),
    "name-not-dns": (lambda m: _set(m, "metadata.name", "Nightly_Report"), "metadata.name"),
    "kind-workflow": (lambda m: _set(m, "kind", "Workflow"), "kind"),
}


@pytest.mark.parametrize("break_it, field", REFUSALS.values(), ids=REFUSALS.keys())
def test_create_refuses_what_argo_or_the_local_engine_would_and_stores_nothing(engine, wf, break_it, field):
    # GIVEN a CronWorkflow with one thing wrong
    manifest = break_it(_tiny(wf))
    # WHEN it is created THEN it is refused, naming the field
    with pytest.raises(EngineError) as refused:
        engine.create_cron(manifest)
    assert field in str(refused.value)
    # AND nothing was stored
    assert engine.crons() == {}
    assert not engine.crons_dir.exists() or not any(engine.crons_dir.iterdir())


@pytest.mark.parametrize("break_it, field", REFUSALS.values(), ids=REFUSALS.keys())
def test_update_refuses_the_same_and_keeps_the_stored_cron(engine, wf, break_it, field):
    engine.create_cron(_tiny(wf))
    before = engine.crons()
    broken = break_it(_tiny(wf))
    with pytest.raises(EngineError) as refused:
        engine.update_cron(broken)
    assert field in str(refused.value)
    assert engine.crons() == before


def test_an_unsupported_workflow_field_is_refused_as_unsupported_with_its_cron_path(engine, wf):
    with pytest.raises(UnsupportedManifest, match=r"^spec\.workflowSpec\.templates\[0\]\.container\.volumeMounts "):
        engine.create_cron(_with_volume_mount(_tiny(wf)))


def test_create_stores_it_and_crons_lists_it(engine, wf):
    # GIVEN a cron with a timezone and a policy WHEN created
    engine.create_cron(_tiny(wf, schedules=["0 6 * * 1-5"], timezone="Europe/Paris", concurrencyPolicy="Forbid"))
    # THEN it is listed with what the scheduler needs to show
    listed = engine.crons()["tiny"]
    assert listed["suspend"] is False
    assert listed["schedules"] == ["0 6 * * 1-5"]
    assert listed["timezone"] == "Europe/Paris"
    assert listed["concurrencyPolicy"] == "Forbid"
    assert listed["lastScheduledTime"] is None
    assert (engine.crons_dir / "tiny" / "manifest.json").is_file()


def test_timezone_defaults_to_utc(engine, wf):
    engine.create_cron(_tiny(wf))
    assert engine.crons()["tiny"]["timezone"] == "UTC"


def test_creating_a_name_twice_is_refused_like_argos_409(engine, wf):
    engine.create_cron(_tiny(wf, schedules=["0 1 * * *"]))
    with pytest.raises(EngineError, match="already exists"):
        engine.create_cron(_tiny(wf, schedules=["0 2 * * *"]))
    assert engine.crons()["tiny"]["schedules"] == ["0 1 * * *"]


def test_update_replaces_in_place_and_its_suspend_decides(engine, wf):
    # GIVEN a running (not suspended) cron
    engine.create_cron(_tiny(wf, schedules=["0 1 * * *"]))
    # WHEN it is replaced by a paused one with another schedule
    engine.update_cron(_tiny(wf, schedules=["30 4 * * *"], suspend=True))
    # THEN the new spec is what is stored, paused
    listed = engine.crons()["tiny"]
    assert (listed["schedules"], listed["suspend"]) == (["30 4 * * *"], True)
    # AND an update without suspend un-pauses it, as Argo's would
    engine.update_cron(_tiny(wf, schedules=["30 4 * * *"]))
    assert engine.crons()["tiny"]["suspend"] is False


@pytest.mark.parametrize(
    "operation",
    [
        lambda engine, wf: engine.update_cron(_tiny(wf, name="missing")),
        lambda engine, wf: engine.suspend_cron("missing"),
        lambda engine, wf: engine.resume_cron("missing"),
        lambda engine, wf: engine.delete_cron("missing"),
        lambda engine, wf: engine.delete_cron("../runs"),
    ],
    ids=["update", "suspend", "resume", "delete", "delete-path-like-name"],
)
def test_operations_on_an_unknown_cron_raise_workflow_not_found(engine, wf, operation):
    with pytest.raises(WorkflowNotFound):
        operation(engine, wf)


def test_suspend_and_resume_flip_only_suspend(engine, wf):
    engine.create_cron(_tiny(wf, schedules=["0 6 * * *"]))
    engine.suspend_cron("tiny")
    assert engine.crons()["tiny"]["suspend"] is True
    engine.resume_cron("tiny")
    listed = engine.crons()["tiny"]
    assert (listed["suspend"], listed["schedules"]) == (False, ["0 6 * * *"])


def test_delete_removes_the_cron_and_the_name_is_free_again(engine, wf):
    engine.create_cron(_tiny(wf))
    engine.delete_cron("tiny")
    assert engine.crons() == {}
    assert [p.name for p in engine.crons_dir.iterdir()] == []
    with pytest.raises(WorkflowNotFound):
        engine.delete_cron("tiny")
    engine.create_cron(_tiny(wf))
    assert list(engine.crons()) == ["tiny"]


# ---- the Workflow of one run ----------------------------------------------

SCHEDULED = datetime(2026, 3, 2, 5, 0, tzinfo=timezone.utc)


def test_a_run_is_the_workflow_argos_cron_controller_makes(wf):
    # GIVEN a CronWorkflow whose runs carry labels and annotations
    plan = local_cron.parse(wf.cron("report-1", [wf.python("run", HELLO)], workflow_labels={"team": "a"}))
    # WHEN the run of one scheduled time is made
    run = local_cron.run_manifest(plan, SCHEDULED)
    # THEN it is named with the scheduled time in unix seconds (Argo 3.5+)
    assert run["kind"] == "Workflow"
    assert run["metadata"]["name"] == f"report-1-{int(SCHEDULED.timestamp())}"
    # AND carries the workflowMetadata labels plus the cron's label
    assert run["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "argo-scheduler",
        "team": "a",
        "workflows.argoproj.io/cron-workflow": "report-1",
    }
    # AND the workflowMetadata annotations plus the scheduled time
    assert run["metadata"]["annotations"] == {
        "argo-scheduler/notebook": "n.ipynb",
        "workflows.argoproj.io/scheduled-time": "2026-03-02T05:00:00Z",
    }
    # AND its spec is the workflowSpec without the metadata the local engine refuses in a Workflow
    assert "workflowMetadata" not in run["spec"]
    local_manifest.parse(run)


def test_the_same_scheduled_time_always_makes_the_same_name():
    assert local_cron.run_name("c", SCHEDULED) == local_cron.run_name("c", SCHEDULED.astimezone())


@pytest.mark.parametrize("golden", ["cron-definition.yaml", "cron-paused.yaml"], ids=["active", "paused"])
def test_the_builders_cron_workflows_are_accepted_and_their_runs_are_argo_valid(golden, argo_schema_validator):
    # GIVEN the builder's rendered CronWorkflows
    manifest = yaml.safe_load((GOLDEN / golden).read_text())
    # WHEN read by the local engine
    plan = local_cron.parse(manifest)
    assert plan.timezone == "Europe/Paris"
    assert plan.suspend is (golden == "cron-paused.yaml")
    # THEN each run is a Workflow valid against Argo's own schema, in the cron's namespace,
    # labelled with its definition
    run = local_cron.run_manifest(plan, SCHEDULED)
    argo_schema_validator(run)
    assert run["metadata"]["namespace"] == "jupyter"
    assert run["metadata"]["labels"]["argo-scheduler/job-definition-id"] == "9b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d"
    assert len(run["metadata"]["name"]) <= 63


def test_argos_descriptors_are_accepted(engine, wf):
    engine.create_cron(_tiny(wf, schedules=["@daily", "@hourly"]))
    assert engine.crons()["tiny"]["schedules"] == ["@daily", "@hourly"]
