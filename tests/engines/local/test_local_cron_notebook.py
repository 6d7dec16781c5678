"""End to end: the builder's CronWorkflow, fired by the agent, runs a notebook and records its own job."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

from jupyter_scheduler.orm import Job, create_session, create_tables
from support.samples import NOTEBOOKS, sample_definition

from argo_scheduler.workflow import BuildContext, build_cron_workflow, to_manifest

DEFINITION_ID = "5d1c2b3a-0000-4e8e-9d7f-1e2f3a4b5c6d"


def test_a_fired_run_executes_the_notebook_and_creates_its_job_record(engine, agent, tmp_path):
    # GIVEN a job definition scheduled every minute, its notebook staged as the scheduler stages it
    db_url = f"sqlite:///{tmp_path / 'scheduler.sqlite'}"
    create_tables(db_url)
    staging = tmp_path / "staging"
    (staging / DEFINITION_ID).mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "parameters.ipynb", staging / DEFINITION_ID / "parameters.ipynb")
    now_ms = int(datetime.now(timezone.utc).timestamp() * 1000)
    definition = sample_definition(
        job_definition_id=DEFINITION_ID, name="every minute", input_filename="parameters.ipynb",
        create_time=now_ms, update_time=now_ms, schedule="* * * * *", parameters={"label": "from cron"},
        output_formats=["ipynb"],
    )
    context = BuildContext(staging_path=str(staging), image="img", db_url=db_url)
    manifest = to_manifest(build_cron_workflow(definition, context))
    engine.create_cron(manifest)
    cron_name = manifest["metadata"]["name"]
    created = datetime.strptime(engine.crons()[cron_name]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    first = created.replace(second=0, tzinfo=timezone.utc) + timedelta(minutes=1)

    # WHEN the agent passes at its first time
    [name] = agent.run_once(first)

    # THEN the run succeeds through the pod runtime
    state = engine.wait(name, timeout=180)
    assert state.phase == "Succeeded", engine.logs(name)
    assert name == f"{cron_name}-{int(first.timestamp())}"
    # AND the run's pod created its own job record: the workflow's uid as job id, the definition's id
    with create_session(db_url)() as session:
        job = session.get(Job, state.uid)
        assert job is not None, engine.logs(name)
        assert (job.job_definition_id, job.status, job.name) == (DEFINITION_ID, "COMPLETED", "every minute")
    # AND its output sits in the job's own staging folder
    assert any(p.suffix == ".ipynb" and p.name != "parameters.ipynb" for p in (staging / state.uid).iterdir())
