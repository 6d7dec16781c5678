"""Where the engine connects: host and base path, namespace, TLS, from traits or the argo CLI's environment."""

from __future__ import annotations

import ssl

import pytest
import trustme
from support.argo_helpers import TOKEN, make_engine
from support.manifests import NAMESPACE, workflow_manifest
from support.fake_argo import FakeArgo
from traitlets import Unicode
from traitlets.config import Config, LoggingConfigurable

from argo_scheduler.engines.cluster.argo import ArgoEngine, normalise_host
from argo_scheduler.engines.base import EngineError

ARGO_ENV = ["ARGO_SERVER", "ARGO_BASE_HREF", "ARGO_SECURE", "ARGO_NAMESPACE", "ARGO_TOKEN", "ARGO_INSECURE_SKIP_VERIFY"]


@pytest.fixture
def argo_env(monkeypatch):
    """A clean slate of the argo CLI's environment variables; returns a setter."""
    for name in ARGO_ENV:
        monkeypatch.delenv(name, raising=False)
    return lambda **values: [monkeypatch.setenv(k, v) for k, v in values.items()]


HOSTS = {
    "base-path-without-slash": ("https://argo.example.com/argo", "https://argo.example.com/argo/"),
    "base-path-with-slash": ("https://argo.example.com/argo/", "https://argo.example.com/argo/"),
    "nested-base-path": ("https://example.com/argo/workflows", "https://example.com/argo/workflows/"),
    "no-scheme-means-https": ("argo-server.argo.svc:2746", "https://argo-server.argo.svc:2746/"),
    "root": ("http://127.0.0.1:2746", "http://127.0.0.1:2746/"),
}


@pytest.mark.parametrize("host, base_url", HOSTS.values(), ids=HOSTS.keys())
def test_host_is_normalised_for_joining(host, base_url):
    # GIVEN a configured host WHEN normalised THEN "api/v1/..." joins under its base path
    assert normalise_host(host) == base_url


ENVIRONMENTS = {
    "server-and-base-href": (
        dict(ARGO_SERVER="argo-server.argo.svc:2746", ARGO_BASE_HREF="/argo/"),
        "https://argo-server.argo.svc:2746/argo/",
    ),
    "base-href-without-slashes": (
        dict(ARGO_SERVER="argo.example.com:443", ARGO_BASE_HREF="argo"),
        "https://argo.example.com:443/argo/",
    ),
    "insecure-plain-http": (
        dict(ARGO_SERVER="argo-server.argo:2746", ARGO_SECURE="false"),
        "http://argo-server.argo:2746/",
    ),
    "server-given-as-url": (
        dict(ARGO_SERVER="https://argo.example.com", ARGO_BASE_HREF="/"),
        "https://argo.example.com/",
    ),
    "nothing-set": ({}, ""),
}


@pytest.mark.parametrize("env, host", ENVIRONMENTS.values(), ids=ENVIRONMENTS.keys())
def test_host_defaults_to_the_argo_cli_environment(argo_env, env, host):
    # GIVEN the environment variables the argo CLI and argo-jupyter-scheduler read
    argo_env(**env)
    # WHEN no host is configured THEN it is built from them
    assert ArgoEngine().host == host


def test_no_host_is_explained(argo_env):
    # GIVEN no host anywhere WHEN the engine is used THEN the error says how to configure one
    with pytest.raises(EngineError, match=r"No Argo Server is configured: set c.ArgoEngine.host"):
        ArgoEngine().status()


class _Parent(LoggingConfigurable):
    namespace = Unicode("from-the-scheduler")


@pytest.mark.parametrize(
    "parent, env, expected",
    [
        (True, {"ARGO_NAMESPACE": "from-env"}, "from-the-scheduler"),
        (False, {"ARGO_NAMESPACE": "from-env"}, "from-env"),
        (False, {}, "default"),
    ],
    ids=["parent-namespace-wins", "env", "default"],
)
def test_namespace_default(argo_env, parent, env, expected):
    # GIVEN an engine owned by a scheduler with a namespace, or not, and ARGO_NAMESPACE
    argo_env(**env)
    engine = ArgoEngine(parent=_Parent()) if parent else ArgoEngine()
    # THEN the namespace follows the scheduler first, then the environment
    assert engine.namespace == expected


def test_environment_gives_token_and_tls_defaults(argo_env):
    # GIVEN the argo CLI's token and insecure flag in the environment
    argo_env(ARGO_TOKEN="Bearer from-env", ARGO_INSECURE_SKIP_VERIFY="true")
    # THEN the engine uses them by default
    engine = ArgoEngine()
    assert (engine.token, engine.verify_ssl) == ("Bearer from-env", False)


def test_traitlets_config_wins(argo_env):
    # GIVEN jupyter_server_config.py settings and a conflicting environment
    argo_env(ARGO_SERVER="ignored:2746", ARGO_NAMESPACE="ignored")
    config = Config({"ArgoEngine": {"host": "https://argo.example.com/argo", "namespace": "jobs", "retries": 5}})
    # THEN the configuration is what the engine uses
    engine = ArgoEngine(config=config)
    assert (engine.base_url, engine.namespace, engine.retries) == ("https://argo.example.com/argo/", "jobs", 5)


@pytest.mark.parametrize("suffix", ["/argo", "/argo/"], ids=["without-slash", "with-slash"])
def test_base_path_host_reaches_the_api_under_it(suffix):
    # GIVEN Argo served under /argo/ (the fake answers nothing outside it) and the host written either way
    with FakeArgo(token=TOKEN, base_path="/argo/") as fake:
        engine = make_engine(f"http://127.0.0.1:{fake.port}{suffix}")
        # WHEN workflows are submitted and listed THEN the API was reached under the base path
        state = engine.submit(workflow_manifest())
        assert state.name in engine.status()
        assert [r.path for r in fake.requests()] == [f"/api/v1/workflows/{NAMESPACE}"] * 2


def test_tls_with_a_private_ca(tmp_path):
    # GIVEN an Argo Server whose certificate a private CA signed
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with FakeArgo(token=TOKEN, tls=context) as fake:
        # WHEN the engine does not know the CA THEN the error says how to trust it
        with pytest.raises(EngineError, match=r"TLS verification of the Argo Server .* failed.*c.ArgoEngine.ca_bundle"):
            make_engine(fake.url, retries=0).status()
        assert fake.requests() == []
        # WHEN it is given the CA, or told not to verify THEN it works
        assert make_engine(fake.url, ca_bundle=str(ca_file)).status() == {}
        assert make_engine(fake.url, verify_ssl=False).status() == {}


def test_a_missing_ca_bundle_is_refused_before_any_request(direct_engine, direct_fake):
    # GIVEN a CA bundle that is not a file WHEN the engine is used THEN it says so, and Argo saw nothing
    direct_engine.ca_bundle = "/nonexistent/ca.pem"
    with pytest.raises(EngineError, match="ca_bundle = '/nonexistent/ca.pem' is not a file"):
        direct_engine.status()
    assert direct_fake.requests() == []
