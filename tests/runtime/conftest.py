"""Fixtures for the job pod's runtime: a scheduler database (sqlite and PostgreSQL) and a staging area."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.databases import DATABASES, create_tables_as_the_server_does


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    """Every runtime test that touches the database runs on sqlite and on PostgreSQL.

    A test that is about sqlite alone says so: @pytest.mark.parametrize("database", ["sqlite"]).
    """
    return request.param


@pytest.fixture
def db_url(empty_db_url) -> str:
    """A jupyter-scheduler database, tables made the way the server makes them."""
    create_tables_as_the_server_does(empty_db_url)
    return empty_db_url


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    path = tmp_path / "staging"
    path.mkdir()
    return path
