"""Fixtures for ArgoEngine: a fake Argo Server, alone or behind Prism.

Two ways to reach the fake:
- `engine` (and `fake`): through Prism, which checks every request against
  Argo's swagger. Prism routes by the swagger's paths, so it is addressed at
  its root; it forwards to the fake under the base path /argo/, so the fake's
  base-path handling is exercised there too.
- `direct_engine` (and `direct_fake`): straight to a fake served under
  /argo/, for what Prism would hide or change — the engine's own base-path
  joining, dropped connections, timeouts, TLS, a missing token (Prism
  answers that itself).
"""

from __future__ import annotations

from typing import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from support.argo_helpers import TOKEN, make_engine
from support.prism import Prism, PrismUnavailable
from support.fake_argo import FakeArgo

from argo_scheduler.engines.cluster.argo import ArgoEngine

# The "type" of every answer Prism makes up itself (422, 404 no route, 401 no token, ...).
PRISM_ERROR = "stoplight.io/prism/errors#"


@pytest.fixture(scope="session")
def prism_upstream() -> Iterator[FakeArgo]:
    with FakeArgo(token=TOKEN, base_path="/argo/") as fake:
        yield fake


@pytest.fixture(scope="session")
def prism(prism_upstream: FakeArgo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    try:
        proxy = Prism(f"http://127.0.0.1:{prism_upstream.port}/argo", tmp_path_factory.mktemp("prism"))
        proxy.wait_listening()
    except PrismUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    yield proxy
    proxy.stop()


@pytest.fixture
def fake(prism_upstream: FakeArgo) -> Iterator[FakeArgo]:
    """The fake behind Prism, emptied for each test."""
    prism_upstream.reset()
    yield prism_upstream
    prism_upstream.reset()


@pytest.fixture
def engine(prism: Prism, fake: FakeArgo) -> Iterator[ArgoEngine]:
    """An engine talking to the fake through Prism; afterwards, the contract is checked.

    Every response the engine received must come from the fake, not from
    Prism: no 422 or sl-violations (a request, or the fake's answer, breaking
    Argo's swagger), no Prism error document, and exactly the requests the
    fake recorded.
    """
    engine = make_engine(prism.url)
    received: list[requests.Response] = []
    engine.session.hooks["response"].append(lambda response, **_: received.append(response))
    yield engine
    engine.close()
    violations = [
        f"{r.request.method} {r.request.url} -> {r.status_code}: {r.headers.get('sl-violations') or r.text[:500]}"
        for r in received
        if r.status_code == 422 or "sl-violations" in r.headers or PRISM_ERROR in r.text
    ]
    assert not violations, "Prism found requests or answers that break Argo's swagger:\n" + "\n".join(violations)
    sent = [(r.request.method, urlsplit(r.request.url).path) for r in received]
    arrived = [(r.method, r.path) for r in fake.log]
    assert sent == arrived, f"requests the fake did not see (Prism answered them): {set(sent) ^ set(arrived)}"


@pytest.fixture
def direct_fake() -> Iterator[FakeArgo]:
    with FakeArgo(token=TOKEN, base_path="/argo/") as fake:
        yield fake


@pytest.fixture
def direct_engine(direct_fake: FakeArgo) -> Iterator[ArgoEngine]:
    engine = make_engine(direct_fake.url)
    yield engine
    engine.close()
