"""Where the engine connects and as whom: host + token file, a kubeconfig, in-cluster; its namespace; lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.manifests import NAMESPACE, workflow_manifest
from support.k8s_helpers import TOKEN, make_engine
from traitlets.config import Config

from argo_scheduler.engines.base import EngineError
from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine


def _kubeconfig(path, server: str, token: str, namespace: str = NAMESPACE):
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "ana", "user": {"token": token}}],
        "contexts": [{"name": "lab", "context": {"cluster": "fake", "user": "ana", "namespace": namespace}}],
    }))
    return path


def test_kubeconfig_gives_server_and_credentials(fake, tmp_path):
    # GIVEN a kubeconfig whose current context points at the API server with a token
    kubeconfig = _kubeconfig(tmp_path / "kubeconfig", fake.url, TOKEN)
    engine = KubernetesEngine(kubeconfig=str(kubeconfig), namespace=NAMESPACE, retries=0)
    # WHEN a workflow is submitted THEN it is created with the kubeconfig's token
    engine.submit(workflow_manifest())
    [create] = fake.requests("POST")
    assert create.authorization == f"Bearer {TOKEN}"
    assert len(fake.workflows) == 1


def test_token_file_is_read_again_before_each_request(engine, fake, token_file):
    # GIVEN an engine that has already talked to the API server
    engine.status()
    # WHEN the token is rotated (the kubelet rewrites the projected token file)
    fake.token = "rotated-token"
    Path(token_file).write_text("rotated-token\n")
    # THEN the next request carries the new one
    engine.status()
    assert [r.authorization for r in fake.requests()] == [f"Bearer {TOKEN}", "Bearer rotated-token"]


def test_unreadable_token_file_is_explained(fake, tmp_path):
    # GIVEN a token file that does not exist WHEN the engine is used THEN the error names the file and the trait
    engine = make_engine(fake.url, tmp_path / "missing-token")
    with pytest.raises(EngineError, match=r"cannot read the API token file .*missing-token.*c.KubernetesEngine.token_file"):
        engine.status()
    assert fake.requests() == []


def test_no_usable_configuration_says_what_to_set(tmp_path, monkeypatch):
    # GIVEN a server outside a cluster with no kubeconfig anywhere
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    engine = KubernetesEngine(namespace=NAMESPACE)
    # WHEN it is used THEN the error says how to point it at an API server
    with pytest.raises(EngineError, match=r"cannot configure the Kubernetes client from \$KUBECONFIG or ~/.kube/config.*c.KubernetesEngine.kubeconfig.*c.KubernetesEngine.host"):
        engine.status()


def test_missing_kubeconfig_file_is_named(tmp_path):
    engine = KubernetesEngine(kubeconfig=str(tmp_path / "nope"), namespace=NAMESPACE)
    with pytest.raises(EngineError, match=r"from kubeconfig .*nope"):
        engine.status()


NAMESPACES = {
    "scheduler-namespace": (dict(namespace="team-jobs"), {"ARGO_NAMESPACE": "argo"}, "team-jobs"),
    "argo-namespace-env": ({}, {"ARGO_NAMESPACE": "argo"}, "argo"),
    "default": ({}, {}, "default"),
}


@pytest.mark.parametrize("scheduler_traits, env, expected", NAMESPACES.values(), ids=NAMESPACES.keys())
def test_namespace_defaults_like_the_argo_engine(make_scheduler, monkeypatch, scheduler_traits, env, expected):
    # GIVEN a scheduler configured for the kubernetes engine
    monkeypatch.delenv("ARGO_NAMESPACE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = Config()
    config.ArgoScheduler.engine = "kubernetes"
    scheduler = make_scheduler(config, **scheduler_traits)
    # WHEN its engine is built THEN it is a KubernetesEngine in the scheduler's namespace
    engine = scheduler.get_engine()
    assert isinstance(engine, KubernetesEngine)
    assert engine.namespace == expected


def test_config_reaches_the_engine(make_scheduler, fake, token_file):
    # GIVEN jupyter_server_config.py lines for the kubernetes engine
    config = Config()
    config.ArgoScheduler.engine = "kubernetes"
    config.KubernetesEngine.host = fake.url
    config.KubernetesEngine.token_file = str(token_file)
    config.KubernetesEngine.namespace = NAMESPACE
    config.KubernetesEngine.page_size = 7
    # WHEN the scheduler lists through its engine THEN the configured API server answered
    scheduler = make_scheduler(config)
    assert scheduler.get_engine().status() == {}
    [listing] = fake.requests()
    assert listing.query["limit"] == "7" and listing.path.endswith(f"/namespaces/{NAMESPACE}/workflows")


def test_choosing_the_engine_loads_no_kubernetes_client():
    # GIVEN a fresh interpreter WHEN the package and a scheduler class configured for kubernetes are imported
    code = (
        "import sys; import argo_scheduler; from argo_scheduler.scheduler import ArgoScheduler; "
        "print(sorted(m for m in ('kubernetes', 'hera') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # THEN neither the kubernetes client nor hera was imported
    assert out.strip() == "[]"
