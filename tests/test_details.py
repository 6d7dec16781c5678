"""The handlers' answers without a server: Argo UI links, redaction, and a light server extension."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from jupyter_scheduler.orm import JobDefinition

from argo_scheduler import ArgoScheduler, details
from argo_scheduler.redact import MASK, redact


@pytest.fixture
def argo_scheduler(make_scheduler) -> ArgoScheduler:
    return make_scheduler(engine="argo", namespace="jobs", owner="ana", argo_ui_url="https://argo.example.com/",
                          concurrency_policy="Replace", starting_deadline_seconds=900)


def test_links_point_into_the_argo_ui_when_one_is_configured(argo_scheduler):
    # GIVEN a definition of this owner on a server that runs on Argo with its UI configured
    definition_id = str(uuid.uuid4())
    with argo_scheduler.db_session() as session:
        session.add(JobDefinition(job_definition_id=definition_id, name="nightly", input_filename="report.ipynb",
                                  runtime_environment_name="python3", output_formats=["ipynb"], active=True,
                                  schedule="0 6 * * *", timezone="UTC"))
        session.commit()
    # WHEN its detail is built (no engine call is needed for it)
    answer = details.job_definition(argo_scheduler, definition_id, now=0)
    # THEN the CronWorkflow is linked in the Argo UI, and the server's defaults are its options
    name = answer["cron_workflow"]["name"]
    assert answer["cron_workflow"] == {
        "name": name, "namespace": "jobs", "url": f"https://argo.example.com/cron-workflows/jobs/{name}",
    }
    assert (answer["options"]["concurrency_policy"], answer["options"]["starting_deadline_seconds"]) == ("Replace", 900)
    assert answer["next_runs"] == [(6 * 3600 + day * 86400) * 1000 for day in range(5)]
    assert details.options(argo_scheduler)["argo_ui_url"] == "https://argo.example.com"
    # AND an id that is not this owner's is not found
    with pytest.raises(details.NotFound):
        details.job_definition(argo_scheduler, str(uuid.uuid4()))


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("url postgresql+psycopg://ana:pa55word@db:5432/x", (), f"url postgresql+psycopg://ana:{MASK}@db:5432/x"),
        ("token xoxb-1234-5678-abcdefgh here", (), f"token {MASK} here"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y", (), f"Authorization: Bearer {MASK}"),
        ("the value s3cret-value twice s3cret-value", ("s3cret-value",), f"the value {MASK} twice {MASK}"),
        ("a short one: abc", ("abc",), "a short one: abc"),
        ("nothing to hide at https://example.com/path", (), "nothing to hide at https://example.com/path"),
    ],
    ids=["url-password", "slack-token", "bearer", "known-value", "too-short-to-mask", "plain-url"],
)
def test_redaction(text, secrets, expected):
    assert redact(text, secrets) == expected


def test_the_server_extension_loads_nothing_heavy():
    # The Jupyter server imports argo_scheduler and its handlers at start-up.
    code = (
        "import sys, argo_scheduler, argo_scheduler.handlers;"
        "assert argo_scheduler._jupyter_server_extension_points() == [{'module': 'argo_scheduler'}];"
        "print(sorted(m for m in ('kubernetes', 'hera', 'slack_sdk', 'papermill', 'argo_scheduler.scheduler')"
        " if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
