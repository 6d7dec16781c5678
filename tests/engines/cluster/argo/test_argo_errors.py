"""The argo engine's own errors: what Argo Server says, and where to look (the shared cases: ../test_cluster_errors.py)."""

from __future__ import annotations

import pytest
from support.argo_helpers import TOKEN, make_engine
from support.manifests import workflow_manifest

from argo_scheduler.engines.cluster.argo import ArgoServerError

CLIENT_ERRORS = {
    "401-expired-token": (
        401,
        dict(),
        ["401 Unauthorized", "c.ArgoEngine.token / c.ArgoEngine.token_file"],
    ),
    "403-rbac": (
        403,
        dict(message='workflows.argoproj.io is forbidden: User "system:serviceaccount:jupyter:default" cannot create'),
        ["403 Forbidden", "needs the verbs create on workflows", "namespace 'jupyter'", "cannot create"],
    ),
    "404-wrong-namespace-or-path": (
        404,
        dict(message="namespaces not found"),
        ["404 Not Found", "c.ArgoEngine.host", "base path", "c.ArgoEngine.namespace"],
    ),
    "400-rejected": (
        400,
        dict(message="spec.templates[0].name is required"),
        ["refused to create workflow", "400", "spec.templates[0].name is required"],
    ),
}


@pytest.mark.parametrize("status, fault, expected", CLIENT_ERRORS.values(), ids=CLIENT_ERRORS.keys())
def test_client_errors_are_explained_and_not_retried(engine, fake, status, fault, expected):
    # GIVEN an Argo Server that refuses the request
    if status == 401:
        fake.token = "a-newer-token"  # the engine's token has expired
    else:
        fake.fail(status=status, **fault)
    # WHEN a workflow is submitted
    with pytest.raises(ArgoServerError) as raised:
        engine.submit(workflow_manifest())
    # THEN the message names the server, what went wrong and what to change
    message = str(raised.value)
    assert raised.value.status == status
    assert engine.host in message
    for text in expected:
        assert text in message
    assert TOKEN not in message
    # AND a request that cannot succeed was sent once
    assert len(fake.requests()) == 1


def test_wrong_base_path_is_explained(direct_fake):
    # GIVEN a host without the base path Argo is served under
    engine = make_engine(direct_fake.url.replace("/argo/", "/"))
    # WHEN states are asked for THEN the 404 points at the base path
    with pytest.raises(ArgoServerError, match=r"404 Not Found.*including its base path"):
        engine.status()
