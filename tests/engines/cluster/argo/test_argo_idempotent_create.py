"""A create whose answer was lost and that is retried does not fail on its own success."""

from __future__ import annotations

import pytest
from support.argo_helpers import make_engine
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest

from argo_scheduler.engines.base import EngineError


def test_submit_retried_after_a_lost_5xx_answer_succeeds(engine, fake):
    # GIVEN a server that creates the workflow but answers 503
    manifest = workflow_manifest()
    fake.fail(status=503, method="POST", after=True)
    # WHEN it is submitted
    state = engine.submit(manifest)
    # THEN the retry met 409, found the same job's workflow, and returned it
    assert [(r.method, r.status) for r in fake.requests()] == [("POST", 503), ("POST", 409), ("GET", 200)]
    stored = fake.workflows[(NAMESPACE, manifest["metadata"]["name"])]
    assert state.uid == stored["metadata"]["uid"]
    assert len(fake.workflows) == 1


def test_submit_retried_after_a_timeout_succeeds(direct_fake):
    # GIVEN a server that creates the workflow but answers after the engine gave up
    engine = make_engine(direct_fake.url, request_timeout=0.5, retries=1)
    manifest = workflow_manifest()
    direct_fake.fail(delay=30, method="POST", after=True)
    # WHEN it is submitted THEN it succeeds, with one workflow in Argo
    state = engine.submit(manifest)
    assert state.name == manifest["metadata"]["name"]
    assert len(direct_fake.workflows) == 1


def test_create_cron_retried_after_a_lost_answer_succeeds(engine, fake):
    # GIVEN a server that creates the CronWorkflow but answers 502
    manifest = cron_manifest()
    fake.fail(status=502, method="POST", after=True)
    # WHEN it is created THEN it succeeds, once
    engine.create_cron(manifest)
    assert [(r.method, r.status) for r in fake.requests()] == [("POST", 502), ("POST", 409), ("GET", 200)]
    assert len(fake.crons) == 1


def test_existing_workflow_of_another_job_is_not_taken_for_ours(engine, fake):
    # GIVEN a lost answer, and meanwhile the name taken by another job's workflow
    manifest = workflow_manifest()
    impostor = workflow_manifest()
    impostor["metadata"]["name"] = manifest["metadata"]["name"]
    fake.put_workflow(NAMESPACE, impostor)
    fake.fail(status=503, method="POST")
    # WHEN it is submitted THEN the conflict is reported, not success
    with pytest.raises(EngineError, match="is not this one"):
        engine.submit(manifest)
