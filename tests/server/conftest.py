"""A real Jupyter server with jupyter-scheduler's REST API driven by ArgoScheduler on the local engine."""

from __future__ import annotations

import asyncio
import json
import shutil
import time

import pytest
from support.samples import NOTEBOOKS

DONE = ("COMPLETED", "FAILED", "STOPPED")


@pytest.fixture(autouse=True)
def server_cwd_is_root_dir(jp_root_dir, monkeypatch):
    # jupyter-scheduler's downloader writes to a root-relative path from the
    # server's working directory; JupyterLab is started in its root dir.
    monkeypatch.chdir(jp_root_dir)


@pytest.fixture
def local_engine(jp_data_dir):
    from argo_scheduler.engines.local import LocalEngine

    return LocalEngine(state_dir=str(jp_data_dir / "argo_scheduler" / "local"))


@pytest.fixture(autouse=True)
def no_agent_left_behind(no_agent_left_behind):
    # Every test here runs a server on the local engine.
    return no_agent_left_behind


DB_SECRET = "scheduler-db"


@pytest.fixture
def jp_server_config(jp_data_dir, database, request):
    scheduler_app = {
        "scheduler_class": "argo_scheduler.ArgoScheduler",
        "environment_manager_class": "argo_scheduler.environments.ArgoEnvironmentManager",
    }
    argo_scheduler = {"engine": "local"}
    if database == "postgresql":
        # sqlite stays jupyter-scheduler's default, a file in the server's data dir.
        url = scheduler_app["db_url"] = request.getfixturevalue("postgres_url")
        # The URL has a password: the job's pod reads it from a Secret, as on Kubernetes.
        request.getfixturevalue("local_engine").put_secret(DB_SECRET, {"url": url})
        argo_scheduler["db_url_secret_name"] = DB_SECRET
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_scheduler": True, "argo_scheduler": True}},
        "SchedulerApp": scheduler_app,
        "ArgoScheduler": argo_scheduler,
    }


@pytest.fixture
def notebook(jp_root_dir):
    """Copy a fixture notebook into the server's root dir; returns its name there."""

    def copy(name: str, as_name: str | None = None) -> str:
        target = jp_root_dir / (as_name or name)
        shutil.copy(NOTEBOOKS / name, target)
        return target.name

    return copy


class Api:
    """The scheduler's REST API, called as the JupyterLab UI calls it."""

    def __init__(self, fetch):
        self.fetch = fetch

    async def call(self, method: str, *path: str, body: dict | None = None, **kwargs):
        response = await self.fetch(
            "scheduler", *path, method=method, body=None if body is None else json.dumps(body),
            raise_error=False, allow_nonstandard_methods=True, **kwargs,
        )
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    async def ok(self, method: str, *path: str, body: dict | None = None, **kwargs):
        code, data = await self.call(method, *path, body=body, **kwargs)
        assert code < 300, f"{method} /scheduler/{'/'.join(path)} -> {code}: {data}"
        return data

    async def wait_job(self, job_id: str, until=DONE, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = await self.ok("GET", "jobs", job_id)
            if job["status"] in until:
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
            await asyncio.sleep(0.5)


@pytest.fixture
def api(jp_fetch) -> Api:
    return Api(jp_fetch)
