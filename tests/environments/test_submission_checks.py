"""An environment or compute type that does not exist (any more) fails submission, and nothing is created."""

from __future__ import annotations

import os

import pytest
from environment_helpers import COMPUTE_TYPES, IMAGES, TOKEN
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CountJobsQuery, CreateJob, CreateJobDefinition, UpdateJobDefinition
from jupyter_scheduler.orm import JobDefinition


def nothing_created(scheduler) -> None:
    assert scheduler.count_jobs(CountJobsQuery()) == 0
    with scheduler.db_session() as session:
        assert session.query(JobDefinition).count() == 0
    staging = scheduler.staging_path
    assert not os.path.exists(staging) or not os.listdir(staging)
    assert scheduler.get_engine().status(label_selector=scheduler.owner_selector()) == {}


def job(**overrides) -> CreateJob:
    fields = dict(input_uri="parameters.ipynb", name="report", runtime_environment_name="torch-gpu",
                  output_formats=["ipynb"])
    return CreateJob(**{**fields, **overrides})


def definition(**overrides) -> CreateJobDefinition:
    fields = dict(input_uri="parameters.ipynb", name="nightly", runtime_environment_name="torch-gpu",
                  output_formats=["ipynb"], schedule="0 6 * * *", timezone="UTC")
    return CreateJobDefinition(**{**fields, **overrides})


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"runtime_environment_name": "torch-cpu"},
         "environment 'torch-cpu' does not exist (any more); available: torch-gpu, plain, python3"),
        ({"compute_type": "gpu-8"},
         "compute type 'gpu-8' does not exist for environment 'torch-gpu'; available: gpu-1, gpu-4"),
        ({"runtime_environment_name": "python3", "compute_type": "huge"},
         "compute type 'huge' does not exist for environment 'python3'; available: small, gpu-1, gpu-4"),
    ],
    ids=["unknown-environment", "compute-type-not-offered", "unknown-compute-type"],
)
@pytest.mark.parametrize("create", ["create_job", "create_job_definition"])
def test_an_unknown_environment_or_compute_type_is_refused_naming_what_exists(make_scheduler, create, fields, message):
    # GIVEN a scheduler offering two images and the local kernels
    scheduler = make_scheduler(images=IMAGES, compute_types=COMPUTE_TYPES)
    # WHEN a job or a definition names what is not offered
    model = job(**fields) if create == "create_job" else definition(**fields)
    with pytest.raises(SchedulerError) as raised:
        getattr(scheduler, create)(model)
    # THEN the error says what is wrong and what exists
    assert str(raised.value) == message
    # AND nothing was created: no record, no staged notebook, no workflow
    nothing_created(scheduler)


def test_a_conda_store_environment_deleted_since_the_listing_fails_at_submission(
    make_scheduler, conda_store, monkeypatch
):
    # GIVEN the UI listed a conda-store environment (and caches the listing)
    monkeypatch.setenv("CONDA_STORE_TOKEN", TOKEN)
    conda_store.add("analyst", "old")
    conda_store.add("analyst", "new")
    scheduler = make_scheduler(conda_store_url=conda_store.url, include_kernelspecs=False, cache_seconds=3600)
    assert [e.name for e in scheduler.environments_manager.list_environments()] == ["analyst/old", "analyst/new"]
    # WHEN it is deleted in conda-store and a job is submitted in it
    conda_store.environments = [e for e in conda_store.environments if e["name"] != "old"]
    with pytest.raises(SchedulerError) as raised:
        scheduler.create_job(job(runtime_environment_name="analyst/old"))
    # THEN the submission fails with what still exists, and nothing is created
    assert str(raised.value) == "environment 'analyst/old' does not exist (any more); available: analyst/new"
    nothing_created(scheduler)


def test_when_conda_store_is_down_the_error_says_so(make_scheduler, unreachable_url):
    # GIVEN conda-store is unreachable
    scheduler = make_scheduler(conda_store_url=unreachable_url, include_kernelspecs=False, conda_store_timeout=2)
    # WHEN a job names one of its environments
    with pytest.raises(SchedulerError) as raised:
        scheduler.create_job(job(runtime_environment_name="analyst/env"))
    # THEN the error names the cause, not just the missing environment
    assert "environment 'analyst/env' does not exist (any more); available: none" in str(raised.value)
    assert "is unreachable" in str(raised.value)
    nothing_created(scheduler)


@pytest.mark.parametrize(
    "update, message",
    [
        (UpdateJobDefinition(compute_type="gpu-8"), "compute type 'gpu-8' does not exist for environment 'torch-gpu'"),
        (UpdateJobDefinition(runtime_environment_name="gone"), "environment 'gone' does not exist (any more)"),
    ],
    ids=["compute-type", "environment"],
)
def test_an_update_to_an_unknown_environment_or_compute_type_changes_nothing(make_scheduler, update, message):
    # GIVEN a definition without schedule in torch-gpu on gpu-1
    scheduler = make_scheduler(images=IMAGES, compute_types=COMPUTE_TYPES)
    definition_id = scheduler.create_job_definition(definition(schedule=None, compute_type="gpu-1"))
    # WHEN it is updated to something not offered
    with pytest.raises(SchedulerError) as raised:
        scheduler.update_job_definition(definition_id, update)
    # THEN the error says so and the record is unchanged
    assert message in str(raised.value)
    stored = scheduler.get_job_definition(definition_id)
    assert (stored.runtime_environment_name, stored.compute_type) == ("torch-gpu", "gpu-1")


def test_offered_environments_and_compute_types_are_accepted(make_scheduler):
    # GIVEN a scheduler offering images and compute types
    scheduler = make_scheduler(images=IMAGES, compute_types=COMPUTE_TYPES)
    # WHEN a definition names an offered environment and compute type
    definition_id = scheduler.create_job_definition(definition(schedule=None, compute_type="gpu-4"))
    # THEN it is stored as asked
    stored = scheduler.get_job_definition(definition_id)
    assert (stored.runtime_environment_name, stored.compute_type) == ("torch-gpu", "gpu-4")
