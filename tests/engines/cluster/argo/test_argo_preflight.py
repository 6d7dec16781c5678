"""What the engine refuses before sending anything: nothing half-done reaches Argo."""

from __future__ import annotations

import pytest
from support.manifests import cron_manifest, workflow_manifest

from argo_scheduler.engines.base import EngineError


def _wrong_namespace() -> dict:
    manifest = workflow_manifest()
    manifest["metadata"]["namespace"] = "someone-else"
    return manifest


def _path_in_name() -> dict:
    manifest = workflow_manifest()
    manifest["metadata"]["name"] = "../../cron-workflows/x"
    return manifest


REFUSED = {
    "cron-manifest-to-submit": (
        lambda e: e.submit(cron_manifest()),
        "expected a Workflow manifest, got 'CronWorkflow'",
    ),
    "workflow-manifest-to-create-cron": (
        lambda e: e.create_cron(workflow_manifest()),
        "expected a CronWorkflow manifest, got 'Workflow'",
    ),
    "rendered-for-another-namespace": (
        lambda e: e.submit(_wrong_namespace()),
        "rendered for namespace 'someone-else' but the Argo engine works in 'jupyter'",
    ),
    "name-that-is-a-path": (lambda e: e.submit(_path_in_name()), "is not a valid Kubernetes name"),
    "stop-of-a-path": (lambda e: e.stop("x/../../y"), "is not a valid Kubernetes name"),
    "missing-ca-bundle": (lambda e: setattr(e, "ca_bundle", "/nonexistent/ca.pem") or e.status(), "is not a file"),
}


@pytest.mark.parametrize("call, expected", REFUSED.values(), ids=REFUSED.keys())
def test_refused_before_any_request(direct_engine, direct_fake, call, expected):
    # GIVEN a call the engine cannot make correctly WHEN made THEN it is refused with the reason
    with pytest.raises(EngineError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        call(direct_engine)
    # AND Argo saw nothing
    assert direct_fake.requests() == []
