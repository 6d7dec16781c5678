"""Timeouts and retries in the manifest: where each setting lands, and the values refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from support.samples import sample_definition, sample_job

from argo_scheduler.run_settings import RunSettings, RunSettingsError, resolve
from argo_scheduler.workflow import BuildContext, BuildError, build_cron_workflow, build_workflow, to_manifest

CONTEXT = BuildContext(staging_path="/staging", image="img:1", db_url="sqlite:////data/scheduler.sqlite")


def job_manifest(context: BuildContext = CONTEXT, **parameters) -> dict:
    return to_manifest(build_workflow(sample_job(runtime_environment_parameters=parameters), context))


def templates(spec: dict) -> dict[str, dict]:
    return {t["name"]: t for t in spec["templates"]}


def test_deadline_is_the_workflows_and_retries_are_the_run_templates(argo_schema_validator):
    # GIVEN a job with a timeout, retries with backoff and a per-cell timeout
    manifest = job_manifest(timeout_seconds=3600, retries=2, retry_backoff_seconds=30, cell_timeout_seconds=600)
    argo_schema_validator(manifest)
    spec = templates(manifest["spec"])
    # THEN the deadline bounds the whole workflow, not one template (onExit is exempt from it on Argo)
    assert manifest["spec"]["activeDeadlineSeconds"] == 3600
    assert all("activeDeadlineSeconds" not in t for t in spec.values())
    # AND only the run is retried, with Argo's exponential backoff and no maxDuration
    assert spec["run"]["retryStrategy"] == {
        "limit": 2, "retryPolicy": "Always", "backoff": {"duration": "30", "factor": 2},
    }
    assert "retryStrategy" not in spec["record-failure"] and "retryStrategy" not in spec["exit-handler"]
    # AND the pod learns which attempt it is, and the per-cell timeout
    args = spec["run"]["container"]["args"]
    assert args[-6:] == ["--cell-timeout", "600", "--retry-number", "{{retries}}", "--retry-limit", "2"]
    # AND the failure recorder knows the timeout it reports
    assert spec["record-failure"]["container"]["args"][-2:] == ["--timeout-seconds", "3600"]


def test_a_job_without_settings_renders_exactly_as_before():
    # GIVEN defaults that only shape a retry no job asks for
    shaped = replace(CONTEXT, run_defaults=RunSettings(retry_backoff_seconds=99, retry_backoff_factor=3))
    # WHEN a job without settings is rendered with them and without
    # THEN the manifests are the same: no deadline, no retryStrategy, no extra argument
    assert job_manifest(shaped) == job_manifest()
    manifest = job_manifest()
    assert "activeDeadlineSeconds" not in manifest["spec"]
    assert templates(manifest["spec"])["run"]["container"]["args"][-1] == "{{workflow.uid}}"


@pytest.mark.parametrize(
    ("defaults", "parameters", "deadline", "retry"),
    [
        (RunSettings(timeout_seconds=600, retries=1), {}, 600, 1),
        (RunSettings(timeout_seconds=600, retries=1), {"timeout_seconds": "60", "retries": "3"}, 60, 3),
        (RunSettings(timeout_seconds=600, retries=1), {"timeout_seconds": "0", "retries": 0}, None, None),
        (RunSettings(timeout_seconds=600), {"timeout_seconds": "", "retries": " "}, 600, None),
    ],
    ids=["config-default", "job-overrides", "job-zero-disables", "empty-field-is-default"],
)
def test_a_jobs_own_values_beat_the_configured_defaults(defaults, parameters, deadline, retry):
    # GIVEN configured defaults and the job's runtime environment parameters
    manifest = job_manifest(replace(CONTEXT, run_defaults=defaults), **parameters)
    # THEN the job's value wins where it gives one
    assert manifest["spec"].get("activeDeadlineSeconds") == deadline
    strategy = templates(manifest["spec"])["run"].get("retryStrategy")
    assert (strategy or {}).get("limit") == retry


def test_no_backoff_means_retrying_at_once(argo_schema_validator):
    manifest = job_manifest(retries=1, retry_backoff_seconds=0)
    argo_schema_validator(manifest)
    assert templates(manifest["spec"])["run"]["retryStrategy"] == {"limit": 1, "retryPolicy": "Always"}


def test_a_definitions_runs_get_the_same_settings(argo_schema_validator):
    # GIVEN a job definition with a timeout and retries
    definition = sample_definition(runtime_environment_parameters={"timeout_seconds": "900", "retries": "1"})
    # WHEN it becomes a CronWorkflow
    manifest = to_manifest(build_cron_workflow(definition, CONTEXT))
    argo_schema_validator(manifest)
    # THEN every run it starts carries the deadline and the retry strategy
    workflow_spec = manifest["spec"]["workflowSpec"]
    assert workflow_spec["activeDeadlineSeconds"] == 900
    assert templates(workflow_spec)["run"]["retryStrategy"]["limit"] == 1
    assert "activeDeadlineSeconds" not in manifest["spec"]


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"timeout_seconds": -5}, "timeout_seconds must be between 0 and 2592000 seconds, got -5"),
        ({"timeout_seconds": "-5"}, "timeout_seconds must be between 0"),
        ({"retries": "three"}, "retries must be a whole number of retries, got 'three'"),
        ({"retries": "2.5"}, "retries must be a whole number"),
        ({"retries": 11}, "retries must be between 0 and 10 retries, got 11"),
        ({"cell_timeout_seconds": "10 s"}, "cell_timeout_seconds must be a whole number of seconds, got '10 s'"),
        ({"retry_backoff_seconds": 10**9}, "retry_backoff_seconds must be between 0 and 2592000"),
        ({"timeout_seconds": "²"}, "timeout_seconds must be a whole number"),
    ],
    ids=["negative", "negative-text", "not-a-number", "fraction-text",
         "too-many-retries", "with-unit", "absurd-backoff", "unicode-digit"],
)
def test_bad_values_are_refused_naming_the_key(parameters, message):
    # GIVEN a job with an unusable setting WHEN it is rendered THEN BuildError says which and why
    with pytest.raises(BuildError) as refused:
        job_manifest(**parameters)
    assert message in str(refused.value)


@pytest.mark.parametrize("value", [2.5, True], ids=["fraction", "boolean"])
def test_values_that_are_not_whole_numbers_are_refused(value):
    # jupyter-scheduler's models turn 2.5 and True into 2 and 1 before the
    # builder sees them; what reads the parameters raw (the CLI) gets refused.
    with pytest.raises(RunSettingsError, match="retries must be a whole number"):
        resolve({"retries": value}, RunSettings())


def test_bad_configured_defaults_are_refused_too():
    with pytest.raises(RunSettingsError, match="retry_backoff_factor must be between 1 and 10, got 0"):
        resolve({}, RunSettings(retry_backoff_factor=0))


def test_other_runtime_environment_parameters_are_left_alone():
    # GIVEN keys this project does not read (another extension's) WHEN resolved THEN they are ignored
    assert resolve({"gpu_flavour": "a100", "retries": "1"}, RunSettings()) == RunSettings(retries=1)


def test_the_schedulers_defaults_are_the_builders():
    # GIVEN ArgoScheduler's traits and the builder's own defaults
    from dataclasses import fields

    from argo_scheduler import ArgoScheduler

    traits = ArgoScheduler.class_traits()
    # THEN a BuildContext made without the scheduler renders what an unconfigured scheduler renders
    assert {f.name: traits[f.name].default_value for f in fields(RunSettings)} == vars(RunSettings())
