"""The `nebari` mutator: the labels the Nebari workflow controller acts on, on the Workflow itself."""

from __future__ import annotations

import re

import pytest
from podspec_helpers import (
    LABEL_VALUE,
    OWNER,
    assert_kubernetes_would_accept,
    context,
    make_definition,
    make_job,
    mutated,
    pod_dict,
    render,
    workflow_spec,
)

from argo_scheduler.podspec.nebari import NebariPodSpecMutator, nebari_label_value
from argo_scheduler.workflow import build_workflow, to_manifest

OVERRIDE = "jupyterflow-override"
PREFERRED = "workflows.argoproj.io/creator-preferred-username"


def controller_decodes(label: str) -> str:
    """How the Nebari workflow controller turns the label back into a Keycloak user name."""
    return re.sub(r"-([A-Za-z0-9][A-Za-z0-9])", lambda m: chr(int(m.group(1), 16)), label)


def test_labels_the_pod_for_the_controller():
    pod = mutated([NebariPodSpecMutator()])
    assert pod.metadata.labels[OVERRIDE] == "true"
    assert pod.metadata.labels[PREFERRED] == "ana-2eperez-40example-2ecom"
    # AND the builder's labels stay
    assert pod.metadata.labels["app.kubernetes.io/managed-by"] == "argo-scheduler"


def test_the_workflow_object_carries_the_labels(argo_schema_validator):
    # GIVEN a job rendered with the nebari mutator
    manifest = render([NebariPodSpecMutator()])
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    # THEN the Workflow's own labels, which the webhook reads, have them
    labels = manifest["metadata"]["labels"]
    assert labels[OVERRIDE] == "true" and labels[PREFERRED] == "ana-2eperez-40example-2ecom"
    # AND so does its pods' metadata
    assert manifest["spec"]["podMetadata"]["labels"][OVERRIDE] == "true"


def test_a_cron_workflows_runs_carry_the_override_label_and_the_cron_workflow_does_not(argo_schema_validator):
    """GIVEN a definition rendered with the nebari mutator
    THEN the CronWorkflow itself lacks `jupyterflow-override` (the controller would dress the stored
    CronWorkflow, and then each run, which inherits that spec, a second time), while every run gets it."""
    manifest = render([NebariPodSpecMutator()], cron=True)
    argo_schema_validator(manifest)
    own = manifest["metadata"]["labels"]
    assert OVERRIDE not in own
    # AND the creator's name stays on the CronWorkflow, where the controller looks up who made a run
    assert own[PREFERRED] == "ana-2eperez-40example-2ecom"
    # AND Argo's cron controller copies spec.workflowMetadata onto each run it creates
    assert manifest["spec"]["workflowMetadata"]["labels"][OVERRIDE] == "true"
    assert manifest["spec"]["workflowMetadata"]["labels"][PREFERRED] == "ana-2eperez-40example-2ecom"
    assert workflow_spec(manifest)["workflowMetadata"]["labels"][OVERRIDE] == "true"
    assert workflow_spec(manifest)["podMetadata"]["labels"][OVERRIDE] == "true"


def test_the_configured_scheduler_keeps_the_override_label_off_cron_workflows(make_scheduler):
    """GIVEN c.ArgoScheduler.podspec_mutators = ["nebari"] WHEN the scheduler renders a definition
    THEN the CronWorkflow object lacks the override label and its runs carry it."""
    from traitlets.config import Config

    config = Config()
    config.ArgoScheduler.podspec_mutators = ["nebari"]
    manifest = make_scheduler(config).render_definition(make_definition())
    assert OVERRIDE not in manifest["metadata"]["labels"]
    assert manifest["spec"]["workflowMetadata"]["labels"][OVERRIDE] == "true"


@pytest.mark.parametrize(
    "username, label",
    [
        ("jovyan", "jovyan"),
        ("user@email.com", "user-40email-2ecom"),
        ("ana.perez@example.com", "ana-2eperez-40example-2ecom"),
        ("Ana-Perez", "ana-2dperez"),
        ("Zoë", "zo-eb"),
    ],
    ids=["plain", "nebari-docs-example", "email", "capital-and-dash", "unicode"],
)
def test_the_user_name_is_encoded_as_the_controller_decodes_it(username, label):
    assert nebari_label_value(username) == label
    assert controller_decodes(label) == username.lower()


@pytest.mark.parametrize(
    "username", ["a" * 70, "_svc", "用户", "Zoë O'Neil"], ids=["too-long", "leading-underscore", "cjk", "apostrophe"]
)
def test_any_user_name_gives_a_valid_label(username, argo_schema_validator):
    value = nebari_label_value(username)
    assert LABEL_VALUE.match(value) and len(value) <= 63
    argo_schema_validator(render([NebariPodSpecMutator()], owner=username))


def test_user_name_comes_from_config_then_owner_then_preferred_username(monkeypatch):
    monkeypatch.setenv("PREFERRED_USERNAME", "fromenv")
    assert mutated([NebariPodSpecMutator()], owner="owner").metadata.labels[PREFERRED] == "owner"
    assert mutated([NebariPodSpecMutator()], owner=None).metadata.labels[PREFERRED] == "fromenv"
    configured = NebariPodSpecMutator(preferred_username="configured")
    assert mutated([configured], owner="owner").metadata.labels[PREFERRED] == "configured"


def test_without_any_user_name_it_says_what_to_set(monkeypatch):
    monkeypatch.delenv("PREFERRED_USERNAME", raising=False)
    with pytest.raises(ValueError, match="PREFERRED_USERNAME"):
        mutated([NebariPodSpecMutator()], owner=None)


def test_mutating_twice_gives_the_same_pod():
    mutator = NebariPodSpecMutator()
    assert pod_dict(mutated([mutator], times=2)) == pod_dict(mutated([mutator]))


def test_a_mutation_cannot_move_a_workflow_out_of_the_schedulers_selectors():
    # GIVEN a mutation that rewrites the owner label on the pod
    def relabel(pod, spec):
        pod.metadata.labels = {**pod.metadata.labels, "argo-scheduler/owner": "someone-else", "team": "a"}

    manifest = to_manifest(build_workflow(make_job(), context(OWNER, pod_mutations=[relabel])))
    # THEN the Workflow keeps the builder's owner label and gains the new one
    labels = manifest["metadata"]["labels"]
    assert labels["argo-scheduler/owner"] != "someone-else" and labels["team"] == "a"
