"""The promise: jobs and schedules keep going while the user's Jupyter server is down.

Real `jupyter server` processes on 127.0.0.1, started and stopped like a
culled JupyterHub server, sharing one database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from support.samples import NOTEBOOKS

TOKEN = "restart-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, env: dict):
        self.home, self.env, self.port = home, env, _free_port()
        self.log = open(home / f"server-{self.port}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root", f"--port={self.port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={home / 'root'}"],
            cwd=home / "root", env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.call("GET", "api/status")
                return
            except (urllib.error.URLError, ConnectionError):
                assert self.process.poll() is None, (self.home / f"server-{self.port}.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "jupyter server did not start"
                time.sleep(0.5)

    def call(self, method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read().decode()
            return json.loads(text) if text else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def _rows(db: Path):
    from jupyter_scheduler.orm import Job, create_session

    with create_session(f"sqlite:///{db}")() as session:
        return [(j.job_id, j.job_definition_id, j.status) for j in session.query(Job)]


@pytest.fixture
def home(tmp_path):
    tmp_path = tmp_path / "restart"
    for sub in ("root", "data", "config", "runtime"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "config" / "jupyter_server_config.py").write_text(
        "c.ServerApp.jpserver_extensions = {'jupyter_scheduler': True}\n"
        "c.SchedulerApp.scheduler_class = 'argo_scheduler.ArgoScheduler'\n"
        "c.SchedulerApp.environment_manager_class = 'argo_scheduler.environments.ArgoEnvironmentManager'\n"
        "c.ArgoScheduler.engine = 'local'\n"
    )
    for name in ("sleep.ipynb", "parameters.ipynb"):
        shutil.copy(NOTEBOOKS / name, tmp_path / "root" / name)
    yield tmp_path
    from argo_scheduler.engines.local.agent_control import stop_agent

    stop_agent(str(tmp_path / "data" / "argo_scheduler" / "local"))


def test_jobs_and_schedules_survive_the_server_stopping(home):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "ARGO_"))},
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "0",
    }
    db = home / "data" / "scheduler.sqlite"
    # GIVEN a server where the user creates a job and a schedule
    first = Server(home, env)
    try:
        job_id = first.call("POST", "scheduler/jobs", {
            "name": "long", "input_uri": "sleep.ipynb", "runtime_environment_name": "python3",
            "output_formats": ["ipynb"], "parameters": {"seconds": "8"},
        })["job_id"]
        definition_id = first.call("POST", "scheduler/job_definitions", {
            "name": "every minute", "input_uri": "parameters.ipynb", "runtime_environment_name": "python3",
            "output_formats": ["ipynb", "html"], "schedule": "* * * * *", "timezone": "UTC",
        })["job_definition_id"]
    finally:
        # WHEN the server stops (culled) while the job runs
        first.stop()
    assert first.process.returncode is not None

    # THEN the job finishes and the schedule fires with no server up
    _wait(lambda: any(r[0] == job_id and r[2] == "COMPLETED" for r in _rows(db)), 180, "the job to complete")
    _wait(lambda: any(r[1] == definition_id and r[2] == "COMPLETED" for r in _rows(db)), 180, "a scheduled run")

    # AND a new server on the same database shows both, with outputs
    second = Server(home, env)
    try:
        job = second.call("GET", f"scheduler/jobs/{job_id}")
        assert job["status"] == "COMPLETED"
        runs = second.call("GET", f"scheduler/jobs?job_definition_id={definition_id}")["jobs"]
        completed = [run for run in runs if run["status"] == "COMPLETED"]
        assert completed, runs
        run = completed[0]
        second.call("GET", f"scheduler/jobs/{run['job_id']}/download_files")
        run = _wait(lambda: (r := second.call("GET", f"scheduler/jobs/{run['job_id']}")) and r["downloaded"] and r, 30,
                    "the outputs to download")
        formats = {f["file_format"] for f in run["job_files"] if f["file_path"]}
        assert {"ipynb", "html"} <= formats
    finally:
        second.call("DELETE", f"scheduler/job_definitions/{definition_id}")
        second.stop()
