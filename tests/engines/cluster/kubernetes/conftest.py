"""Fixtures for KubernetesEngine: a fake Kubernetes API serving Argo's CRDs, validated against them.

`fake` is one server for the session, emptied for each test; `engine` talks
to it with a token file, as a server pointed at an API endpoint does.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from support.fake_kube_api import FakeKubeApi
from support.k8s_helpers import TOKEN, make_engine

from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine


@pytest.fixture(scope="session")
def session_fake() -> Iterator[FakeKubeApi]:
    with FakeKubeApi(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def fake(session_fake: FakeKubeApi) -> Iterator[FakeKubeApi]:
    session_fake.reset()
    yield session_fake
    session_fake.reset()


@pytest.fixture
def api_token() -> str:
    return TOKEN


@pytest.fixture
def engine(fake: FakeKubeApi, token_file: str) -> Iterator[KubernetesEngine]:
    engine = make_engine(fake.url, token_file)
    yield engine
    engine.close()
