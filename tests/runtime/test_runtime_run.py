"""`run`: real papermill runs of real notebooks, recorded in a jupyter-scheduler database."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from support.databases import DATABASES, create_tables_as_the_server_does
from jupyter_scheduler.models import Status
from jupyter_scheduler.utils import create_output_filename

from argo_scheduler.runtime import progress
from runtime_helpers import (
    count_jobs,
    create_job_like_the_server,
    definition_spec,
    new_uid,
    read_job,
    runtime_cli,
    sqlite_url,
    without_db_env,
    workflow_args,
)

from argo_scheduler.runtime import record_failure, run_job
from argo_scheduler.runtime.failure import OUTPUTS_MAY_BE_MISSING
from argo_scheduler.runtime.job import finishing
from argo_scheduler.runtime.records import STOPPED_BY_USER, TERMINATED_MESSAGE, JobSnapshot, JobStore
from argo_scheduler.spec import RunSpec

pytestmark = pytest.mark.slow

# Formats nbconvert writes with no system dependency for a notebook without
# markdown cells (pandoc converts markdown cells for latex and asciidoc).
FORMATS = ["ipynb", "html", "markdown", "script", "latex", "asciidoc"]
TYPED_PARAMETERS = {"n": "3", "rate": "0.5", "flag": "True", "label": "42", "extra": "7"}


def outputs_text(notebook_path: str | Path) -> str:
    nb = nbformat.read(notebook_path, as_version=4)
    return "".join(
        output.get("text", "") for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs
    )


def staged(record: JobSnapshot, staging: str | Path, fmt: str) -> Path:
    return Path(staging) / record.job_id / create_output_filename(record.input_filename, record.create_time, fmt)


@dataclass
class CronRun:
    spec: RunSpec
    uid: str
    db_url: str
    result: subprocess.CompletedProcess

    @property
    def record(self) -> JobSnapshot:
        return read_job(self.db_url, self.uid)


@pytest.fixture(scope="module", params=DATABASES)
def cron_run(request, tmp_path_factory) -> CronRun:
    """One run of a job definition through the pod's real entry point, on each database."""
    root = tmp_path_factory.mktemp("cron")
    if request.param == "sqlite":
        db_url = sqlite_url(root / "scheduler.sqlite")
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        name = cluster.create_database()
        request.addfinalizer(lambda: cluster.drop_database(name))
        db_url = cluster.url(name)
    create_tables_as_the_server_does(db_url)
    staging = root / "staging"
    staging.mkdir()
    spec = definition_spec(
        "parameters.ipynb", staging, db_url, parameters=TYPED_PARAMETERS, output_formats=FORMATS
    )
    uid = new_uid()
    return CronRun(spec, uid, db_url, runtime_cli("run", *workflow_args(spec, uid)))


def test_a_cron_run_completes_and_exits_zero(cron_run):
    # GIVEN a cron run (no job id in the spec) of a notebook that succeeds
    # THEN the pod exited 0 and created a COMPLETED record named by the workflow's uid
    assert cron_run.result.returncode == 0, cron_run.result.stderr
    record = cron_run.record
    assert record.status is Status.COMPLETED
    assert record.status_message is None
    assert record.job_definition_id == cron_run.spec.job_definition_id
    assert record.create_time <= record.start_time <= record.end_time


CONTENT_MARKERS = {
    "ipynb": '"nbformat": 4',
    "html": "<html",
    "markdown": "PARAMETERS",
    "script": "n * rate",
    "latex": "\\documentclass",
    "asciidoc": "n * rate",
}


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMATS)
def test_every_requested_format_is_written_under_jupyter_schedulers_name(cron_run, fmt):
    # GIVEN the cron run asked for this format
    path = staged(cron_run.record, cron_run.spec.staging_path, fmt)
    # THEN the job's staging folder has it, under the name the server computes
    assert path.exists()
    assert CONTENT_MARKERS[fmt] in path.read_text(encoding="utf-8")


def test_the_staging_folder_holds_the_input_the_outputs_and_the_log(cron_run):
    # GIVEN the cron run THEN its folder has exactly the input, each output, the log and the run's progress
    record = cron_run.record
    folder = Path(cron_run.spec.staging_path) / record.job_id
    expected = {create_output_filename(record.input_filename, record.create_time, fmt) for fmt in [*FORMATS, "log"]}
    assert {p.name for p in folder.iterdir()} == expected | {record.input_filename, progress.PROGRESS_FILE}
    # AND the progress says the notebook ran to its last cell
    done = progress.read(str(folder))
    assert done["cell"] == done["cells"] > 0 and done["finished_at"] is not None


def test_parameters_arrive_in_the_notebook_typed(cron_run):
    # GIVEN the UI's string parameters: n, rate, flag declared by the notebook as
    # int/float/bool, label declared as a str, extra not declared at all
    executed = staged(cron_run.record, cron_run.spec.staging_path, "ipynb")
    # WHEN the notebook reports what it received
    line = next(line for line in outputs_text(executed).splitlines() if line.startswith("PARAMETERS "))
    seen = json.loads(line.removeprefix("PARAMETERS "))
    # THEN each arrived as a real Python value of the right type
    assert seen == {
        "n": ["int", 3],
        "rate": ["float", 0.5],
        "flag": ["bool", True],
        "label": ["str", "42"],
        "extra": ["int", 7],
    }


def test_the_run_log_has_the_runtimes_lines_and_the_notebooks_output(cron_run):
    # GIVEN the cron run THEN its log has the runtime's steps and what the notebook printed
    log = staged(cron_run.record, cron_run.spec.staging_path, "log").read_text(encoding="utf-8")
    assert "Parameter n: int" in log
    assert "PARAMETERS {" in log
    assert "COMPLETED" in log


def test_a_second_attempt_of_the_same_cron_run_reuses_its_record(cron_run):
    # GIVEN the cron run above already recorded itself
    first = cron_run.record
    # WHEN its pod runs again with the same workflow uid (Argo retried it)
    result = run_job(cron_run.spec, workflow_name="retry", workflow_uid=cron_run.uid)
    # THEN it is the same job: one row, same create time, so the same file names
    assert result.status is Status.COMPLETED and result.exit_code == 0
    assert count_jobs(cron_run.db_url) == 1
    assert cron_run.record.create_time == first.create_time


def test_concurrent_runs_of_one_definition_each_record_their_own_job(empty_db_url, staging):
    # GIVEN a definition whose schedule fired three times at once (concurrencyPolicy Allow),
    # on a database the server has not prepared yet
    spec = definition_spec("parameters.ipynb", staging, empty_db_url, parameters={"n": "2"})
    uids = [new_uid() for _ in range(3)]
    # WHEN their pods run together
    pods = [
        subprocess.Popen(
            [sys.executable, "-m", "argo_scheduler.runtime", "run", *workflow_args(spec, uid, name=f"nb-run-{i}")],
            env=without_db_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for i, uid in enumerate(uids)
    ]
    outputs = [pod.communicate(timeout=240)[0] for pod in pods]
    # THEN each exited 0 and recorded its own COMPLETED job of the definition, with its outputs
    assert [pod.returncode for pod in pods] == [0, 0, 0], outputs
    assert count_jobs(empty_db_url) == 3
    for uid in uids:
        record = read_job(empty_db_url, uid)
        assert (record.status, record.job_definition_id) == (Status.COMPLETED, spec.job_definition_id)
        assert staged(record, staging, "ipynb").exists()


def test_a_failing_cell_fails_the_job_and_keeps_the_partial_outputs(db_url, staging):
    # GIVEN a one-off job the server created, for a notebook whose second cell divides by zero,
    # and two notifiers, one of which is broken
    spec = create_job_like_the_server(
        definition_spec("divide_by_zero.ipynb", staging, db_url, output_formats=["ipynb", "html"]), db_url
    )
    events = []

    def broken(event):
        raise RuntimeError("slack is down")

    # WHEN the pod runs it
    result = run_job(spec, workflow_name="wf", workflow_uid=new_uid(), notifiers=[broken, events.append])
    # THEN the job is FAILED with the cell's exception, and the pod exits non-zero
    record = read_job(db_url, spec.job_id)
    assert record.status is Status.FAILED and result.exit_code == 1
    assert "ZeroDivisionError: division by zero" in record.status_message
    assert record.end_time >= record.start_time
    # AND the executed notebook shows the cells run so far, the failing one with its error
    executed = staged(record, staging, "ipynb")
    assert "before the failure" in outputs_text(executed)
    assert "never printed" not in outputs_text(executed)
    cells = nbformat.read(executed, as_version=4).cells
    errors = [o.ename for c in cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == ["ZeroDivisionError"]
    assert staged(record, staging, "html").exists()
    assert "ZeroDivisionError" in staged(record, staging, "log").read_text(encoding="utf-8")
    # AND the working notifier heard the outcome despite the broken one
    assert [e["status"] for e in events] == ["FAILED"]
    event = events[0]
    assert event["job_id"] == spec.job_id and event["source"] == "pod"
    assert set(event["outputs"]) == {"ipynb", "html"}
    assert event["status_message"] == record.status_message


@pytest.mark.parametrize(
    ("kernel_name", "status"),
    [(None, Status.FAILED), ("python3", Status.COMPLETED)],
    ids=["no-kernel-anywhere", "kernel-named-by-the-job"],
)
def test_a_notebook_without_a_kernelspec_needs_the_job_to_name_one(db_url, staging, kernel_name, status):
    # GIVEN a notebook saved without metadata.kernelspec
    spec = create_job_like_the_server(
        definition_spec("no_kernelspec.ipynb", staging, db_url, kernel_name=kernel_name), db_url
    )
    # WHEN it runs
    result = run_job(spec, workflow_name="wf", workflow_uid=new_uid())
    # THEN it fails clearly when nobody names a kernel, and runs when the job does
    assert result.status is status
    if status is Status.FAILED:
        assert "no kernel" in result.status_message and "kernelspec" in result.status_message


def test_an_output_format_that_cannot_be_written_fails_alone(db_url, staging):
    # GIVEN a job asking for an unknown format and pdf (needs pandoc and TeX) besides ipynb and html
    formats = ["ipynb", "nosuchformat", "pdf", "html"]
    spec = create_job_like_the_server(
        definition_spec("parameters.ipynb", staging, db_url, output_formats=formats), db_url
    )
    # WHEN it runs
    result = run_job(spec, workflow_name="wf", workflow_uid=new_uid())
    record = read_job(db_url, spec.job_id)
    # THEN the formats that can be written are
    assert staged(record, staging, "ipynb").exists() and staged(record, staging, "html").exists()
    # AND the unknown one fails the job with a message naming it
    assert record.status is Status.FAILED and result.exit_code == 1
    assert "'nosuchformat' not written" in record.status_message
    assert "Unknown exporter" in record.status_message
    pdf = staged(record, staging, "pdf")
    if shutil.which("pandoc") and shutil.which("xelatex"):
        assert pdf.read_bytes().startswith(b"%PDF")
    else:
        # AND pdf without its tools says which tool is missing
        assert not pdf.exists()
        assert "'pdf' not written" in record.status_message
        assert "andoc" in record.status_message or "xelatex" in record.status_message


def test_a_job_stopped_before_its_pod_started_is_not_run(db_url, staging):
    # GIVEN a job the user stopped while its pod was pending
    spec = create_job_like_the_server(
        definition_spec("sleep.ipynb", staging, db_url), db_url, status=Status.STOPPING.value
    )
    # WHEN the pod starts anyway
    result = run_job(spec, workflow_name="wf", workflow_uid=new_uid())
    # THEN it records the stop without running the notebook
    record = read_job(db_url, spec.job_id)
    assert (record.status, record.status_message) == (Status.STOPPED, STOPPED_BY_USER)
    assert result.exit_code != 0
    assert not staged(record, staging, "ipynb").exists()


def snapshot(status: Status, message: str | None = None, end_time: int | None = None) -> JobSnapshot:
    return JobSnapshot(
        job_id="j",
        name="n",
        input_filename="a.ipynb",
        output_formats=[],
        parameters={},
        job_definition_id=None,
        status=status,
        status_message=message,
        create_time=1,
        start_time=2,
        end_time=end_time,
    )


@pytest.mark.parametrize(
    ("row", "outcome", "expected"),
    [
        (snapshot(Status.IN_PROGRESS), Status.COMPLETED, (Status.COMPLETED.value, None)),
        (snapshot(Status.IN_PROGRESS), Status.FAILED, (Status.FAILED.value, "boom")),
        (snapshot(Status.STOPPING), Status.COMPLETED, (Status.STOPPED.value, STOPPED_BY_USER)),
        (snapshot(Status.STOPPING, "Stopped in the CLI"), Status.FAILED, (Status.STOPPED.value, "Stopped in the CLI")),
        (snapshot(Status.STOPPED, end_time=5), Status.COMPLETED, (Status.STOPPED.value, STOPPED_BY_USER)),
    ],
    ids=["completed", "failed", "stopping-wins-over-completed", "stopping-keeps-its-message", "stopped-stays"],
)
def test_the_final_record_never_overwrites_a_users_stop(row, outcome, expected):
    # GIVEN the row as the run finds it at the end WHEN the final record is decided
    # THEN a stop the user asked for wins over the notebook's outcome
    changes = finishing(outcome, "boom" if outcome is Status.FAILED else None)(row)
    assert (changes["status"], changes["status_message"]) == expected
    assert changes["end_time"] == (row.end_time or changes["end_time"])


def start_sleeping_run(db_url: str, staging: Path) -> tuple[RunSpec, subprocess.Popen, Path]:
    spec = create_job_like_the_server(
        definition_spec(
            "sleep.ipynb", staging, db_url, parameters={"seconds": "60"}, output_formats=["ipynb", "html"]
        ),
        db_url,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "argo_scheduler.runtime", "run", *workflow_args(spec, new_uid())],
        env=without_db_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = read_job(db_url, spec.job_id)
        log = staged(record, staging, "log")
        if log.exists() and "sleeping" in log.read_text(encoding="utf-8"):
            return spec, process, log
        assert process.poll() is None, "the run ended before the notebook started sleeping"
        time.sleep(0.2)
    process.kill()
    raise AssertionError("the notebook never started sleeping")


@pytest.mark.parametrize("user_stopped", [True, False], ids=["stopped-by-user", "pod-killed"])
def test_sigterm_stops_the_kernel_and_records_the_partial_run(db_url, staging, user_stopped):
    # GIVEN a run whose notebook is sleeping
    spec, process, _ = start_sleeping_run(db_url, staging)
    if user_stopped:
        # (the user pressed Stop: the server marks the job STOPPING, then Argo stops the pod)
        with JobStore(db_url) as store:
            store.update(spec.job_id, lambda row: {"status": Status.STOPPING.value})
    # WHEN Kubernetes sends the pod SIGTERM
    process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=60)
    # THEN the pod exits non-zero at once, keeping what the notebook printed so far
    assert returncode != 0
    record = read_job(db_url, spec.job_id)
    assert "sleeping" in outputs_text(staged(record, staging, "ipynb"))
    assert staged(record, staging, "html").exists()
    if user_stopped:
        assert (record.status, record.status_message) == (Status.STOPPED, STOPPED_BY_USER)
        assert record.end_time is not None
    else:
        # AND, not knowing why it was stopped (a deadline? an eviction?), the
        # pod does not settle the record: a final status is written once
        assert (record.status, record.status_message) == (Status.IN_PROGRESS, TERMINATED_MESSAGE)
        assert record.end_time is None
        # AND the exit handler records the end with what Argo knows
        after = record_failure(
            spec,
            workflow_name="wf",
            workflow_uid=new_uid(),
            workflow_status="Failed",
            workflow_failures='[{"displayName": "wf", "message": "The node was low on resource: memory."}]',
        )
        assert after.status is Status.FAILED
        assert after.status_message == f"Run Failed: The node was low on resource: memory.; {OUTPUTS_MAY_BE_MISSING}"
        assert after.end_time is not None


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs: a real filesystem that fills up, answering writes with ENOSPC.

    Mounting needs root (as on the developers' machines and CI); elsewhere
    the test is skipped rather than faked: a file-size limit (RLIMIT_FSIZE)
    gives EFBIG, and /dev/full reads back endless zeros, unlike a full disk.
    """
    path = tmp_path / "disk"
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.mark.parametrize("database", ["sqlite"])
def test_a_full_disk_is_named_in_the_status_message(db_url, small_disk):
    # GIVEN a one-off job whose staging folder is on a disk that fills up once its input is staged
    staging = small_disk / "staging"
    staging.mkdir()
    spec = create_job_like_the_server(
        definition_spec("parameters.ipynb", staging, db_url, output_formats=["ipynb", "html"]), db_url
    )
    fill(small_disk)
    # WHEN the pod runs it
    result = runtime_cli("run", *workflow_args(spec, new_uid()))
    # THEN the pod itself records FAILED, the status naming the OS error, not only an exit code
    record = read_job(db_url, spec.job_id)
    assert result.returncode == 1, result.stderr
    assert record.status is Status.FAILED
    assert record.status_message.startswith("OSError: [Errno 28] No space left on device"), record.status_message
    # AND the output that could not be made says why
    assert "output 'html' not written: the executed notebook could not be read" in record.status_message
    # AND the log that could not be written is reported once, not once a line
    assert result.stderr.count("Cannot write the run log") == 1, result.stderr
    assert "--- Logging error ---" not in result.stderr


@pytest.mark.parametrize("outcome", [Status.COMPLETED, Status.FAILED, Status.IN_PROGRESS], ids=str)
@pytest.mark.parametrize("settled", [Status.COMPLETED, Status.FAILED], ids=str)
def test_an_end_recorded_by_someone_else_is_not_overwritten(settled, outcome):
    # GIVEN a record the scheduler settled while the pod was still running (its workflow was found over)
    row = snapshot(settled, "local runner exited unexpectedly", end_time=5)
    # WHEN the pod comes to record its own outcome THEN it leaves the record as it is: an end is recorded once
    assert finishing(outcome, "late")(row) is None
