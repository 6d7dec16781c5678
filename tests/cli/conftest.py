"""Run the real `argo-scheduler` command in a subprocess, in an isolated Jupyter home."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.samples import NOTEBOOKS


@dataclass
class Cli:
    home: Path
    env: dict

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.home / 'data' / 'scheduler.sqlite'}"

    @property
    def staging(self) -> Path:
        return self.home / "data" / "scheduler_staging_area"

    def __call__(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "argo_scheduler.cli", *map(str, args)],
            env=self.env, cwd=self.home / "work", capture_output=True, text=True, timeout=timeout,
        )

    def json(self, *args: str) -> dict:
        result = self(*args, "--json")
        assert result.stdout.strip(), result.stderr
        return json.loads(result.stdout)

    def notebook(self, name: str) -> Path:
        target = self.home / "work" / name
        shutil.copy(NOTEBOOKS / name, target)
        return target

    def wait(self, job_id: str, until=("COMPLETED", "FAILED", "STOPPED"), timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            state = self.json("status", job_id)
            if state["status"] in until or time.monotonic() > deadline:
                return state
            time.sleep(0.5)

    def job_rows(self) -> list:
        from jupyter_scheduler.orm import Job, create_session

        if not (self.home / "data" / "scheduler.sqlite").exists():
            return []
        with create_session(self.db_url)() as session:
            return session.query(Job).all()


@pytest.fixture
def cli(tmp_path) -> Cli:
    """GIVEN a fresh Jupyter data and config dir: the CLI's defaults point there."""
    for sub in ("data", "config", "work"):
        (tmp_path / sub).mkdir()
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_CONFIG_PATH": str(tmp_path / "config"),
        "JUPYTER_PLATFORM_DIRS": "0",
        "JUPYTERHUB_USER": "ana@example.com",
    }
    env.pop("ARGO_SERVER", None)
    return Cli(home=tmp_path, env=env)
