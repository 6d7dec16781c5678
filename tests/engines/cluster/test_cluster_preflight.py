"""What both cluster engines refuse before sending anything: nothing half-done reaches the cluster."""

from __future__ import annotations

import pytest
from support.manifests import cron_manifest, workflow_manifest

from argo_scheduler.engines.base import EngineError


def _wrong_namespace() -> dict:
    manifest = workflow_manifest()
    manifest["metadata"]["namespace"] = "someone-else"
    return manifest


def _path_in_name(path: str) -> dict:
    manifest = workflow_manifest()
    manifest["metadata"]["name"] = path
    return manifest


REFUSED = {
    "cron-manifest-to-submit": (lambda e: e.submit(cron_manifest()), "expected a Workflow manifest, got 'CronWorkflow'"),
    "workflow-manifest-to-create-cron": (
        lambda e: e.create_cron(workflow_manifest()), "expected a CronWorkflow manifest, got 'Workflow'"),
    "rendered-for-another-namespace": (
        lambda e: e.submit(_wrong_namespace()),
        "rendered for namespace 'someone-else' but the {engine} engine works in 'jupyter': set {settings}.namespace"),
    "name-that-is-an-argo-server-path": (
        lambda e: e.submit(_path_in_name("../../cron-workflows/x")), "is not a valid Kubernetes name"),
    "name-that-is-a-kubernetes-path": (
        lambda e: e.submit(_path_in_name("../../cronworkflows/x")), "is not a valid Kubernetes name"),
    "stop-of-a-path": (lambda e: e.stop("x/../../y"), "is not a valid Kubernetes name"),
    "suspend-of-a-path": (lambda e: e.suspend_cron("x/../y"), "is not a valid Kubernetes name"),
    "bad-namespace": (
        lambda e: setattr(e, "namespace", "Jupyter Jobs") or e.status(), "is not a valid Kubernetes namespace"),
}


@pytest.mark.parametrize("call, expected", REFUSED.values(), ids=REFUSED.keys())
def test_refused_before_any_request(cluster, call, expected):
    # GIVEN a call the engine cannot make correctly WHEN made THEN it is refused with the reason
    engine = cluster.direct_engine()
    with pytest.raises(EngineError) as e:
        call(engine)
    engine_name = cluster.settings.removeprefix("c.").removesuffix("Engine")
    assert expected.format(engine=engine_name, settings=cluster.settings) in str(e.value)
    # AND the API saw nothing
    assert cluster.direct_fake.requests() == []
