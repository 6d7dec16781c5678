"""What the notifiers' tests share besides fixtures (tests import this, never conftest)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# A webhook URL's path is its credential.
SECRET_PATH = "/hooks/T000/B000/s3cr3t-path-token"
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


class Receiver:
    """Answers each POST with the next status of `statuses` (the last one repeats), recording bodies."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
