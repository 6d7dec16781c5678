"""`record-failure`: the exit handler records what the job's pod could not."""

from __future__ import annotations

import json

import pytest
from jupyter_scheduler.models import Status
from runtime_helpers import (
    count_jobs,
    create_job_like_the_server,
    definition_spec,
    new_uid,
    read_job,
    runtime_cli,
    workflow_args,
)

from argo_scheduler.runtime import record_failure
from argo_scheduler.runtime.failure import (
    OUTPUTS_MAY_BE_MISSING,
    NodeFailure,
    decide,
    describe,
    parse_failures,
    shutdown_strategy,
)
from argo_scheduler.runtime.records import STOPPED_BY_USER, TERMINATED_MESSAGE, JobSnapshot

OOM = {
    "displayName": "report-3f2a",
    "message": "OOMKilled (exit code 137)",
    "templateName": "run",
    "phase": "Failed",
    "podName": "report-3f2a-run-1234",
    "finishedAt": "2024-05-01T10:00:00Z",
}
STOP = {"displayName": "report-3f2a", "message": "Stopped with strategy 'Stop'", "phase": "Failed"}
TERMINATE = {"displayName": "report-3f2a", "message": "Stopped with strategy 'Terminate'", "phase": "Failed"}


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (json.dumps([OOM]), ["OOMKilled (exit code 137)"]),
        (json.dumps(OOM), ["OOMKilled (exit code 137)"]),
        (
            json.dumps([OOM, {"displayName": "x", "message": "pod deleted"}]),
            ["OOMKilled (exit code 137)", "pod deleted"],
        ),
        ("", []),
        (None, []),
        ("null", []),
        ("[]", []),
        ("{{workflow.failures}}", []),
        ("not json at all", ["not json at all"]),
        ('["a plain string"]', ["a plain string"]),
        (json.dumps(json.dumps([OOM])), [OOM["message"]]),
        (json.dumps("null"), []),
    ],
    ids=[
        "list",
        "single-object",
        "two-nodes",
        "empty",
        "none",
        "null",
        "empty-list",
        "unsubstituted",
        "not-json",
        "list-of-strings",
        "argo-v4-quoted",
        "argo-v4-quoted-null",
    ],
)
def test_argos_failures_are_read_tolerantly(text, messages):
    # GIVEN whatever Argo substituted for {{workflow.failures}} THEN its messages, never an error
    assert [failure.message for failure in parse_failures(text)] == messages


def test_a_failure_keeps_argos_node_fields():
    # GIVEN one failed node as Argo describes it THEN every field it gave is kept
    (failure,) = parse_failures(json.dumps([OOM]))
    assert failure == NodeFailure(
        name="report-3f2a",
        message="OOMKilled (exit code 137)",
        template="run",
        phase="Failed",
        pod="report-3f2a-run-1234",
    )


@pytest.mark.parametrize(
    ("message", "strategy"),
    [
        ("Stopped with strategy 'Stop'", "Stop"),
        ("Stopped with strategy 'Terminate'", "Terminate"),
        ('Stopped with strategy "Stop"', "Stop"),
        ("workflow shutdown with strategy: Stop", "Stop"),
        ("OOMKilled (exit code 137)", None),
        ("terminated", None),
    ],
    ids=["stop", "terminate", "double-quoted", "older-wording", "oom", "plain-terminated"],
)
def test_argos_shutdown_strategy_is_recognised(message, strategy):
    # GIVEN a node message THEN a shutdown is recognised in Argo's wordings only
    assert shutdown_strategy([NodeFailure(name="n", message=message)]) == strategy


def test_the_message_is_argos_own():
    # GIVEN an OOMKilled pod THEN the message quotes Argo and warns about the outputs
    assert describe(parse_failures(json.dumps([OOM])), "Failed") == (
        f"Run Failed: OOMKilled (exit code 137); {OUTPUTS_MAY_BE_MISSING}"
    )


def test_several_failed_nodes_are_named():
    # GIVEN two failed nodes THEN each message says which node it is about
    failures = [NodeFailure("run", "OOMKilled (exit code 137)"), NodeFailure("other", "pod deleted")]
    assert describe(failures, "Failed").startswith("Run Failed: run: OOMKilled (exit code 137); other: pod deleted")


@pytest.mark.parametrize("status", ["Error", "{{workflow.status}}"], ids=["error", "unsubstituted"])
def test_no_failures_from_argo_still_gives_a_message(status):
    # GIVEN no failures (or an unsubstituted status) THEN still a message that says so
    expected = "Workflow Error" if status == "Error" else "Workflow failed"
    assert describe([], status).startswith(f"{expected} with no message from Argo")


def row(status: Status, message: str | None = None, *, started: bool = True, ended: bool = False) -> JobSnapshot:
    return JobSnapshot(
        job_id="j",
        name="n",
        input_filename="a.ipynb",
        output_formats=["ipynb"],
        parameters={},
        job_definition_id=None,
        status=status,
        status_message=message,
        create_time=1,
        start_time=2 if started else None,
        end_time=3 if ended else None,
    )


OOM_FAILURES = [NodeFailure.of(OOM)]
OOM_MESSAGE = f"Run Failed: OOMKilled (exit code 137); {OUTPUTS_MAY_BE_MISSING}"

DECISIONS = [
    ("pod-died", row(Status.IN_PROGRESS), OOM_FAILURES, (Status.FAILED, OOM_MESSAGE)),
    ("never-started", row(Status.CREATED, started=False), OOM_FAILURES, (Status.FAILED, OOM_MESSAGE)),
    ("new-row-default-stopped", row(Status.STOPPED, started=False), OOM_FAILURES, (Status.FAILED, OOM_MESSAGE)),
    ("pod-recorded-failure", row(Status.FAILED, "ZeroDivisionError: division by zero", ended=True), OOM_FAILURES, None),
    ("pod-recorded-failure-no-end", row(Status.FAILED, "boom"), OOM_FAILURES, (Status.FAILED, "boom")),
    ("pod-terminated", row(Status.FAILED, TERMINATED_MESSAGE, ended=True), OOM_FAILURES, (Status.FAILED, OOM_MESSAGE)),
    ("pod-terminated-argo-silent", row(Status.FAILED, TERMINATED_MESSAGE, ended=True), [], None),
    ("stopping", row(Status.STOPPING), OOM_FAILURES, (Status.STOPPED, STOPPED_BY_USER)),
    ("stopping-keeps-message", row(Status.STOPPING, "Stopped in the CLI"), [], (Status.STOPPED, "Stopped in the CLI")),
    ("stopped-by-user-already", row(Status.STOPPED, STOPPED_BY_USER, ended=True), [NodeFailure.of(STOP)], None),
    ("stopped-before-start", row(Status.STOPPED, started=False), [NodeFailure.of(STOP)], (Status.STOPPED, None)),
    ("argo-stop-while-running", row(Status.IN_PROGRESS), [NodeFailure.of(STOP)], (Status.STOPPED, STOPPED_BY_USER)),
    ("argo-terminate", row(Status.IN_PROGRESS), [NodeFailure.of(TERMINATE)], (Status.FAILED, None)),
    ("completed", row(Status.COMPLETED, ended=True), OOM_FAILURES, None),
]


@pytest.mark.parametrize(
    ("current", "failures", "expected"),
    [case[1:] for case in DECISIONS],
    ids=[case[0] for case in DECISIONS],
)
def test_the_exit_handler_decision(current, failures, expected):
    # GIVEN the job's record as the exit handler finds it, and Argo's failures
    # WHEN the handler decides
    changes = decide(current, failures, "Failed")
    # THEN it changes only what the pod could not record, and always leaves an end time
    if expected is None:
        assert changes is None
        return
    status, message = expected
    after = {"status": current.status.value, "status_message": current.status_message, **changes}
    assert after["status"] == status.value
    if message is not None:
        assert after["status_message"] == message
    assert changes["end_time"] is not None


def test_a_terminate_message_says_so():
    # GIVEN an `argo terminate` (not the scheduler's stop) THEN FAILED, quoting Argo
    changes = decide(row(Status.IN_PROGRESS), [NodeFailure.of(TERMINATE)], "Failed")
    assert "Stopped with strategy 'Terminate'" in changes["status_message"]


@pytest.mark.parametrize(
    ("columns", "expected_status", "expected_message"),
    [
        ({"status": Status.IN_PROGRESS.value, "start_time": 1}, Status.FAILED, OOM_MESSAGE),
        (
            {
                "status": Status.FAILED.value,
                "status_message": "ZeroDivisionError: division by zero",
                "start_time": 1,
                "end_time": 2,
            },
            Status.FAILED,
            "ZeroDivisionError: division by zero",
        ),
        ({"status": Status.STOPPING.value, "start_time": 1}, Status.STOPPED, STOPPED_BY_USER),
    ],
    ids=["pod-died", "already-failed", "stopping"],
)
def test_the_exit_handler_records_a_one_off_job(db_url, staging, columns, expected_status, expected_message):
    # GIVEN a one-off job in the state its pod left it in
    spec = create_job_like_the_server(definition_spec("parameters.ipynb", staging, db_url), db_url, **columns)
    before = read_job(db_url, spec.job_id)
    # WHEN the exit handler runs with Argo's failures
    after = record_failure(
        spec, workflow_name="wf", workflow_uid=new_uid(), workflow_status="Failed", workflow_failures=json.dumps([OOM])
    )
    # THEN the record says what happened, and has an end time
    assert (after.status, after.status_message) == (expected_status, expected_message)
    assert after.end_time is not None
    if expected_status is before.status:
        assert after.end_time == before.end_time


def test_the_exit_handler_creates_the_record_of_a_cron_run_whose_pod_never_started(db_url, staging):
    # GIVEN a cron run whose image could not be pulled: no record, nothing staged
    spec = definition_spec("parameters.ipynb", staging, db_url, parameters={"n": "2"})
    uid = new_uid()
    failures = json.dumps([{"displayName": "wf", "message": "ImagePullBackOff: Back-off pulling image \"nope\""}])
    events = []
    # WHEN the exit handler runs (through the pod's entry point)
    result = runtime_cli(
        "record-failure", *workflow_args(spec, uid), "--workflow-status", "Error", "--workflow-failures", failures
    )
    # THEN it exits 0 and created the job's record, FAILED with Argo's reason
    assert result.returncode == 0, result.stderr
    record = read_job(db_url, uid)
    assert record.status is Status.FAILED
    assert record.status_message.startswith('Run Failed: ImagePullBackOff: Back-off pulling image "nope"')
    assert record.job_definition_id == spec.job_definition_id and record.parameters == {"n": "2"}
    assert record.end_time is not None and record.start_time is None
    # AND the input is staged like any run's, so the job's files are complete
    assert (staging / uid / "parameters.ipynb").exists()
    # AND a second delivery of the same exit changes nothing, and notifies nobody
    again = record_failure(
        spec,
        workflow_name="wf",
        workflow_uid=uid,
        workflow_status="Error",
        workflow_failures=failures,
        notifiers=[events.append],
    )
    assert again == record and count_jobs(db_url) == 1 and events == []


def test_the_exit_handler_notifies_when_it_records_the_outcome(db_url, staging):
    # GIVEN a pod that died mid-run WHEN the exit handler records it THEN the notifiers hear it
    spec = create_job_like_the_server(
        definition_spec("parameters.ipynb", staging, db_url), db_url, status=Status.IN_PROGRESS.value, start_time=1
    )
    events = []
    record_failure(
        spec,
        workflow_name="wf",
        workflow_uid=new_uid(),
        workflow_status="Failed",
        workflow_failures=json.dumps([OOM]),
        notifiers=[events.append],
    )
    heard = [(event["source"], event["status"], event["status_message"]) for event in events]
    assert heard == [("exit-handler", "FAILED", OOM_MESSAGE)]


def test_a_succeeded_workflow_is_left_alone(db_url, staging):
    # GIVEN the handler is called for a workflow that succeeded THEN it records nothing
    spec = definition_spec("parameters.ipynb", staging, db_url)
    uid = new_uid()
    result = record_failure(
        spec, workflow_name="wf", workflow_uid=uid, workflow_status="Succeeded", workflow_failures=""
    )
    assert result is None
    assert read_job(db_url, uid) is None


DEADLINE = NodeFailure.of({"displayName": "nb", "message": "Step exceeded its deadline", "phase": "Failed"})
KUBELET_DEADLINE = NodeFailure.of(
    {"displayName": "nb", "message": "Pod was active on the node longer than the specified deadline", "phase": "Failed"}
)
TIMED_OUT = f"timed out after 60 s (Argo: Step exceeded its deadline); {OUTPUTS_MAY_BE_MISSING}"
TIMEOUT_DECISIONS = [
    ("pod-killed", row(Status.IN_PROGRESS), [DEADLINE], (Status.FAILED, TIMED_OUT)),
    ("pod-terminated", row(Status.FAILED, TERMINATED_MESSAGE, ended=True), [DEADLINE], (Status.FAILED, TIMED_OUT)),
    (
        "attempt-terminated",
        row(Status.FAILED, f"attempt 3 of 3 failed: {TERMINATED_MESSAGE}; attempt 1: boom", ended=True),
        [DEADLINE],
        (Status.FAILED, TIMED_OUT),
    ),
    (
        "during-retry-wait",
        row(Status.IN_PROGRESS, "attempt 1 of 3 failed: boom; retrying"),
        [DEADLINE],
        (Status.FAILED, TIMED_OUT),
    ),
    (
        "kubelet-words",
        row(Status.IN_PROGRESS),
        [KUBELET_DEADLINE],
        (Status.FAILED, "timed out after 60 s (Argo: Pod was active on the node longer than the specified deadline); "
                        f"{OUTPUTS_MAY_BE_MISSING}"),
    ),
    # A cell error the pod recorded itself, on its last attempt, stays the reason.
    ("own-failure-wins", row(Status.FAILED, "attempt 2 of 2 failed: boom", ended=True), [DEADLINE], None),
    ("stopped-wins", row(Status.STOPPING), [DEADLINE], (Status.STOPPED, STOPPED_BY_USER)),
]


@pytest.mark.parametrize(
    ("current", "failures", "expected"),
    [case[1:] for case in TIMEOUT_DECISIONS],
    ids=[case[0] for case in TIMEOUT_DECISIONS],
)
def test_a_deadline_is_recorded_as_timed_out(current, failures, expected):
    # GIVEN the record as the exit handler finds it after Argo's deadline
    # WHEN the handler decides, knowing the job's timeout
    changes = decide(current, failures, "Failed", timeout_seconds=60)
    # THEN a run the deadline cut short is FAILED "timed out after N s", in Argo's words too
    if expected is None:
        assert changes is None
        return
    status, message = expected
    assert changes["status"] == status.value
    assert changes["status_message"] == message


def test_the_timed_out_message_keeps_the_earlier_attempts():
    # GIVEN attempts that recorded their outcomes before the deadline cut the last one short
    changes = decide(row(Status.IN_PROGRESS), [DEADLINE], "Failed", 60, ["attempt 1: boom", "attempt 2: bang"])
    # THEN they follow the timeout in the message
    assert changes["status_message"] == f"{TIMED_OUT}; attempt 1: boom; attempt 2: bang"


def test_the_exit_handler_reads_the_attempts_outcomes(db_url, staging):
    # GIVEN a retried job whose first attempt recorded its failure, the second killed at the deadline
    from argo_scheduler.runtime import attempts

    spec = create_job_like_the_server(
        definition_spec("divide_by_zero.ipynb", staging, db_url), db_url,
        status=Status.IN_PROGRESS.value, status_message="attempt 2 of 2 running; attempt 1: boom",
    )
    attempts.remember(str(staging / spec.job_id), attempts.Attempt(1, 2), "boom")
    # WHEN the exit handler runs with Argo's deadline failure
    record_failure(
        spec, workflow_name="nb", workflow_uid=new_uid(), workflow_status="Failed",
        workflow_failures=json.dumps([{"displayName": "nb(1)", "message": "Step exceeded its deadline"}]),
        timeout_seconds=30,
    )
    # THEN the record says it timed out, and what the first attempt ended with
    job = read_job(db_url, spec.job_id)
    assert job.status is Status.FAILED
    assert job.status_message == (
        f"timed out after 30 s (Argo: Step exceeded its deadline); {OUTPUTS_MAY_BE_MISSING}; attempt 1: boom"
    )
