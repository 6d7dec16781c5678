"""What the Argo engine's tests share besides fixtures (tests import this, never conftest)."""

from __future__ import annotations

from support.manifests import NAMESPACE

from argo_scheduler.engines.cluster.argo import ArgoEngine

# The token the fakes accept unless a test says otherwise.
TOKEN = "fake-token"


def make_engine(host: str, **traits) -> ArgoEngine:
    # Small backoff: retries are exercised, not timed. A long timeout: Prism
    # compiles each endpoint's schema on first use, which takes many seconds
    # on a busy 2-core machine, and a client retry there would muddle the
    # contract check's request log.
    settings = dict(host=host, token=TOKEN, namespace=NAMESPACE, retries=2, backoff_factor=0.01, request_timeout=90.0)
    return ArgoEngine(**{**settings, **traits})
