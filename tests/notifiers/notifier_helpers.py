"""What the notifiers' tests share besides fixtures (tests import this, never conftest)."""

from __future__ import annotations

from pathlib import Path

# The token the fake Slack accepts.
SLACK_TOKEN = "xoxb-test-0000-secret"

def event(tmp_path: Path, status: str = "COMPLETED", html: str | None = None, log: str | None = None, **fields) -> dict:
    """A finished run's event as argo_scheduler.runtime.events builds it."""
    folder = tmp_path / "staging" / "job-1"
    folder.mkdir(parents=True, exist_ok=True)
    outputs = {}
    if html is not None:
        path = folder / "report-2026-01-05-09-00-00-AM.html"
        path.write_text(html)
        outputs["html"] = str(path)
    log_path = None
    if log is not None:
        log_path = folder / "report-2026-01-05-09-00-00-AM.log"
        log_path.write_text(log)
    data = {
        "event": "job.finished",
        "source": "pod",
        "job_id": "5b0f3c0e-0000-4000-8000-000000000001",
        "job_name": "report",
        "job_definition_id": None,
        "owner": "ana@example.com",
        "input_filename": "report.ipynb",
        "status": status,
        "status_message": None if status == "COMPLETED" else "ZeroDivisionError: division by zero (in cell In [3])",
        "parameters": {"n": "2"},
        "create_time": 1767600000000,
        "start_time": 1767600000000,
        "end_time": 1767600184000,
        "staging_dir": str(folder),
        "outputs": outputs,
        "log_path": str(log_path) if log_path else None,
        "workflow": {"name": "report-5b0f3c0e", "uid": "u-1"},
    }
    data.update(fields)
    return data
