"""ArgoScheduler checks every submission before it creates anything, and refuses what would not run."""

from __future__ import annotations

import os

import pytest
from support.manifests import NAMESPACE
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import (
    CreateJob,
    CreateJobDefinition,
    CreateJobFromDefinition,
    UpdateJobDefinition,
)
from jupyter_scheduler.orm import Job, JobDefinition

from argo_scheduler.podspec.base import PodSpecMutator


def job(**overrides) -> CreateJob:
    fields = dict(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                  output_formats=["ipynb"])
    return CreateJob(**{**fields, **overrides})


def definition(**overrides) -> CreateJobDefinition:
    fields = dict(input_uri="report.ipynb", name="nightly", runtime_environment_name="python3",
                  output_formats=["ipynb"], schedule="0 6 * * *", timezone="UTC")
    return CreateJobDefinition(**{**fields, **overrides})


def rows(scheduler) -> tuple[int, int]:
    with scheduler.db_session() as session:
        return session.query(Job).count(), session.query(JobDefinition).count()


def staged(scheduler) -> list[str]:
    return sorted(os.listdir(scheduler.staging_path)) if os.path.exists(scheduler.staging_path) else []


def nothing_created(scheduler, argo, kube, before=(0, 0), staged_before=()) -> None:
    assert rows(scheduler) == before
    assert staged(scheduler) == list(staged_before)
    assert argo.workflows == {} and (argo.crons == {} or before[1])
    assert [c for c in kube.calls() if c.verb != "list"] == []


def submit_run_now(scheduler, **overrides) -> str:
    definition_id = scheduler.create_job_definition(definition(schedule=None, **overrides))
    return scheduler.create_job_from_definition(definition_id, CreateJobFromDefinition())


SUBMISSIONS = {
    "create_job": lambda s, **o: s.create_job(job(**o)),
    "create_job_definition": lambda s, **o: s.create_job_definition(definition(**o)),
}


@pytest.mark.parametrize("submit", list(SUBMISSIONS), ids=list(SUBMISSIONS))
def test_a_missing_database_secret_refuses_the_submission_and_leaves_nothing(make_argo_scheduler, argo, kube, submit):
    # GIVEN the pod reads the database URL from a Secret the namespace does not have
    scheduler = make_argo_scheduler(db_url_secret_name="scheduler-db")
    # WHEN a job or a schedule is submitted
    with pytest.raises(SchedulerError) as raised:
        SUBMISSIONS[submit](scheduler)
    # THEN the user reads which Secret is missing, where
    assert str(raised.value) == (
        f"in namespace {NAMESPACE}: Secret scheduler-db (template run env ARGO_SCHEDULER_DB_URL, "
        "template record-failure env ARGO_SCHEDULER_DB_URL) does not exist"
    )
    # AND nothing was created: no record, no staged notebook, no workflow, no Secret
    nothing_created(scheduler, argo, kube)


def test_with_the_secret_there_the_same_job_is_submitted(make_argo_scheduler, argo, kube):
    kube.add_secret(NAMESPACE, "scheduler-db", {"url": "postgresql://scheduler@db/jobs"})
    scheduler = make_argo_scheduler(db_url_secret_name="scheduler-db")
    scheduler.create_job(job())
    assert len(argo.workflows) == 1 and rows(scheduler) == (1, 0)


@pytest.mark.parametrize(
    "compute_type, message",
    [
        ("big", "requests.cpu: the job needs 4 but ResourceQuota team has 2 left (6 used of 8), short by 2"),
        ("gpu-2", "requests.nvidia.com/gpu: the job needs 2 but ResourceQuota team has 1 left (3 used of 4), short by 1"),
    ],
    ids=["cpu", "gpu"],
)
def test_a_compute_type_over_the_quota_refuses_a_job_and_a_run_now(make_argo_scheduler, argo, kube, compute_type, message):
    # GIVEN a namespace quota with 2 cpu and 1 GPU left
    kube.add_quota(NAMESPACE, "team", {"requests.cpu": "8", "requests.nvidia.com/gpu": "4"},
                   {"requests.cpu": "6", "requests.nvidia.com/gpu": "3"})
    scheduler = make_argo_scheduler()
    # WHEN a job asks for more
    with pytest.raises(SchedulerError) as raised:
        scheduler.create_job(job(compute_type=compute_type))
    # THEN it is refused saying which resource and by how much, and nothing is created
    assert str(raised.value) == f"the job does not fit in namespace {NAMESPACE}: {message}"
    nothing_created(scheduler, argo, kube)
    # AND a run-now of a definition on that compute type is refused the same way, leaving only the definition
    with pytest.raises(SchedulerError, match="short by"):
        submit_run_now(scheduler, compute_type=compute_type)
    [definition_id] = staged(scheduler)
    nothing_created(scheduler, argo, kube, before=(0, 1), staged_before=[definition_id])


def test_an_update_onto_a_compute_type_over_the_quota_changes_nothing(make_argo_scheduler, argo, kube):
    # GIVEN a schedule on "small" and a quota with 2 cpu left
    kube.add_quota(NAMESPACE, "team", {"requests.cpu": "8"}, {"requests.cpu": "6"})
    scheduler = make_argo_scheduler()
    definition_id = scheduler.create_job_definition(definition(compute_type="small"))
    [cron] = argo.crons.values()
    # WHEN it is moved to "big" (4 cpu)
    with pytest.raises(SchedulerError, match="requests.cpu: the job needs 4"):
        scheduler.update_job_definition(definition_id, UpdateJobDefinition(compute_type="big"))
    # THEN the record and the CronWorkflow are as they were
    assert scheduler.get_job_definition(definition_id).compute_type == "small"
    assert list(argo.crons.values()) == [cron]
    # AND pausing it asks the Kubernetes API nothing
    before = len(kube.requests())
    scheduler.update_job_definition(definition_id, UpdateJobDefinition(active=False))
    assert len(kube.requests()) == before and scheduler.get_job_definition(definition_id).active is False


def test_checks_rbac_forbids_are_warned_and_do_not_block(make_argo_scheduler, argo, kube, caplog):
    # GIVEN the server may not list anything in the namespace
    kube.forbid(namespace=NAMESPACE, verb="list")
    scheduler = make_argo_scheduler(db_url_secret_name="scheduler-db")
    # WHEN a job is submitted
    with caplog.at_level("WARNING"):
        scheduler.create_job(job(compute_type="big"))
    # THEN it is submitted, and the log says which checks could not be made and what to grant
    assert len(argo.workflows) == 1
    warned = [r.getMessage() for r in caplog.records if "check: not checked" in r.getMessage()]
    assert len(warned) == 2 and all("403 Forbidden" in w for w in warned)
    assert any("`list` on `secrets`" in w for w in warned) and any("`list` on `resourcequotas`" in w for w in warned)


def test_without_a_kubernetes_api_submission_asks_nothing_and_goes_on(make_argo_scheduler, argo, kube, monkeypatch):
    # GIVEN a server outside a cluster with no Kubernetes API configured
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    scheduler = make_argo_scheduler(kubernetes=False, db_url_secret_name="scheduler-db")
    # WHEN a job is submitted THEN it goes to Argo without a single Kubernetes request
    scheduler.create_job(job(compute_type="big"))
    assert len(argo.workflows) == 1 and kube.requests() == []


class ServiceAccountAsNumberMutator(PodSpecMutator):
    """Edits the pod with pydantic's model_copy, which validates nothing: Argo would refuse the result."""

    def mutate(self, pod, job) -> None:
        pod.spec = pod.spec.model_copy(update={"service_account_name": 1001})


@pytest.mark.parametrize("submit", list(SUBMISSIONS), ids=list(SUBMISSIONS))
def test_a_manifest_argo_would_refuse_is_refused_on_the_local_engine_too(make_scheduler, submit):
    # GIVEN the local engine and a mutator that produces something Argo's schema refuses
    scheduler = make_scheduler(engine="local")
    scheduler.mutator_instances.append(ServiceAccountAsNumberMutator(parent=scheduler))
    # WHEN a job or a schedule is submitted
    with pytest.raises(SchedulerError) as raised:
        SUBMISSIONS[submit](scheduler)
    # THEN the error quotes the schema
    kind = "Workflow" if submit == "create_job" else "CronWorkflow"
    prefix = "spec" if submit == "create_job" else "spec.workflowSpec"
    assert str(raised.value) == f"Argo would refuse the {kind}: {prefix}.serviceAccountName: 1001 is not of type 'string'"
    # AND nothing was created: no record, no staging folder, no run or schedule in the engine
    assert rows(scheduler) == (0, 0) and staged(scheduler) == []
    engine = scheduler.get_engine()
    assert engine.status(label_selector=scheduler.owner_selector()) == {} and engine.crons() == {}


def test_a_kernel_not_installed_here_refuses_a_local_job(scheduler_home, make_scheduler):
    # GIVEN the local engine and a notebook whose kernel is not installed on this machine
    import json

    notebook = scheduler_home.root / "report.ipynb"
    content = json.loads(notebook.read_text())
    content["metadata"]["kernelspec"] = {"name": "julia-1.10", "display_name": "Julia 1.10", "language": "julia"}
    notebook.write_text(json.dumps(content))
    scheduler = make_scheduler(engine="local")
    # WHEN it is submitted in an environment that leaves the kernel to the notebook
    scheduler.environments_manager.images = {"plain": {"image": "img:2"}}
    with pytest.raises(SchedulerError) as raised:
        scheduler.create_job(job(runtime_environment_name="plain"))
    # THEN the user reads that the kernel is missing and which exist, and nothing is created
    assert str(raised.value).startswith("report.ipynb's kernel julia-1.10 is not installed where the job runs; installed:")
    assert rows(scheduler) == (0, 0) and staged(scheduler) == []


@pytest.mark.parametrize("submit", list(SUBMISSIONS), ids=list(SUBMISSIONS))
def test_a_secret_missing_from_the_local_store_refuses_the_submission(make_scheduler, submit):
    # GIVEN the local engine and a database URL read from a Secret its store does not hold
    scheduler = make_scheduler(engine="local", db_url_secret_name="scheduler-db", db_url_secret_key="url")
    # WHEN a job or a schedule is submitted
    with pytest.raises(SchedulerError) as raised:
        SUBMISSIONS[submit](scheduler)
    # THEN the user reads which Secret is missing where, and nothing was created
    assert "in the local engine's Secret store: Secret scheduler-db" in str(raised.value)
    assert "does not exist" in str(raised.value)
    assert rows(scheduler) == (0, 0) and staged(scheduler) == []
    engine = scheduler.get_engine()
    assert engine.status(label_selector=scheduler.owner_selector()) == {} and engine.crons() == {}
    # WHEN the Secret is stored, but under another key THEN the key is named
    engine.put_secret("scheduler-db", {"uri": "sqlite:////nowhere"})
    with pytest.raises(SchedulerError, match="Secret scheduler-db has no key url"):
        SUBMISSIONS[submit](scheduler)
