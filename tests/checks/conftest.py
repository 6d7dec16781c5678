"""Fixtures for the submission checks: the fake Kubernetes API, a fake Argo Server, schedulers on both."""

from __future__ import annotations

from typing import Iterator

import pytest
from traitlets.config import Config

from support.argo_helpers import make_engine
from support.manifests import NAMESPACE
from support.fake_argo import FakeArgo
from check_helpers import COMPUTE_TYPES, TOKEN


@pytest.fixture
def api_token() -> str:
    return TOKEN


@pytest.fixture
def argo() -> Iterator[FakeArgo]:
    with FakeArgo(base_path="/argo/") as fake:
        yield fake


@pytest.fixture
def make_argo_scheduler(make_scheduler, kube, token_file, argo):
    """A real ArgoScheduler on the Argo engine (fake Argo Server) whose Kubernetes API is the fake one."""

    def make(kubernetes: bool = True, **traits):
        config = Config()
        config.ArgoEnvironmentManager.compute_types = COMPUTE_TYPES
        if kubernetes:
            config.KubernetesSecrets.host = kube.url
            config.KubernetesSecrets.token_file = token_file
        config.KubernetesSecrets.request_timeout = 5.0
        return make_scheduler(config, engine=make_engine(argo.url, config=config), namespace=NAMESPACE, **traits)

    return make
