"""Fixtures for the cluster engines, each against its fake; `cluster` runs a test once per engine (ids argo, kubernetes).

The argo engine reaches its fake two ways:
- `argo_engine` (and `argo_fake`): through Prism, which checks every request
  against Argo's swagger. Prism routes by the swagger's paths, so it is
  addressed at its root; it forwards to the fake under the base path
  /argo/, so the fake's base-path handling is exercised there too.
- `argo_direct_engine` (and `argo_direct_fake`): straight to a fake served
  under /argo/, for what Prism would hide or change — the engine's own
  base-path joining, dropped connections, timeouts, TLS, a missing token
  (Prism answers that itself).

The kubernetes engine talks to one fake Kubernetes API for the session,
emptied for each test, which validates Argo's objects against the CRDs,
with a token file as a server pointed at an API endpoint does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import pytest
import requests
from support import argo_helpers, k8s_helpers
from support.fake_argo import FakeArgo
from support.fake_kube_api import FakeKubeApi
from support.fixtures import emptied
from support.manifests import NAMESPACE
from support.prism import Prism, PrismUnavailable

from argo_scheduler.engines.cluster.argo import ArgoEngine, ArgoServerError
from argo_scheduler.engines.cluster.base import ClusterApiError, ClusterEngine
from argo_scheduler.engines.cluster.kubernetes import KubernetesApiError, KubernetesEngine

# The "type" of every answer Prism makes up itself (422, 404 no route, 401 no token, ...).
PRISM_ERROR = "stoplight.io/prism/errors#"


# ---- the argo engine -----------------------------------------------------------


@pytest.fixture(scope="session")
def prism_upstream() -> Iterator[FakeArgo]:
    with FakeArgo(token=argo_helpers.TOKEN, base_path="/argo/") as fake:
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
def argo_fake(prism_upstream: FakeArgo) -> Iterator[FakeArgo]:
    """The fake behind Prism, emptied for each test."""
    yield from emptied(prism_upstream)


@pytest.fixture
def argo_engine(prism: Prism, argo_fake: FakeArgo) -> Iterator[ArgoEngine]:
    """An engine talking to the fake through Prism; afterwards, the contract is checked.

    Every response the engine received must come from the fake, not from
    Prism: no 422 or sl-violations (a request, or the fake's answer, breaking
    Argo's swagger), no Prism error document, and exactly the requests the
    fake recorded.
    """
    engine = argo_helpers.make_engine(prism.url)
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
    arrived = [(r.method, r.path) for r in argo_fake.log]
    assert sent == arrived, f"requests the fake did not see (Prism answered them): {set(sent) ^ set(arrived)}"


@pytest.fixture
def argo_direct_fake() -> Iterator[FakeArgo]:
    with FakeArgo(token=argo_helpers.TOKEN, base_path="/argo/") as fake:
        yield fake


@pytest.fixture
def argo_direct_engine(argo_direct_fake: FakeArgo) -> Iterator[ArgoEngine]:
    engine = argo_helpers.make_engine(argo_direct_fake.url)
    yield engine
    engine.close()


# ---- the kubernetes engine -------------------------------------------------------


@pytest.fixture(scope="session")
def kube_session_fake() -> Iterator[FakeKubeApi]:
    with FakeKubeApi(token=k8s_helpers.TOKEN) as fake:
        yield fake


@pytest.fixture
def kube_fake(kube_session_fake: FakeKubeApi) -> Iterator[FakeKubeApi]:
    yield from emptied(kube_session_fake)


@pytest.fixture
def api_token() -> str:
    """The token the Kubernetes API fake accepts, in `token_file` (the argo engine's tests use none)."""
    return k8s_helpers.TOKEN


@pytest.fixture
def kube_engine(kube_fake: FakeKubeApi, token_file: str) -> Iterator[KubernetesEngine]:
    engine = k8s_helpers.make_engine(kube_fake.url, token_file)
    yield engine
    engine.close()


# ---- either ------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """One cluster engine and its fake, and how that engine's API spells what a shared test looks at."""

    engine: ClusterEngine
    fake: Any
    # Where its configuration goes in messages: "c.ArgoEngine"; what its messages call the server.
    settings: str
    server: str
    error: type[ClusterApiError]
    # The API paths of the namespace's workflows and cron workflows.
    workflows: str
    crons: str
    # A listing's query parameters: the label selector, the page size, the continue token.
    selector: str
    limit: str
    continue_: str
    # The HTTP status of a successful create, and the body that creates `manifest`.
    created: int
    body: Callable[[dict], Any]
    # The token the engine sends.
    token: str
    # The query a create or replacement carries (the kubernetes engine asks for strict field validation).
    write_query: dict
    # A fake no proxy stands before (for dropped connections and timeouts), and an engine on it with
    # traits (`host` elsewhere, for one that is not there).
    direct_fake: Any
    direct_engine: Callable[..., ClusterEngine]
    # The API's URL for a server at 127.0.0.1:`port`, as the engine names it in messages.
    url_at: Callable[[int], str]
    # The object a create or replacement request carried.
    sent: Callable[[Any], dict]


@pytest.fixture
def argo_cluster(argo_engine, argo_fake, argo_direct_fake) -> Cluster:
    return Cluster(
        engine=argo_engine, fake=argo_fake, settings="c.ArgoEngine", server="The Argo Server", error=ArgoServerError,
        workflows=f"/api/v1/workflows/{NAMESPACE}", crons=f"/api/v1/cron-workflows/{NAMESPACE}",
        selector="listOptions.labelSelector", limit="listOptions.limit", continue_="listOptions.continue",
        created=200, write_query={}, direct_fake=argo_direct_fake, token=argo_helpers.TOKEN,
        body=lambda manifest: {"workflow" if manifest["kind"] == "Workflow" else "cronWorkflow": manifest,
                               "namespace": NAMESPACE},
        direct_engine=lambda **traits: argo_helpers.make_engine(traits.pop("host", argo_direct_fake.url), **traits),
        url_at=lambda port: f"http://127.0.0.1:{port}/argo/",
        sent=lambda request: request.body.get("workflow") or request.body.get("cronWorkflow"),
    )


@pytest.fixture
def kubernetes_cluster(kube_engine, kube_fake, token_file) -> Cluster:
    return Cluster(
        engine=kube_engine, fake=kube_fake, settings="c.KubernetesEngine", server="The Kubernetes API", error=KubernetesApiError,
        workflows=f"{k8s_helpers.CRDS}/workflows", crons=f"{k8s_helpers.CRDS}/cronworkflows",
        selector="labelSelector", limit="limit", continue_="continue",
        created=201, write_query={"fieldValidation": "Strict"}, direct_fake=kube_fake, token=k8s_helpers.TOKEN,
        body=lambda manifest: manifest,
        direct_engine=lambda **traits: k8s_helpers.make_engine(traits.pop("host", kube_fake.url), token_file, **traits),
        url_at=lambda port: f"http://127.0.0.1:{port}",
        sent=lambda request: request.body,
    )


@pytest.fixture(params=["argo", "kubernetes"])
def cluster(request) -> Cluster:
    """Each cluster engine in turn, with its fake: for what ClusterEngine does for both."""
    return request.getfixturevalue(f"{request.param}_cluster")
