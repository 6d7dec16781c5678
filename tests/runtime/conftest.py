"""Fixtures for the job pod's runtime: a scheduler database and a staging area."""

from __future__ import annotations

from pathlib import Path

import pytest
from jupyter_scheduler.orm import create_tables
from runtime_helpers import sqlite_url


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A jupyter-scheduler database, tables created the way the server creates them."""
    url = sqlite_url(tmp_path / "scheduler.sqlite")
    create_tables(url)
    return url


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    path = tmp_path / "staging"
    path.mkdir()
    return path
