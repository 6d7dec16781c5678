"""What the kubernetes engine's tests share besides fixtures (tests import this, never conftest)."""

from __future__ import annotations

from pathlib import Path

from support.manifests import NAMESPACE

from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine

# The token the fake accepts unless a test says otherwise.
TOKEN = "fake-kube-token"
CRDS = "/apis/argoproj.io/v1alpha1/namespaces/" + NAMESPACE


def make_engine(host: str, token_file: Path | str, **traits) -> KubernetesEngine:
    # Small backoff: retries are exercised, not timed.
    settings = dict(host=host, token_file=str(token_file), namespace=NAMESPACE, retries=2, backoff_factor=0.01,
                    request_timeout=30.0)
    return KubernetesEngine(**{**settings, **traits})
