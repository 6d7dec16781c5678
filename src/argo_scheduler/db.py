"""Engines on jupyter-scheduler's database, and its tables made fit for the database they are in.

The Jupyter server, the CLI and every job's pod write the same database;
sqlite answers "database is locked" at once unless told to wait.

jupyter-scheduler 2.12's schema is right for sqlite only; this module repairs
two faults it has elsewhere:

- its epoch-millisecond columns (create_time, …) are INTEGER, 32 bits on
  PostgreSQL, so the first job fails with "integer out of range"
  (jupyter-scheduler#375, #591). The type matters twice: in the table, and
  in every statement, since psycopg 3 casts each bound value to the
  column's type (`%(create_time)s::INTEGER`). So the ORM's columns are
  typed BIGINT as soon as this module is imported, as that upstream fix
  types them, and ensure_schema widens tables created before.
- its JSON columns (parameters, tags, output_formats, …) are VARCHAR(1024)
  or less, a limit sqlite never enforces and PostgreSQL does: a job whose
  parameters are a little long is refused ("value too long"). They become
  TEXT, so PostgreSQL stores whatever sqlite stores.
- its create_tables adds the columns newer than an existing table on a
  connection it never commits, which PostgreSQL rolls back; the ORM then
  selects columns that do not exist, and no old row can be read.
"""

from __future__ import annotations

from jupyter_scheduler.orm import Base, EmailNotificationType, JsonType, update_db_schema
from sqlalchemy import BigInteger, Integer, String, create_engine, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.sql import text

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

# Losing a race to create a table or add a column: PostgreSQL raises
# DuplicateTable/DuplicateColumn (ProgrammingError), or a unique violation
# on its catalog (IntegrityError) when both CREATEs ran at the same time;
# sqlite an OperationalError that says so (others, "database is locked",
# are for the caller's retry).
_SQLITE_RACE_MARKERS = ("already exists", "duplicate column")
_SCHEMA_ATTEMPTS = 3
_JSON_TYPES = (JsonType, EmailNotificationType)


def _lost_a_race(error: Exception) -> bool:
    if isinstance(error, (IntegrityError, ProgrammingError)):
        return True
    return any(marker in str(error.orig).lower() for marker in _SQLITE_RACE_MARKERS)


def _is_time(column) -> bool:
    return isinstance(column.type, Integer) and column.name.endswith("_time")


def _type_times_as_bigint() -> None:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if _is_time(column) and not isinstance(column.type, BigInteger):
                column.type = BigInteger()


# Before any statement on these tables is compiled, by this process's engines or jupyter-scheduler's.
_type_times_as_bigint()


def make_engine(db_url: str | URL, busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> Engine:
    url = make_url(db_url)
    connect_args = {"timeout": busy_timeout} if url.get_backend_name() == "sqlite" else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def ensure_schema(engine: Engine) -> None:
    """jupyter-scheduler's tables in `engine`'s database: created, completed, able to hold its times.

    Existing rows are kept; only missing tables and columns are added, and
    on PostgreSQL columns are widened (postgresql_widenings).
    """
    # Every statement committed on its own: update_db_schema's ALTERs
    # would otherwise be rolled back with its uncommitted connection.
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    for attempt in range(_SCHEMA_ATTEMPTS):
        try:
            update_db_schema(autocommit, Base)
            Base.metadata.create_all(autocommit)
            if engine.dialect.name == "postgresql":
                _widen_columns(autocommit)
            return
        except (IntegrityError, ProgrammingError, OperationalError) as error:
            # Another process made the same change first: look again.
            if not _lost_a_race(error) or attempt == _SCHEMA_ATTEMPTS - 1:
                raise


def postgresql_widenings() -> dict[str, dict[str, str]]:
    """What ensure_schema makes of jupyter-scheduler's columns on PostgreSQL: {table: {column: type}}."""
    widenings: dict[str, dict[str, str]] = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if _is_time(column):
                widenings.setdefault(table.name, {})[column.name] = "BIGINT"
            elif isinstance(column.type, _JSON_TYPES):
                widenings.setdefault(table.name, {})[column.name] = "TEXT"
    return widenings


def _is_wide(column_type, target: str) -> bool:
    if target == "BIGINT":
        return isinstance(column_type, BigInteger)
    return isinstance(column_type, String) and column_type.length is None


def _widen_columns(engine: Engine) -> None:
    inspector = inspect(engine)
    quote = engine.dialect.identifier_preparer.quote
    for table, targets in postgresql_widenings().items():
        in_database = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        changes = [
            f"ALTER COLUMN {quote(name)} TYPE {target}"
            for name, target in targets.items()
            if name in in_database and not _is_wide(in_database[name], target)
        ]
        if changes:
            with engine.connect() as connection:
                connection.execute(text(f"ALTER TABLE {quote(table)} {', '.join(changes)}"))
