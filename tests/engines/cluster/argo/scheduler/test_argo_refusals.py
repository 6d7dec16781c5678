"""Runs the cluster refuses, on the Argo engine: a job at submission, a scheduled run (tests/cron_refusal_cases.py)."""

from __future__ import annotations

import pytest
from support.cron_refusal_cases import *  # noqa: F401,F403


@pytest.fixture
def nebari_scheduler(make_scheduler, engine):
    return make_scheduler(engine, podspec_mutators=["nebari"])


@pytest.mark.parametrize("status", [400, 500], ids=["argo-3.5+", "older-argo-500"])
def test_a_job_the_controller_refuses_says_why_and_what_to_do(nebari_scheduler, fake, status):
    """GIVEN Nebari's workflow controller denies the job's Workflow (JupyterLab not running): kube-apiserver
    answers Argo Server with the webhook's denial, and Argo Server passes it on (400; 500 before its errors
    kept Kubernetes' status codes) WHEN the job is created THEN the user reads the controller's words and
    what to do, the request was not retried, and no record is left."""
    from support.cron_refusal_cases import DENIAL
    from jupyter_scheduler.exceptions import SchedulerError
    from support.scheduler_helpers import job_model, rows

    fake.fail(status=status, method="POST", path="/workflows/", message=DENIAL, times=5)
    with pytest.raises(SchedulerError) as raised:
        nebari_scheduler.create_job(job_model())
    message = str(raised.value)
    assert "The cluster refused to create workflow" in message
    assert "must be running when workflow starts" in message
    assert "Start your JupyterLab server" in message and '["inherit"]' in message
    assert "Try again later" not in message
    assert len(fake.requests("POST")) == 1
    assert rows(nebari_scheduler) == []
