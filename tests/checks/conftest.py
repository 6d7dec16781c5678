"""Fixtures for the submission checks: the fake Kubernetes API, a fake Argo Server, schedulers on both."""

from __future__ import annotations

from typing import Iterator

import pytest
from traitlets.config import Config

from support.argo_helpers import make_engine
from support.manifests import NAMESPACE
from support.fake_argo import FakeArgo
from check_helpers import COMPUTE_TYPES, TOKEN
from support.fake_kube_api import FakeKubeApi


@pytest.fixture
def kube() -> Iterator[FakeKubeApi]:
    with FakeKubeApi(TOKEN) as fake:
        yield fake


@pytest.fixture
def api_token() -> str:
    return TOKEN


@pytest.fixture
def argo() -> Iterator[FakeArgo]:
    with FakeArgo(base_path="/argo/") as fake:
        yield fake


@pytest.fixture
def make_scheduler(scheduler_home, kube, token_file, argo):
    """A real ArgoScheduler on the Argo engine (fake Argo Server) whose Kubernetes API is the fake one."""

    def make(kubernetes: bool = True, **traits):
        config = Config()
        config.ArgoEnvironmentManager.compute_types = COMPUTE_TYPES
        if kubernetes:
            config.KubernetesSecrets.host = kube.url
            config.KubernetesSecrets.token_file = token_file
        config.KubernetesSecrets.request_timeout = 5.0
        scheduler = scheduler_home.scheduler(
            config, engine="argo", namespace=NAMESPACE, owner="ana@example.com", image="img:1", **traits
        )
        scheduler.engine_instance = make_engine(argo.url, config=config)
        return scheduler

    return make


@pytest.fixture
def make_local_scheduler(scheduler_home, tmp_path):
    """A real ArgoScheduler on the local engine in its own state dir; its cron agent is stopped afterwards."""
    from argo_scheduler.engines.local.agent_control import stop_agent

    state_dir = tmp_path / "engine"

    def make(**traits):
        config = Config()
        config.LocalEngine.state_dir = str(state_dir)
        return scheduler_home.scheduler(config, engine="local", image="img:1", owner="ana@example.com", **traits)

    yield make
    stop_agent(state_dir)
