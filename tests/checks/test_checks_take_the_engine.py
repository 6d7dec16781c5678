"""The submission checks ask the engine, never the scheduler: what it runs where, and which Secrets it stores."""

from __future__ import annotations

import json

import pytest

from argo_scheduler.checks import FAILED, OK, SKIPPED
from argo_scheduler.checks.submission import NotebookFacts, formats_check_for, manifest_checks, notebook_check_for
from argo_scheduler.engines.cluster.argo import ArgoEngine
from argo_scheduler.engines.base import Engine
from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine
from argo_scheduler.engines.local import LocalEngine


def _manifest(secret: str, key: str) -> dict:
    env = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}]
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "report-1"},
        "spec": {
            "entrypoint": "run",
            "templates": [{"name": "run", "container": {"image": "python:3.12", "env": env}}],
        },
    }


def _facts(tmp_path, kernel: str = "no-such-kernel", kernels_from_here: bool = False) -> NotebookFacts:
    path = tmp_path / "report.ipynb"
    path.write_text(json.dumps({
        "cells": [], "metadata": {"kernelspec": {"name": kernel, "display_name": kernel}},
        "nbformat": 4, "nbformat_minor": 5,
    }))
    return NotebookFacts(
        path=str(path), shown_as="report.ipynb", environment=None, imposed_kernel=None,
        kernels_from_here=kernels_from_here, output_formats=("ipynb",), offered_formats=None,
    )


@pytest.mark.parametrize(
    "engine_class, runs_here, stores_secrets",
    [(LocalEngine, True, True), (ArgoEngine, False, False), (KubernetesEngine, False, False), (Engine, False, False)],
    ids=["local", "argo", "kubernetes", "interface-default"],
)
def test_an_engine_says_where_its_runs_are_and_whether_it_stores_secrets_itself(
    tmp_path, engine_class, runs_here, stores_secrets
):
    # GIVEN an engine
    engine = engine_class(state_dir=str(tmp_path)) if engine_class is LocalEngine else engine_class()
    # WHEN the checks ask it
    # THEN it answers from its class, with nothing asked of a cluster
    assert engine.runs_here is runs_here
    assert (engine.stored_secret_keys() is not None) is stores_secrets


def test_the_local_engines_store_answers_the_secret_check(tmp_path):
    # GIVEN the local engine with Secret slack holding key token
    engine = LocalEngine(state_dir=str(tmp_path))
    engine.put_secret("slack", {"token": "xoxb-1"})
    # WHEN manifests referencing it are checked
    good = {c.name: c for c in manifest_checks(engine, "default", _manifest("slack", "token"))}
    bad = {c.name: c for c in manifest_checks(engine, "default", _manifest("slack", "channel"))}
    # THEN the store decides, and the cluster checks are skipped with the engine's reason
    assert good["secrets"].status == OK and "local engine's Secret store" in good["secrets"].message
    assert bad["secrets"].status == FAILED and "Secret slack has no key channel" in bad["secrets"].message
    assert good["resource quota"].status == SKIPPED
    assert "runs jobs on this machine" in good["resource quota"].message


@pytest.mark.parametrize(
    "engine_class, kernels_from_here, status",
    [(LocalEngine, False, FAILED), (ArgoEngine, False, OK), (ArgoEngine, True, FAILED)],
    ids=["local-engine", "cluster-image-kernel", "cluster-kernelspec-environment"],
)
def test_kernels_are_looked_for_here_when_the_engine_runs_here_or_the_environment_is_this_machines(
    tmp_path, engine_class, kernels_from_here, status
):
    # GIVEN a notebook whose kernel is installed nowhere
    facts = _facts(tmp_path, kernels_from_here=kernels_from_here)
    engine = engine_class(state_dir=str(tmp_path)) if engine_class is LocalEngine else engine_class()
    # WHEN the notebook and formats checks run for that engine
    check = notebook_check_for(engine, facts)
    # THEN the kernel is refused only where this machine's kernels are what the job gets
    assert check.status == status, check.message
    assert formats_check_for(engine, facts).status == OK

