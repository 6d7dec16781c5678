"""A submission is assembled once: its environment chosen once, its errors in the order users know, nothing made on refusal."""

from __future__ import annotations

import pytest
from environment_helpers import COMPUTE_TYPES, IMAGES
from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.models import CountJobsQuery, CreateJob, CreateJobDefinition

from argo_scheduler.environments import ArgoEnvironmentManager


class ListingCounter(ArgoEnvironmentManager):
    """The manager as configured, counting how often its sources are listed."""

    listings = 0

    def _collect(self):
        type(self).listings += 1
        return super()._collect()


@pytest.fixture
def counted(make_scheduler):
    ListingCounter.listings = 0
    # Nothing reused between calls: each choice of an environment is a listing.
    scheduler = make_scheduler(images=IMAGES, compute_types=COMPUTE_TYPES, cache_seconds=0)
    scheduler.environments_manager = ListingCounter(config=scheduler.environments_manager.config)
    ListingCounter.listings = 0
    return scheduler


@pytest.mark.parametrize(
    "model",
    [
        CreateJob(input_uri="parameters.ipynb", name="report", runtime_environment_name="torch-gpu",
                  output_formats=["ipynb"]),
        CreateJobDefinition(input_uri="parameters.ipynb", name="nightly", runtime_environment_name="torch-gpu",
                            output_formats=["ipynb"], schedule="0 6 * * *", timezone="UTC"),
    ],
    ids=["job", "job-definition"],
)
def test_a_submission_lists_the_environments_once_and_renders_with_that_choice(counted, model):
    # GIVEN a scheduler whose environment listings are never reused
    path = counted.input_path(model)
    # WHEN a job or a definition is assembled, checked as a user's request
    submission = counted.assemble(model, path)
    # THEN the environments were listed once, for the checks and the manifest alike
    assert ListingCounter.listings == 1
    assert submission.choice.environment.name == "torch-gpu" and submission.choice.compute is not None
    # AND the manifest runs the environment's image with the compute type's resources
    templates = submission.manifest["spec"].get("templates") or submission.manifest["spec"]["workflowSpec"]["templates"]
    run = next(t for t in templates if t["name"] == "run")
    assert run["container"]["image"] == "registry.example.com/ml/torch:2026.11"
    assert run["container"]["resources"]["limits"]["nvidia.com/gpu"] == "1"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"input_uri": "no_kernelspec.ipynb", "runtime_environment_name": "gone"}, "no_kernelspec.ipynb has no kernel"),
        ({"runtime_environment_name": "gone", "runtime_environment_parameters": {"retries": "many"}},
         "environment 'gone' does not exist (any more)"),
        ({"runtime_environment_parameters": {"retries": "many"}, "parameters": {"SLACK_TOKEN": "xoxb-1"}},
         "runtime environment parameters: retries"),
    ],
    ids=["notebook-before-environment", "environment-before-run-options", "run-options-before-secret-parameters"],
)
def test_of_several_problems_the_user_hears_the_first_in_the_known_order(counted, fields, message):
    # GIVEN a job with two problems
    model = CreateJob(**{
        "input_uri": "parameters.ipynb", "name": "report", "runtime_environment_name": "torch-gpu",
        "output_formats": ["ipynb"], **fields,
    })
    # WHEN it is submitted
    with pytest.raises(SchedulerError) as raised:
        counted.create_job(model)
    # THEN the message is the one of the step that comes first, and nothing is made
    assert str(raised.value).startswith(message), str(raised.value)
    assert counted.count_jobs(CountJobsQuery()) == 0

