"""Two owners sharing one job database and one Argo namespace: neither sees nor touches the other's jobs.

A shared PostgreSQL (docs/database.md) or one sqlite file: every read and
write of job and definition records goes through sessions scoped to the
scheduler's owner, and a workflow is the owner's only when its owner
annotation names exactly that owner.
"""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE
from support.databases import DATABASES
from jupyter_scheduler.models import (
    CountJobsQuery,
    CreateJobFromDefinition,
    ListJobDefinitionsQuery,
    ListJobsQuery,
    Status,
    UpdateJob,
    UpdateJobDefinition,
)
from jupyter_scheduler.orm import Job, JobDefinition
from support.scheduler_helpers import definition_model, job_model
from sqlalchemy import create_engine
from sqlalchemy.exc import NoResultFound
from sqlalchemy.orm import Session

from argo_scheduler.workflow import OWNER_ANNOTATION

CRON_LABEL = "workflows.argoproj.io/cron-workflow"


def every_row(db_url: str, table) -> list:
    """The table as the database holds it, whoever owns the rows."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            return [(row.owner, row.status if table is Job else row.active) for row in session.query(table)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", DATABASES, indirect=True)
@pytest.mark.parametrize("other", ["bob", "Zoe-c6a12698"], ids=["another-name", "zoes-label-spelled-out"])
def test_another_owner_can_neither_see_nor_change_nor_settle_nor_stop_nor_delete(
    make_scheduler, scheduler_home, direct_engine, direct_fake, other
):
    # GIVEN Zoë's running job and her schedule, in the database and namespace another user's server shares
    zoe = make_scheduler(direct_engine, owner="Zoë")
    job_id = zoe.create_job(job_model())
    definition_id = zoe.create_job_definition(definition_model())
    run_id = zoe.create_job_from_definition(definition_id, CreateJobFromDefinition())
    someone = make_scheduler(direct_engine, owner=other)

    # WHEN the other user lists and counts (which reconciles their records with their workflows)
    # THEN none of Zoë's jobs or definitions is there
    listed = someone.list_jobs(ListJobsQuery())
    assert (listed.jobs, listed.total_count) == ([], 0)
    assert someone.count_jobs(CountJobsQuery(status=Status.IN_PROGRESS)) == 0
    definitions = someone.list_job_definitions(ListJobDefinitionsQuery())
    assert (definitions.job_definitions, definitions.total_count) == ([], 0)

    # AND none of her workflows is among theirs in the namespace (what stop and delete act on)
    assert someone.owned_states() == {}

    # WHEN they name her ids THEN each is "not found", exactly as an id that does not exist
    for action in (
        lambda: someone.get_job(job_id),
        lambda: someone.update_job(job_id, UpdateJob(name="mine now")),
        lambda: someone.stop_job(job_id),
        lambda: someone.delete_job(job_id),
        lambda: someone.get_job_definition(definition_id),
        lambda: someone.update_job_definition(definition_id, UpdateJobDefinition(active=False)),
        lambda: someone.create_job_from_definition(definition_id, CreateJobFromDefinition()),
        lambda: someone.delete_job_definition(definition_id),
    ):
        with pytest.raises(NoResultFound):
            action()

    # THEN Zoë's records are as she left them: not settled FAILED by the other's reconcile, not renamed
    assert sorted(every_row(scheduler_home.db_url, Job)) == [("Zoë", "IN_PROGRESS"), ("Zoë", "IN_PROGRESS")]
    assert every_row(scheduler_home.db_url, JobDefinition) == [("Zoë", True)]
    # AND her workflows and CronWorkflow were neither stopped, suspended nor deleted
    assert len(direct_fake.workflows) == 2 and len(direct_fake.crons) == 1
    assert not direct_fake.requests("PUT", "/stop") and not direct_fake.requests("PUT", "/suspend")
    assert not direct_fake.requests("DELETE")
    # AND Zoë still sees and controls all of it
    assert {j.job_id for j in zoe.list_jobs(ListJobsQuery()).jobs} == {job_id, run_id}
    zoe.delete_job_definition(definition_id)
    zoe.delete_job(job_id)
    assert direct_fake.workflows == {} and direct_fake.crons == {}


@pytest.mark.parametrize("database", DATABASES, indirect=True)
def test_each_owners_records_settle_against_their_own_workflows_only(
    make_scheduler, scheduler_home, direct_engine, direct_fake
):
    # GIVEN Zoë's and Bob's running jobs in one database
    zoe, bob = make_scheduler(direct_engine, owner="Zoë"), make_scheduler(direct_engine, owner="bob")
    zoes_job, bobs_job = zoe.create_job(job_model()), bob.create_job(job_model())
    # WHEN Bob's workflow is deleted outside JupyterLab, and Bob looks at his jobs
    [bobs_workflow] = [name for (_, name), w in direct_fake.workflows.items()
                       if w["metadata"]["labels"]["argo-scheduler/job-id"] == bobs_job]
    direct_fake.workflows.pop((NAMESPACE, bobs_workflow))
    bob.list_jobs(ListJobsQuery())
    # THEN his record is settled, and Zoë's, whose workflow Bob cannot see, is not
    assert bob.get_job(bobs_job).status == Status.FAILED
    assert zoe.get_job(zoes_job).status == Status.IN_PROGRESS


@pytest.mark.parametrize("database", DATABASES, indirect=True)
def test_a_workflow_with_the_owners_label_but_another_owner_annotation_is_not_theirs(
    make_scheduler, direct_engine, direct_fake
):
    # GIVEN Bob's schedule, and a run in the namespace carrying Bob's labels (the owner label
    # included) and his schedule's, but annotated as Mallory's, finished without a record
    bob = make_scheduler(direct_engine, owner="bob")
    definition_id = bob.create_job_definition(definition_model())
    cron = next(iter(direct_fake.crons.values()))
    metadata = cron["spec"]["workflowSpec"]["workflowMetadata"]
    labels = {**metadata["labels"], CRON_LABEL: cron["metadata"]["name"]}
    annotations = {**metadata["annotations"], OWNER_ANNOTATION: "mallory"}
    run = direct_fake.put_workflow(
        NAMESPACE,
        {"metadata": {"name": cron["metadata"]["name"] + "-1795000000", "labels": labels, "annotations": annotations},
         "spec": cron["spec"]["workflowSpec"]},
        phase="Failed",
    )
    # WHEN Bob lists his jobs and deletes his schedule
    jobs = bob.list_jobs(ListJobsQuery()).jobs
    bob.delete_job_definition(definition_id)
    # THEN no record of that run was made for Bob, and the run was not deleted with his schedule
    assert jobs == []
    assert (NAMESPACE, run["metadata"]["name"]) in direct_fake.workflows
