"""A retried run's pod: which attempt it is, what the record says between and after attempts."""

from __future__ import annotations

import pytest
from jupyter_scheduler.models import Status
from runtime_helpers import create_job_like_the_server, definition_spec, new_uid, read_job, runtime_cli, workflow_args

from argo_scheduler.runtime import run_job
from argo_scheduler.runtime.attempts import NO_OUTCOME, Attempt, outcomes

REASON = "ZeroDivisionError: division by zero (in cell In [2])"


@pytest.mark.parametrize(
    ("retry_number", "limit", "expected"),
    [(0, 0, Attempt(1, 1)), (0, 2, Attempt(1, 3)), (2, 2, Attempt(3, 3))],
    ids=["no-retries", "first-of-three", "last-of-three"],
)
def test_argos_retry_number_becomes_attempt_k_of_n(retry_number, limit, expected):
    assert Attempt.from_retries(retry_number, limit) == expected


@pytest.mark.parametrize(("retry_number", "limit"), [(3, 2), (-1, 2), (0, -1)], ids=["past-limit", "negative", "bad-limit"])
def test_an_impossible_attempt_is_refused(retry_number, limit):
    with pytest.raises(ValueError, match="retry number"):
        Attempt.from_retries(retry_number, limit)


@pytest.fixture
def failing_job(db_url, staging):
    return create_job_like_the_server(definition_spec("divide_by_zero.ipynb", staging, db_url), db_url)


@pytest.mark.slow
def test_a_failed_attempt_with_attempts_left_stays_in_progress(failing_job, db_url):
    # GIVEN the first of three attempts of a notebook that fails, and a notifier
    events = []
    # WHEN the pod runs it
    result = run_job(failing_job, workflow_name="wf", workflow_uid=new_uid(), notifiers=[events.append],
                     attempt=Attempt(1, 3))
    # THEN the record is IN_PROGRESS, saying which attempt failed, why, and that it retries
    record = read_job(db_url, failing_job.job_id)
    assert record.status is Status.IN_PROGRESS
    assert record.status_message == f"attempt 1 of 3 failed: {REASON}; retrying"
    assert record.end_time is None
    # AND the pod exits non-zero so that Argo retries, and nobody is told yet
    assert result.exit_code == 1 and events == []


@pytest.mark.slow
def test_the_last_attempt_keeps_every_earlier_outcome(failing_job, db_url, staging):
    # GIVEN a job whose first attempt failed and whose second left no outcome (its pod was lost)
    run_job(failing_job, workflow_name="wf", workflow_uid=new_uid(), attempt=Attempt(1, 3))
    first_start = read_job(db_url, failing_job.job_id).start_time
    # WHEN its third and last attempt fails too
    result = run_job(failing_job, workflow_name="wf", workflow_uid=new_uid(), attempt=Attempt(3, 3))
    # THEN the record is FAILED: the last attempt's reason, then each earlier attempt's
    record = read_job(db_url, failing_job.job_id)
    assert record.status is Status.FAILED and result.exit_code == 1
    assert record.status_message == (
        f"attempt 3 of 3 failed: {REASON}; attempt 1: {REASON}; attempt 2: {NO_OUTCOME}"
    )
    # AND the run's start is its first attempt's
    assert record.start_time == first_start and record.end_time >= record.start_time
    assert outcomes(str(staging / failing_job.job_id)) == {1: REASON, 3: REASON}


@pytest.mark.slow
def test_the_cli_reads_the_attempt_from_argos_retry_number(failing_job, db_url):
    # GIVEN the run command as the manifest writes it for the second of two attempts
    uid = new_uid()
    # WHEN the pod runs it
    result = runtime_cli("run", *workflow_args(failing_job, uid), "--retry-number", "1", "--retry-limit", "1")
    # THEN the final record says it was attempt 2 of 2
    assert result.returncode == 1, result.stderr
    record = read_job(db_url, failing_job.job_id)
    assert record.status is Status.FAILED
    assert record.status_message.startswith(f"attempt 2 of 2 failed: {REASON}; attempt 1: ")


def test_an_unresolved_retry_number_is_an_unusable_pod_argument(failing_job):
    # GIVEN `{{retries}}` left as is (a manifest without retryStrategy) WHEN the pod starts
    result = runtime_cli("run", *workflow_args(failing_job, new_uid()), "--retry-number", "{{retries}}")
    # THEN it refuses to run (exit 2), as for any argument it cannot use
    assert result.returncode == 2
