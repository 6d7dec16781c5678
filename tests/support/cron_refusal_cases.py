"""A scheduled run the cluster refused, through the scheduler on the cluster engines (argo, kubernetes).

Imported by tests/engines/cluster/argo/scheduler/test_argo_refusals.py and tests/engines/cluster/kubernetes/scheduler/test_k8s_cron_refusals.py,
whose `nebari_scheduler` (an ArgoScheduler with c.ArgoScheduler.podspec_mutators = ["nebari"] on that
engine) and `fake` (the Argo Server or Kubernetes API fake) fixtures differ. The fakes write the
refusal as Argo's cron controller does (refuse_cron_run): a SubmissionError condition on the
CronWorkflow, status.failed counting up (Argo 3.6+), and no Workflow.
"""

from __future__ import annotations

from support.manifests import NAMESPACE
from jupyter_scheduler.models import ListJobsQuery
from support.scheduler_helpers import definition_model

# As kube-apiserver words the Nebari workflow controller's denial of a run, which Argo's cron controller records.
DENIAL = (
    'admission webhook "wf-mutating-admission-controller.dev.svc" denied the request: A user pod instance for '
    "Jupyterhub user ana@example.com must be running when workflow starts. No pod found for user ana@example.com."
)


def _failed_runs(scheduler, definition_id):
    jobs = scheduler.list_jobs(ListJobsQuery(job_definition_id=definition_id)).jobs
    return [j for j in jobs if j.status == "FAILED"]


def test_a_refused_scheduled_run_becomes_one_failed_record_per_refusal(nebari_scheduler, fake):
    # GIVEN a definition scheduled on the cluster
    scheduler = nebari_scheduler
    definition_id = scheduler.create_job_definition(definition_model())
    [cron_name] = [name for (_, name) in fake.crons]
    # WHEN Argo's cron controller could not create a run because the controller refused it
    fake.refuse_cron_run(NAMESPACE, cron_name, DENIAL)
    # THEN the definition's runs list one FAILED run, with the controller's words and what to do
    [run] = _failed_runs(scheduler, definition_id)
    assert "no workflow was created" in run.status_message
    assert "must be running when workflow starts" in run.status_message
    assert "Start your JupyterLab server" in run.status_message and '["inherit"]' in run.status_message
    assert run.name == "nightly" and run.job_definition_id == definition_id
    # AND listing again (the condition is still there) records nothing more
    assert [j.job_id for j in _failed_runs(scheduler, definition_id)] == [run.job_id]
    # WHEN the next scheduled run is refused too (Argo counts it in status.failed)
    fake.refuse_cron_run(NAMESPACE, cron_name, DENIAL)
    # THEN there are two records, one per refusal
    assert len(_failed_runs(scheduler, definition_id)) == 2


def test_without_argos_counter_one_record_stands_for_refusals_in_a_row(nebari_scheduler, fake):
    # GIVEN an Argo before 3.6, which keeps no count: two refusals in a row leave the same condition
    scheduler = nebari_scheduler
    definition_id = scheduler.create_job_definition(definition_model())
    [cron_name] = [name for (_, name) in fake.crons]
    fake.refuse_cron_run(NAMESPACE, cron_name, DENIAL, count=False)
    assert len(_failed_runs(scheduler, definition_id)) == 1
    fake.refuse_cron_run(NAMESPACE, cron_name, DENIAL, count=False)
    # THEN one record stands for them (Argo's status cannot tell them apart)
    assert len(_failed_runs(scheduler, definition_id)) == 1
    # WHEN a different refusal follows THEN it gets its own record
    fake.refuse_cron_run(NAMESPACE, cron_name, DENIAL.replace("ana@example.com", "ana"), count=False)
    assert len(_failed_runs(scheduler, definition_id)) == 2
