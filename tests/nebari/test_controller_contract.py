"""Our manifests through the Nebari workflow controller's own `mutate` and `validate` (2023.7.1).

Nebari registers the controller as a mutating webhook for the CREATE of
workflows and cronworkflows, and as a validating webhook for the CREATE of
workflows (stages/kubernetes_services, argo-workflows/main.tf). Each case
here is one such CREATE: a job's Workflow or a definition's CronWorkflow
submitted through Argo Server, or a run Argo's cron controller creates
from the CronWorkflow as it was stored. What must hold: the controller
allows it, dresses every container template exactly once (the exit
handler's too), leaves our command, arguments and labels alone, and the
result is a Workflow Argo's schema and Kubernetes' pod validation accept.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
from nebari_controller import (
    CRON_WORKFLOW_LABEL,
    CREATOR_LABEL,
    NAMESPACE,
    PREFERRED_LABEL,
    SAFE_USERNAME,
    USERNAME,
    admission_review,
    answer,
    argo_server_creates,
    argo_server_updates,
    assert_kubernetes_accepts,
    cron_controller_runs,
    jupyterlab_pod,
    patched,
    pods,
    workflow_spec,
)
from support.samples import sample_definition, sample_job

from argo_scheduler.engines.cluster.objects import prepare, replacement
from argo_scheduler.environments.compute import parse_compute_type
from argo_scheduler.podspec.nebari import OVERRIDE_LABEL, NebariPodSpecMutator
from argo_scheduler.workflow import (
    EXIT_TEMPLATE,
    RECORD_FAILURE_TEMPLATE,
    RUN_TEMPLATE,
    BuildContext,
    build_cron_workflow,
    build_workflow,
    to_manifest,
)

LAB = jupyterlab_pod()["spec"]
LAB_CONTAINER = LAB["containers"][0]
PARAMETERS = {"region": "eu-west", "n": "5"}
# Requests and limits both set: the controller merges JupyterLab's resources under ours (see
# test_a_compute_type_without_limits_can_be_pushed_over_jupyterlabs).
COMPUTE = parse_compute_type("large", {"cpu_request": "4", "cpu_limit": "4", "memory_request": "8Gi",
                                       "memory_limit": "16Gi",
                                       "node_selector": {"eks.amazonaws.com/nodegroup": "user"}})
TOKENS = ["sso", "service-account"]


def context(mutator=None) -> BuildContext:
    mutator = mutator or NebariPodSpecMutator()
    return BuildContext(
        staging_path=f"/home/{USERNAME}/.local/share/jupyter/scheduler_staging_area",
        image="quay.io/nebari/nebari-jupyterlab:2024.7.1",
        db_url=f"sqlite:////home/{USERNAME}/.local/share/jupyter/scheduler.sqlite",
        owner=USERNAME,
        namespace=NAMESPACE,
        environment_mutations=[COMPUTE.mutate],
        pod_mutations=[mutator.mutate],
        run_only_labels=mutator.run_only_labels,
    )


def job_manifest(**overrides) -> dict:
    job = sample_job(**{"parameters": PARAMETERS, "compute_type": "large", **overrides})
    return to_manifest(build_workflow(job, context()))


def cron_manifest(**overrides) -> dict:
    definition = sample_definition(**{"parameters": PARAMETERS, "compute_type": "large", **overrides})
    return to_manifest(build_cron_workflow(definition, context()))


def admit(controller, obj: dict, validate: bool = True) -> tuple[dict, dict]:
    """kube-apiserver's CREATE of `obj`: the mutating webhook, its patch applied, then the validating one."""
    review = admission_review(obj)
    mutation = answer(controller.mutate(review), review)
    if not mutation["allowed"]:
        return mutation, obj
    result = patched(obj, mutation)
    if validate:
        review = admission_review(result)
        validation = answer(controller.validate(review), review)
        assert validation["allowed"], validation["status"]["message"]
    return mutation, result


def store_cron(controller, kube, manifest: dict, token: str = "service-account") -> dict:
    """The CronWorkflow as kube-apiserver stores it after a CREATE through Argo Server (no validating webhook)."""
    mutation, stored = admit(controller, argo_server_creates(manifest, token), validate=False)
    assert mutation["allowed"], mutation["status"]["message"]
    kube.add("cronworkflows", stored)
    return stored


def denial(response: dict) -> str:
    assert not response["allowed"]
    return response["status"]["message"]


def assert_dressed_once(rendered: dict, dressed: dict, argo_schema_validator) -> None:
    """Every container template carries JupyterLab's settings once, and nothing of ours changed."""
    argo_schema_validator(dressed)
    ours = {t["name"]: t for t in workflow_spec(rendered)["templates"]}
    spec = dressed["spec"]
    assert spec["arguments"] == workflow_spec(rendered)["arguments"]
    # our labels stay (Argo Server, not the controller, rewrites the creator's from an SSO token's claims)
    labels = (rendered["spec"].get("workflowMetadata") or rendered["metadata"])["labels"]
    assert {k: v for k, v in labels.items() if k != PREFERRED_LABEL}.items() <= dressed["metadata"]["labels"].items()
    containers = [t for t in spec["templates"] if "container" in t]
    assert {t["name"] for t in containers} == {RUN_TEMPLATE, RECORD_FAILURE_TEMPLATE}
    for template in containers:
        container, before = template["container"], ours[template["name"]]["container"]
        where = template["name"]
        # our command line is ours
        assert container["command"] == before["command"] and container["args"] == before["args"], where
        # JupyterLab's image, and each of its mounts, variables, init containers and volumes once
        assert container["image"] == LAB_CONTAINER["image"], where
        paths = [m["mountPath"] for m in container["volumeMounts"]]
        for mount in LAB_CONTAINER["volumeMounts"]:
            assert paths.count(mount["mountPath"]) == 1, (where, mount["mountPath"], paths)
        env = [e["name"] for e in container["env"]]
        for variable in LAB_CONTAINER["env"]:
            assert env.count(variable["name"]) == 1, (where, variable["name"])
        init = [c["name"] for c in template.get("initContainers", [])]
        assert sorted(init) == sorted(c["name"] for c in LAB["initContainers"]), where
        volumes = [v["name"] for v in [*(spec.get("volumes") or []), *template.get("volumes", [])]]
        for volume in LAB["volumes"]:
            assert volumes.count(volume["name"]) == 1, (where, volume["name"], volumes)
    # the exit handler's pod sees the same files as the run's
    by_name = {t["name"]: t for t in containers}
    assert by_name[RECORD_FAILURE_TEMPLATE]["container"]["volumeMounts"] == by_name[RUN_TEMPLATE]["container"][
        "volumeMounts"]
    assert any(t["name"] == EXIT_TEMPLATE for t in spec["templates"]) and spec["onExit"] == EXIT_TEMPLATE
    for name, pod in pods(dressed).items():
        assert_kubernetes_accepts(pod)


# ---- a job ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", TOKENS)
def test_a_jobs_workflow_is_dressed_once(controller, token, argo_schema_validator):
    """GIVEN a job's Workflow submitted through Argo Server (a user's SSO token, or Nebari's shared token)
    WHEN kube-apiserver asks the controller THEN it is allowed and dressed once, the exit handler too."""
    rendered = job_manifest()
    mutation, dressed = admit(controller, argo_server_creates(rendered, token))
    assert mutation["allowed"] and "patch" in mutation
    assert_dressed_once(rendered, dressed, argo_schema_validator)


# ---- a definition and its runs ----------------------------------------------------------------------


def test_a_definitions_cron_workflow_is_stored_as_rendered(controller, kube):
    """GIVEN a definition's CronWorkflow WHEN it is created THEN the controller allows it without dressing it:
    it carries no `jupyterflow-override` of its own, so its runs start from our spec."""
    rendered = cron_manifest()
    created = argo_server_creates(rendered, "service-account")
    review = admission_review(created)
    mutation = answer(controller.mutate(review), review)
    assert mutation["allowed"] and "patch" not in mutation
    # AND the run template is the one we rendered
    assert workflow_spec(patched(created, mutation)) == workflow_spec(rendered)


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("propagates_creator", [False, True], ids=["argo-3.5", "argo-3.6+"])
def test_each_cron_run_is_dressed_once(controller, kube, token, propagates_creator, argo_schema_validator):
    """GIVEN the stored CronWorkflow WHEN Argo's cron controller creates a run from it (with or without copying
    the creator labels, as Argo 3.6+ and earlier do) THEN the controller finds the user through the run's parent
    or its creator label, and the run is dressed exactly once."""
    rendered = cron_manifest()
    stored = store_cron(controller, kube, rendered, token)
    run = cron_controller_runs(stored, propagates_creator=propagates_creator)
    assert run["metadata"]["labels"][OVERRIDE_LABEL] == "true"
    mutation, dressed = admit(controller, run)
    assert mutation["allowed"], mutation.get("status")
    assert_dressed_once(rendered, dressed, argo_schema_validator)


@pytest.mark.parametrize("found_by", [CREATOR_LABEL, CRON_WORKFLOW_LABEL], ids=["creator-label", "parent"])
def test_a_run_is_dressed_once_whichever_label_the_controller_trusts(
    controller, kube, found_by, monkeypatch, argo_schema_validator
):
    """GIVEN a run carrying both labels Argo's workflow-controller set (creator, copied from the CronWorkflow,
    and cron-workflow) — the controller trusts whichever its `set` of candidates yields first, an order
    Python's string hashing decides per process. WHEN each is the one it picks THEN both lead to the user."""
    from nebari_workflow_controller import utils

    stored = store_cron(controller, kube, cron_manifest())
    run = cron_controller_runs(stored, propagates_creator=True)
    assert utils.sent_by_argo(run) in {CREATOR_LABEL, CRON_WORKFLOW_LABEL}
    # The one stand-in for the controller's code: which of the two candidates comes first.
    real = utils.sent_by_argo
    monkeypatch.setattr(
        utils, "sent_by_argo", lambda wf: found_by if CRON_WORKFLOW_LABEL in wf["metadata"]["labels"] else real(wf)
    )
    mutation, dressed = admit(controller, run)
    assert mutation["allowed"], mutation.get("status")
    assert_dressed_once(cron_manifest(), dressed, argo_schema_validator)


def test_an_edited_cron_workflows_runs_are_dressed_once(controller, kube, argo_schema_validator):
    """GIVEN a stored CronWorkflow WHEN the definition is edited (update_cron PUTs a replacement, an UPDATE the
    webhook does not see) THEN the next run has the new parameters and is dressed once."""
    stored = store_cron(controller, kube, cron_manifest())
    edited = cron_manifest(parameters={"region": "us-east"})
    body, _ = prepare(edited, "CronWorkflow", NAMESPACE, "ArgoEngine")
    kube.add("cronworkflows", argo_server_updates(stored, replacement(stored, body)))
    run = cron_controller_runs(kube.objects["cronworkflows"][(NAMESPACE, stored["metadata"]["name"])])
    mutation, dressed = admit(controller, run)
    assert mutation["allowed"], mutation.get("status")
    assert_dressed_once(edited, dressed, argo_schema_validator)
    assert "us-east" in dressed["spec"]["arguments"]["parameters"][0]["value"]


def test_a_cron_workflow_labelled_for_the_controller_has_its_runs_dressed_twice_until_edited(
    controller, kube, argo_schema_validator
):
    """GIVEN a CronWorkflow carrying `jupyterflow-override` itself, as this package rendered it before
    WHEN it is created THEN the controller dresses the stored CronWorkflow, and a run (labelled through
    workflowMetadata) is dressed again: repeated mounts, init containers and volumes, a pod Kubernetes refuses.
    WHEN the definition is then edited THEN the replacement spec is undressed (the webhook does not see
    UPDATE), and although the old label stays on the object, runs are dressed once."""
    legacy = cron_manifest()
    legacy["metadata"]["labels"][OVERRIDE_LABEL] = "true"
    stored = store_cron(controller, kube, legacy)
    run_template = next(t for t in workflow_spec(stored)["templates"] if t["name"] == RUN_TEMPLATE)
    assert run_template["container"]["image"] == LAB_CONTAINER["image"]  # dressed at CREATE
    _, twice = admit(controller, cron_controller_runs(stored))
    with pytest.raises(AssertionError, match="duplicate"):
        assert_kubernetes_accepts(pods(twice)[RUN_TEMPLATE])

    body, _ = prepare(cron_manifest(), "CronWorkflow", NAMESPACE, "ArgoEngine")
    edited = argo_server_updates(stored, replacement(stored, body))
    assert edited["metadata"]["labels"][OVERRIDE_LABEL] == "true"
    kube.add("cronworkflows", edited)
    mutation, dressed = admit(controller, cron_controller_runs(edited))
    assert mutation["allowed"]
    assert_dressed_once(cron_manifest(), dressed, argo_schema_validator)


# ---- what the controller refuses, and what our advice says -------------------------------------------


def refusal_cases():
    def no_pod(kube):
        kube.objects["pods"].clear()

    def kubespawner_7(kube):
        kube.objects["pods"].clear()
        kube.add_pod(jupyterlab_pod(SAFE_USERNAME))

    return [
        pytest.param(no_pod, False, "must be running when workflow starts", "Start your JupyterLab server",
                     id="jupyterlab-not-running"),
        pytest.param(kubespawner_7, False, f"No pod found for user {USERNAME}", "hub.jupyter.org/username",
                     id="kubespawner-7-labels"),
        pytest.param(None, True, PREFERRED_LABEL, PREFERRED_LABEL, id="argo-server-drops-preferred-username"),
    ]


@pytest.mark.parametrize("setup, drops_claims, said, advice", refusal_cases())
@pytest.mark.parametrize("kind", ["job", "cron-run"])
def test_a_refusal_names_its_cause_and_our_advice_says_what_to_do(
    controller, kube, kind, setup, drops_claims, said, advice
):
    """GIVEN a deployment where the controller cannot dress a run WHEN a job is submitted, or a cron run is
    created THEN the controller denies it with a message naming the cause, and the nebari mutator's advice
    for that message says what the user can do."""
    if kind == "job":
        obj = argo_server_creates(job_manifest(), "service-account", drops_missing_claims=drops_claims)
    else:
        stored = store_cron(controller, kube, cron_manifest())
        if drops_claims:
            del stored["metadata"]["labels"][PREFERRED_LABEL]
            kube.add("cronworkflows", stored)
        obj = cron_controller_runs(stored, propagates_creator=False)
    if setup:
        setup(kube)
    review = admission_review(obj)
    message = denial(answer(controller.mutate(review), review))
    assert said in message
    advice_text = NebariPodSpecMutator().refusal_advice(message)
    assert advice_text and advice in advice_text


def test_a_workflow_created_without_argo_server_is_refused(controller):
    """GIVEN a job's Workflow created straight through the Kubernetes API (the kubernetes engine)
    THEN the controller refuses it, and the advice is to submit through Argo Server."""
    obj = argo_server_creates(job_manifest(), "service-account")
    obj["metadata"]["managedFields"][0]["manager"] = "OpenAPI-Generator"
    review = admission_review(obj)
    message = denial(answer(controller.mutate(review), review))
    assert "submitted via Argo Workflows" in message
    assert 'c.ArgoScheduler.engine = "argo"' in NebariPodSpecMutator().refusal_advice(message)


def test_other_refusals_get_no_nebari_advice():
    assert NebariPodSpecMutator().refusal_advice('admission webhook "quota.example" denied the request: over quota') is None


def test_the_runs_labels_are_what_the_controller_reads():
    """The labels the controller reads on a run and on its parent, as rendered (no controller needed)."""
    rendered = cron_manifest()
    assert OVERRIDE_LABEL not in rendered["metadata"]["labels"]
    assert rendered["metadata"]["labels"][PREFERRED_LABEL] == "ana-2eperez-40example-2ecom"
    run_labels = copy.deepcopy(rendered["spec"]["workflowMetadata"]["labels"])
    assert run_labels[OVERRIDE_LABEL] == "true" and run_labels[PREFERRED_LABEL] == "ana-2eperez-40example-2ecom"


def test_a_compute_type_without_limits_can_be_pushed_over_jupyterlabs(controller, argo_schema_validator):
    """GIVEN a compute type that requests 4 CPUs and sets no CPU limit WHEN the controller dresses the job
    THEN JupyterLab's CPU limit (2) is merged in under our request, and Kubernetes would refuse the pod:
    why docs/plugins/nebari.md asks for compute types that set both requests and limits."""
    compute = parse_compute_type("greedy", {"cpu_request": "4"})
    greedy = dataclasses.replace(context(), environment_mutations=[compute.mutate])
    rendered = to_manifest(build_workflow(sample_job(compute_type="greedy"), greedy))
    mutation, dressed = admit(controller, argo_server_creates(rendered, "sso"))
    assert mutation["allowed"]
    with pytest.raises(AssertionError, match="cpu request 4 exceeds its limit 2"):
        assert_kubernetes_accepts(pods(dressed)[RUN_TEMPLATE])
