"""Per-job Secrets on the Argo engine: the Kubernetes API (a fake) beside Argo Server (the Argo tests' fake)."""

from __future__ import annotations

import json
from typing import Iterator

import pytest
from support.argo_helpers import TOKEN as ARGO_TOKEN
from support.argo_helpers import make_engine
from support.manifests import NAMESPACE
from support.fake_argo import FakeArgo
from support.fake_kube_api import FakeKubeApi
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CreateJob
from jupyter_scheduler.orm import Job
from traitlets.config import Config

from argo_scheduler.engines.cluster.argo import ArgoEngine
from argo_scheduler.engines.base import EngineError

SLACK_TOKEN = "xoxb-argo-secret-token"


@pytest.fixture
def kube() -> Iterator[FakeKubeApi]:
    with FakeKubeApi() as fake:
        yield fake


@pytest.fixture
def argo() -> Iterator[FakeArgo]:
    with FakeArgo(token=ARGO_TOKEN, base_path="/argo/") as fake:
        yield fake


def engine_for(argo_url: str, kube_url: str) -> ArgoEngine:
    config = Config()
    config.KubernetesSecrets.host = kube_url
    config.KubernetesSecrets.request_timeout = 5.0
    return make_engine(argo_url, config=config)


def closed_port_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_put_creates_then_replaces_and_delete_is_idempotent(kube, argo):
    engine = engine_for(argo.url, kube.url)
    # WHEN a Secret is put twice and deleted twice
    engine.put_secret("argo-scheduler-abc", {"SLACK_TOKEN": "one"})
    engine.put_secret("argo-scheduler-abc", {"SLACK_TOKEN": "two"})
    # THEN it was created, then replaced in the engine's namespace, labelled as ours
    assert kube.secret_values(NAMESPACE, "argo-scheduler-abc") == {"SLACK_TOKEN": "two"}
    stored = kube.secrets[(NAMESPACE, "argo-scheduler-abc")]
    assert stored["type"] == "Opaque" and stored["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "argo-scheduler"}
    assert [r.method for r in kube.requests()] == ["POST", "POST", "PUT"]
    engine.delete_secret("argo-scheduler-abc")
    engine.delete_secret("argo-scheduler-abc")
    assert kube.secrets == {}


def test_missing_permissions_say_what_to_grant_and_nothing_secret(kube, argo):
    # GIVEN an identity that may do nothing with secrets
    kube.forbid(resource="secrets")
    with pytest.raises(EngineError) as raised:
        engine_for(argo.url, kube.url).put_secret("argo-scheduler-abc", {"SLACK_TOKEN": SLACK_TOKEN})
    # THEN the error names the request, the verbs to grant, and no value
    message = str(raised.value)
    assert message.startswith(f"the Kubernetes API at {kube.url} forbids to create secrets {NAMESPACE}/argo-scheduler-abc (403")
    assert f"`create`, `update`, `delete` on `secrets` in namespace {NAMESPACE}" in message
    assert SLACK_TOKEN not in message


def test_an_unreachable_api_is_a_clear_error(argo):
    with pytest.raises(EngineError, match="cannot reach the Kubernetes API at http://127.0.0.1:"):
        engine_for(argo.url, closed_port_url()).put_secret("argo-scheduler-abc", {"k": "v"})


def test_no_cluster_and_no_kubeconfig_is_a_clear_error(argo, tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent-kubeconfig"))
    with pytest.raises(EngineError, match="No Kubernetes API to store the job's Secret in.*c.KubernetesSecrets.kubeconfig"):
        make_engine(argo.url).put_secret("argo-scheduler-abc", {"k": "v"})


@pytest.fixture
def make_scheduler(make_scheduler):
    """make_scheduler(engine): on that ArgoEngine, in NAMESPACE, notifying Slack."""
    return lambda engine: make_scheduler(engine=engine, namespace=NAMESPACE, notifiers=["slack"])


def job(**parameters) -> CreateJob:
    return CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                     output_formats=["ipynb"], parameters={"n": "2", **parameters})


def test_a_slack_token_parameter_becomes_a_secret_the_workflow_references(make_scheduler, kube, argo):
    scheduler = make_scheduler(engine_for(argo.url, kube.url))
    # WHEN a job is created with a SLACK_TOKEN parameter
    job_id = scheduler.create_job(job(SLACK_TOKEN=SLACK_TOKEN))
    # THEN the token is in the job's Secret
    assert kube.secret_values(NAMESPACE, f"argo-scheduler-{job_id}") == {"SLACK_TOKEN": SLACK_TOKEN}
    # AND the workflow Argo received refers to it, and holds no token
    [workflow] = argo.workflows.values()
    assert SLACK_TOKEN not in json.dumps(workflow)
    env = workflow["spec"]["templates"][0]["container"]["env"]
    assert {"name": "ARGO_SCHEDULER_SECRET_JOB_PARAMETER_SLACK_TOKEN", "valueFrom": {"secretKeyRef": {
        "name": f"argo-scheduler-{job_id}", "key": "SLACK_TOKEN", "optional": True}}} in env
    # AND the record keeps the other parameters only
    with scheduler.db_session() as session:
        assert session.query(Job).one().parameters == {"n": "2"}
    # WHEN the job is deleted THEN the Secret goes with the workflow and the record
    scheduler.delete_job(job_id)
    assert kube.secrets == {} and argo.workflows == {}


def test_an_unreachable_kubernetes_api_fails_the_job_and_leaves_nothing(make_scheduler, argo, tmp_path):
    scheduler = make_scheduler(engine_for(argo.url, closed_port_url()))
    # WHEN the Secret cannot be stored
    with pytest.raises(SchedulerError) as raised:
        scheduler.create_job(job(SLACK_TOKEN=SLACK_TOKEN))
    # THEN the user reads why, without the token
    message = str(raised.value)
    assert message.startswith("could not store the secret parameter(s) SLACK_TOKEN: cannot reach the Kubernetes API")
    assert SLACK_TOKEN not in message
    # AND there is no record, no staging folder, no workflow
    with scheduler.db_session() as session:
        assert session.query(Job).count() == 0
    staging = tmp_path / "staging"
    assert not staging.exists() or list(staging.iterdir()) == []
    assert argo.workflows == {}


def test_a_job_without_secret_parameters_needs_no_kubernetes_api(make_scheduler, argo):
    # GIVEN no Kubernetes API at all
    scheduler = make_scheduler(engine_for(argo.url, closed_port_url()))
    # WHEN a job without SLACK_TOKEN is created THEN it is submitted (its pod references an optional Secret)
    job_id = scheduler.create_job(job(SLACK_CHANNEL="#reports"))
    assert len(argo.workflows) == 1
    # AND deleting it only warns that its (never created) Secret could not be deleted
    scheduler.delete_job(job_id)
    assert argo.workflows == {}
