"""Sessions on jupyter-scheduler's database that tolerate a busy sqlite file.

The Jupyter server, the CLI and every job's pod write the same database;
sqlite answers "database is locked" at once unless told to wait.
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def session_factory(db_url: str) -> sessionmaker:
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS} if db_url.startswith("sqlite") else {}
    return sessionmaker(bind=create_engine(db_url, connect_args=connect_args))
