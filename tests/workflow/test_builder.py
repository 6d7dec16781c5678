"""The pure builder: golden manifests, Argo's schema, names, the safety rules."""

from __future__ import annotations

import json

import pytest
import yaml
from kubernetes.client import V1Toleration, V1Volume, V1VolumeMount, V1HostPathVolumeSource

from support.samples import DEFINITION_ID, JOB_ID, sample_definition, sample_job

from argo_scheduler.pod import SecretRef, main_container
from argo_scheduler.run_settings import RunSettings
from argo_scheduler.spec import RunSpec
from argo_scheduler.workflow import (
    BuildContext,
    BuildError,
    Cleanup,
    CronOptions,
    build_cron_workflow,
    build_workflow,
    to_manifest,
    with_mutations,
)

STAGING = "/home/jovyan/.local/share/jupyter/scheduler_staging_area"
CONTEXT = BuildContext(
    staging_path=STAGING,
    image="quay.io/jupyter/scipy-notebook:2026-11-01",
    db_url="sqlite:////home/jovyan/.local/share/jupyter/scheduler.sqlite",
    owner="jovyan",
    namespace="jupyter",
)


make_job = sample_job
make_definition = sample_definition


GOLDEN_CASES = {
    "job-plain.yaml": lambda: build_workflow(make_job(), CONTEXT),
    "job-parameters-formats.yaml": lambda: build_workflow(
        make_job(
            name="sales by region",
            input_filename="Sales Report (Q4).ipynb",
            parameters={"n": "3", "rate": "0.5", "dry_run": "true", "region": "EMEA"},
            output_formats=["ipynb", "html", "markdown", "pdf"],
        ),
        CONTEXT,
    ),
    "cron-definition.yaml": lambda: build_cron_workflow(make_definition(), CONTEXT),
    "cron-paused.yaml": lambda: build_cron_workflow(
        make_definition(active=False), BuildContext(**{**CONTEXT.__dict__, "cron": CronOptions("Forbid", 5, 2, 300)})
    ),
    # As the UI sends them: text.
    "job-timeout-retries.yaml": lambda: build_workflow(
        make_job(runtime_environment_parameters={
            "timeout_seconds": "3600", "retries": "2", "retry_backoff_seconds": "30", "cell_timeout_seconds": "600",
        }),
        CONTEXT,
    ),
    # The configured defaults, with the definition's own timeout.
    "cron-timeout-retries.yaml": lambda: build_cron_workflow(
        make_definition(runtime_environment_parameters={"timeout_seconds": 7200}),
        BuildContext(**{**CONTEXT.__dict__, "run_defaults": RunSettings(
            timeout_seconds=600, retries=1, retry_backoff_seconds=10, retry_backoff_factor=2,
        )}),
    ),
    # A definition's own concurrency policy and starting deadline, as the form sends them, over the defaults.
    "cron-concurrency-deadline.yaml": lambda: build_cron_workflow(
        make_definition(runtime_environment_parameters={
            "concurrency_policy": "Replace", "starting_deadline_seconds": "600", "notify_on": "failure",
        }),
        BuildContext(**{**CONTEXT.__dict__, "cron": CronOptions("Forbid", 3, 3, 60)}),
    ),
}


@pytest.mark.parametrize("name", list(GOLDEN_CASES), ids=list(GOLDEN_CASES))
def test_golden_manifest(name, golden, argo_schema_validator):
    # GIVEN a job or definition WHEN it is rendered
    manifest = to_manifest(GOLDEN_CASES[name]())
    # THEN it is valid for Argo and unchanged from the reviewed golden file
    argo_schema_validator(manifest)
    golden(name, yaml.safe_dump(manifest, sort_keys=True, allow_unicode=True))


def spec_of(manifest: dict) -> RunSpec:
    workflow_spec = manifest["spec"].get("workflowSpec", manifest["spec"])
    [parameter] = workflow_spec["arguments"]["parameters"]
    return RunSpec.from_json(parameter["value"])


def test_successful_run_is_one_pod_and_exit_handler_only_on_failure():
    # GIVEN any job WHEN rendered
    spec = to_manifest(build_workflow(make_job(), CONTEXT))["spec"]
    templates = {t["name"]: t for t in spec["templates"]}
    # THEN the entrypoint is a single container: one pod on the success path
    assert "container" in templates[spec["entrypoint"]]
    # AND the exit handler's only step is skipped unless the workflow did not succeed
    [[step]] = templates[spec["onExit"]]["steps"]
    assert step["when"] == "{{workflow.status}} != Succeeded"
    assert "container" in templates[step["template"]]


HOSTILE = [
    "'; rm -rf / #",
    '"quoted" and \\backslash',
    "$(curl evil) `id` ${HOME}",
    "{{workflow.name}} {{ inputs.parameters.x }}",
    "日本語 ünïcødé 🚀",
    "line\nbreak\ttab",
]


@pytest.mark.parametrize("value", HOSTILE, ids=["quote", "dquote", "subshell", "template", "unicode", "control"])
def test_user_values_travel_only_inside_the_spec_parameter(value, argo_schema_validator):
    # GIVEN a job whose name, notebook, parameters and owner are hostile text
    job = make_job(name=value, input_filename=f"{value}.ipynb", parameters={"p": value, value[:5] or "k": "1"})
    context = BuildContext(**{**CONTEXT.__dict__, "owner": value})
    # WHEN rendered
    manifest = to_manifest(build_workflow(job, context))
    argo_schema_validator(manifest)
    # THEN the pod's argv never contains the value: only template references
    for template in manifest["spec"]["templates"]:
        for arg in template.get("container", {}).get("args", []) + template.get("container", {}).get("command", []):
            assert value not in arg
    # AND no `{{` from the user survives in the serialized parameter
    raw = manifest["spec"]["arguments"]["parameters"][0]["value"]
    assert "{{" not in raw
    # AND the pod gets every value back exactly
    spec = spec_of(manifest)
    assert (spec.name, spec.owner, spec.parameters["p"]) == (value, value, value)
    # AND the name is DNS-1123 and the labels are label-safe
    name = manifest["metadata"]["name"]
    assert len(name) <= 63 and name.replace("-", "").isalnum() and name == name.lower()


@pytest.mark.parametrize(
    "owner, label",
    [
        ("jovyan", "jovyan"),
        ("ana.perez@example.com", None),
        ("Zoë O'Neil", None),
        ("a" * 80, None),
        ("用户", None),
    ],
    ids=["plain", "email", "unicode-apostrophe", "too-long", "cjk"],
)
def test_owner_label_is_label_safe_and_original_is_annotated(owner, label):
    # GIVEN an owner WHEN a job of theirs is rendered
    manifest = to_manifest(build_workflow(make_job(), BuildContext(**{**CONTEXT.__dict__, "owner": owner})))
    # THEN the label is a valid label value (kept as is when already valid)
    value = manifest["metadata"]["labels"]["argo-scheduler/owner"]
    import re

    assert re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", value) and len(value) <= 63
    if label:
        assert value == label
    # AND the annotation keeps the original
    assert manifest["metadata"]["annotations"]["argo-scheduler/owner"] == owner


def test_different_owners_never_share_a_label():
    # GIVEN two owners that slugify alike WHEN rendered THEN their labels differ
    labels = {
        to_manifest(build_workflow(make_job(), BuildContext(**{**CONTEXT.__dict__, "owner": o})))["metadata"]["labels"][
            "argo-scheduler/owner"
        ]
        for o in ("ana.perez@example.com", "ana.perez-example.com@", "ana perez@example.com")
    }
    assert len(labels) == 3


def test_cron_name_leaves_room_for_argos_run_suffix():
    # GIVEN a definition with a very long notebook name WHEN rendered
    manifest = to_manifest(build_cron_workflow(make_definition(input_filename="x" * 200 + ".ipynb"), CONTEXT))
    # THEN the CronWorkflow name fits Argo's 52-character limit and keeps the id
    assert len(manifest["metadata"]["name"]) <= 52
    assert manifest["metadata"]["name"].endswith(DEFINITION_ID)


def test_cron_runs_create_their_own_record_and_carry_definition_labels():
    manifest = to_manifest(build_cron_workflow(make_definition(), CONTEXT))
    spec = spec_of(manifest)
    # THEN the pod derives the job id itself (from the workflow uid)
    assert spec.job_id is None and spec.job_definition_id == DEFINITION_ID
    assert spec.input_path == f"{STAGING}/{DEFINITION_ID}/report.ipynb"
    # AND every run is labelled with its definition
    labels = manifest["spec"]["workflowSpec"]["workflowMetadata"]["labels"]
    assert labels["argo-scheduler/job-definition-id"] == DEFINITION_ID


@pytest.mark.parametrize("active, suspend", [(True, False), (False, True)], ids=["active", "paused"])
def test_cron_suspend_follows_active(active, suspend):
    manifest = to_manifest(build_cron_workflow(make_definition(active=active), CONTEXT))
    assert manifest["spec"]["suspend"] is suspend


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"schedule": "every day at six"}, "not a valid cron schedule"),
        ({"schedule": "61 * * * *"}, "not a valid cron schedule"),
        ({"schedule": "0 0 6 * * *"}, "not a valid cron schedule"),
        ({"schedule": "0 6 L * *"}, "not a valid cron schedule"),
        ({"schedule": "0 0 31 2 *"}, "never fires"),
        ({"timezone": "Mars/Olympus_Mons"}, "not a known time zone"),
        ({"schedule": None}, "needs a schedule"),
    ],
    ids=["words", "minute-61", "six-fields", "last-day-L", "february-31", "timezone", "no-schedule"],
)
def test_bad_cron_input_is_refused_with_a_clear_message(overrides, message):
    with pytest.raises(BuildError, match=message):
        build_cron_workflow(make_definition(**overrides), CONTEXT)


def test_bad_concurrency_policy_is_refused():
    context = BuildContext(**{**CONTEXT.__dict__, "cron": CronOptions(concurrency_policy="Sometimes")})
    with pytest.raises(BuildError, match="Allow, Forbid, Replace"):
        build_cron_workflow(make_definition(), context)


def test_database_password_never_enters_the_manifest():
    # GIVEN a PostgreSQL URL with a password
    context = BuildContext(**{**CONTEXT.__dict__, "db_url": "postgresql://u:s3cret@db/scheduler"})
    # WHEN rendered without a secret reference THEN it is refused
    with pytest.raises(BuildError, match="db_url_secret"):
        build_workflow(make_job(), context)
    # AND with a Secret reference the URL comes from the Secret
    context = BuildContext(**{**context.__dict__, "db_url_secret": SecretRef("scheduler-db", "url")})
    text = json.dumps(to_manifest(build_workflow(make_job(), context)))
    assert "s3cret" not in text
    env = to_manifest(build_workflow(make_job(), context))["spec"]["templates"][0]["container"]["env"]
    assert {"name": "ARGO_SCHEDULER_DB_URL", "valueFrom": {"secretKeyRef": {"name": "scheduler-db", "key": "url"}}} in env


def test_pod_mutations_reach_every_template_and_stay_schema_valid(argo_schema_validator):
    # GIVEN a mutation that mounts a volume and adds a toleration
    def mount_home(pod, spec):
        assert isinstance(spec, RunSpec)
        pod.spec.volumes = [V1Volume(name="home", host_path=V1HostPathVolumeSource(path="/home"))]
        pod.spec.tolerations = [V1Toleration(key="jobs", operator="Exists", effect="NoSchedule")]
        main_container(pod).volume_mounts = [V1VolumeMount(name="home", mount_path="/home/jovyan")]

    # WHEN a job and a definition are rendered with it
    for manifest in (
        to_manifest(build_workflow(make_job(), with_mutations(CONTEXT, mount_home))),
        to_manifest(build_cron_workflow(make_definition(), with_mutations(CONTEXT, mount_home))),
    ):
        argo_schema_validator(manifest)
        spec = manifest["spec"].get("workflowSpec", manifest["spec"])
        # THEN the pod-level fields are on the workflow and every container mounts the volume
        assert spec["volumes"][0]["hostPath"]["path"] == "/home"
        assert spec["tolerations"][0]["key"] == "jobs"
        for template in spec["templates"]:
            if "container" in template:
                assert template["container"]["volumeMounts"] == [{"name": "home", "mountPath": "/home/jovyan"}]


def test_a_mutation_the_workflow_cannot_express_is_refused():
    def add_probe(pod, spec):
        from kubernetes.client import V1ExecAction, V1Probe

        main_container(pod).liveness_probe = V1Probe(_exec=V1ExecAction(command=["true"]))

    with pytest.raises(BuildError, match="livenessProbe"):
        build_workflow(make_job(), with_mutations(CONTEXT, add_probe))


@pytest.mark.parametrize("image", [None, "", "  "], ids=["none", "empty", "blank"])
def test_a_pod_without_an_image_is_refused(image):
    # GIVEN a mutation that leaves the job's container without an image
    def clear_image(pod, spec):
        main_container(pod).image = image

    # WHEN rendered THEN it is refused, rather than running hera's default image
    with pytest.raises(BuildError, match="no container image"):
        build_workflow(make_job(), with_mutations(CONTEXT, clear_image))


def test_the_builder_is_pure():
    # GIVEN the same inputs WHEN rendered twice THEN the manifests are identical
    assert to_manifest(build_workflow(make_job(), CONTEXT)) == to_manifest(build_workflow(make_job(), CONTEXT))


def test_the_schema_check_itself_catches_a_broken_manifest(argo_schema_validator):
    # GIVEN a rendered manifest with a field of the wrong type
    manifest = to_manifest(build_workflow(make_job(), CONTEXT))
    manifest["spec"]["templates"][0]["container"]["args"] = "run --spec"
    # WHEN validated THEN Argo's schema rejects it
    with pytest.raises(AssertionError, match="args"):
        argo_schema_validator(manifest)


@pytest.mark.parametrize(
    ("cleanup", "ttl", "pod_gc"),
    [
        (Cleanup(), {"secondsAfterCompletion": 86400}, {"strategy": "OnPodSuccess"}),
        (Cleanup(ttl_seconds=3600, pod_gc_strategy="OnWorkflowCompletion"), {"secondsAfterCompletion": 3600},
         {"strategy": "OnWorkflowCompletion"}),
        (Cleanup(ttl_seconds=None, pod_gc_strategy=None), None, None),
    ],
    ids=["defaults", "configured", "kept"],
)
def test_every_workflow_says_when_argo_deletes_it_and_its_pods(cleanup, ttl, pod_gc, argo_schema_validator):
    context = BuildContext(**{**CONTEXT.__dict__, "cleanup": cleanup})
    # WHEN a job and a definition are rendered
    job = to_manifest(build_workflow(make_job(), context))
    cron = to_manifest(build_cron_workflow(make_definition(), context))
    # THEN both (a cron's runs through its workflowSpec) carry the same ttlStrategy and podGC, schema-valid
    for spec in (job["spec"], cron["spec"]["workflowSpec"]):
        assert spec.get("ttlStrategy") == ttl and spec.get("podGC") == pod_gc
    argo_schema_validator(job)
    argo_schema_validator(cron)


@pytest.mark.parametrize(
    ("cleanup", "message"),
    [(Cleanup(ttl_seconds=0), "at least 1 second"), (Cleanup(pod_gc_strategy="OnPodFailure"), "OnPodSuccess, OnPodCompletion")],
    ids=["zero-ttl", "unknown-strategy"],
)
def test_a_clean_up_argo_cannot_do_is_refused(cleanup, message):
    with pytest.raises(BuildError, match=message):
        build_workflow(make_job(), BuildContext(**{**CONTEXT.__dict__, "cleanup": cleanup}))
