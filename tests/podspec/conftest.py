"""Fixtures for the built-in mutators: a fake Kubernetes API with a JupyterLab pod, a real ArgoScheduler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from podspec_helpers import LAB_NAMESPACE, OWNER, TOKEN
from traitlets.config import Config

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def singleuser_pod() -> dict:
    """A Zero-to-JupyterHub 4 single-user pod as the API returns it."""
    return json.loads((HERE / "singleuser_pod.json").read_text())


@pytest.fixture
def kube(kube, singleuser_pod):
    """The fake Kubernetes API, serving the JupyterLab pod."""
    kube.add_pod(singleuser_pod)
    return kube


@pytest.fixture
def api_token() -> str:
    return TOKEN


@pytest.fixture
def make_inherit(kube, token_file, singleuser_pod):
    """An InheritPodSpecMutator pointed at the fake API and the JupyterLab pod, prepared unless told not to."""
    from argo_scheduler.podspec.inherit import InheritPodSpecMutator

    def make(prepare: bool = True, **traits):
        settings = dict(
            host=kube.url,
            token_file=token_file,
            namespace=LAB_NAMESPACE,
            pod_name=singleuser_pod["metadata"]["name"],
        )
        mutator = InheritPodSpecMutator(**{**settings, **traits})
        if prepare:
            mutator.prepare()
        return mutator

    return make


@pytest.fixture
def make_scheduler(make_scheduler):
    """A real ArgoScheduler on the argo engine (nothing starts), configured like jupyter_server_config.py."""

    def make(config: Config | None = None):
        # The owner these tests' pods and paths are written for, unless the config names another.
        settings = Config({"ArgoScheduler": {"owner": OWNER}})
        settings.merge(config or Config())
        return make_scheduler(settings, engine="argo")

    return make
