"""Engines on jupyter-scheduler's database that tolerate a busy sqlite file.

The Jupyter server, the CLI and every job's pod write the same database;
sqlite answers "database is locked" at once unless told to wait.
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def make_engine(db_url: str | URL, busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> Engine:
    url = make_url(db_url)
    connect_args = {"timeout": busy_timeout} if url.get_backend_name() == "sqlite" else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def session_factory(db_url: str) -> sessionmaker:
    return sessionmaker(bind=make_engine(db_url))
