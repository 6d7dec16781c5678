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

And it adds what jupyter-scheduler's tables lack for a database many owners
share: an `owner` column on jobs and job definitions, and sessions
(owner_sessions) that read, change and delete only one owner's rows and
stamp that owner on every row they add. Rows written before the column
existed have no owner; see claim_unowned_rows for what becomes of them.
"""

from __future__ import annotations

import logging

from jupyter_scheduler.exceptions import SchedulerError
from jupyter_scheduler.orm import Base, EmailNotificationType, Job, JobDefinition, JsonType, update_db_schema
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, create_engine, event, func, inspect
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql import text

log = logging.getLogger(__name__)

# A job's pod waits long: its record is the job's outcome.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
# The server and the CLI wait briefly: the writes they wait for (pods, other
# commands) take milliseconds, and a user waits on the answer.
SCHEDULER_BUSY_TIMEOUT_SECONDS = 5.0
# Where the URL comes from, as every message about the database names it.
DB_URL_SETTING = "c.SchedulerApp.db_url, or --db-url on the command line"

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

# The owner of a job or job definition, as c.ArgoScheduler.owner names it.
# Mapped onto jupyter-scheduler's own classes, so its queries (list, count,
# get) go through the same owner-scoped sessions as ours; its update_db_schema
# and ensure_schema add the column to existing tables (nullable: old rows).
OWNER_COLUMN = "owner"
OWNER_LENGTH = 255
OWNED = (Job, JobDefinition)
for _cls in OWNED:
    if OWNER_COLUMN not in _cls.__table__.columns:
        setattr(_cls, OWNER_COLUMN, Column(String(OWNER_LENGTH), nullable=True, index=True))

# argo_scheduler's own bookkeeping of one-time data migrations, by name.
_MIGRATIONS = Table(
    "argo_scheduler_migrations", MetaData(), Column("name", String(64), primary_key=True)
)
CLAIM_MIGRATION = "claim-unowned-rows"


class OwnerMismatch(ValueError):
    """A session of one owner was asked to add a row of another."""


def owner_sessions(engine: Engine, owner: str) -> sessionmaker:
    """Sessions that see, change and delete only `owner`'s jobs and job definitions.

    Every ORM statement on those tables — query, count, get, bulk update and
    delete — gets `owner = <owner>` added to its WHERE clause, and every new
    row is stamped with `owner`; a row of another owner simply does not
    exist for these sessions.
    """
    if not owner:
        raise ValueError("an owner is required to scope the job database")
    factory = sessionmaker(bind=engine)
    criteria = [with_loader_criteria(cls, getattr(cls, OWNER_COLUMN) == owner, include_aliases=True) for cls in OWNED]

    @event.listens_for(factory, "do_orm_execute")
    def _only_this_owner(state) -> None:
        if state.is_select or state.is_update or state.is_delete:
            state.statement = state.statement.options(*criteria)

    @event.listens_for(factory, "before_flush")
    def _stamp_owner(session: Session, _context, _instances) -> None:
        for row in session.new:
            if isinstance(row, OWNED):
                current = getattr(row, OWNER_COLUMN)
                if current is None:
                    setattr(row, OWNER_COLUMN, owner)
                elif current != owner:
                    raise OwnerMismatch(f"a session of {owner!r} cannot add a row of {current!r}")

    return factory


def claim_unowned_rows(engine: Engine, owner: str) -> None:
    """Decide, once per database, whose the rows written before owners were recorded are.

    On sqlite — jupyter-scheduler's default, a file in the user's own Jupyter
    data directory — they are the rows of whoever opens the database first
    with this version: they become `owner`'s. On a server database
    (PostgreSQL), which many owners may share, nobody can tell: they stay
    without owner, hidden from every owner, and the count is logged with
    the statement an administrator runs to give them to their owners.
    """
    unowned = [
        (cls.__table__, getattr(cls, OWNER_COLUMN).is_(None)) for cls in OWNED
    ]
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            counts = {
                table.name: connection.execute(
                    table.select().with_only_columns(func.count()).where(where)
                ).scalar()
                for table, where in unowned
            }
        for table_name, count in counts.items():
            if count:
                log.warning(
                    "argo_scheduler: %d row(s) of %s have no owner (written before owners were recorded) "
                    "and are shown to nobody; give them to their owner with "
                    "UPDATE %s SET owner = '<owner>' WHERE owner IS NULL AND …",
                    count, table_name, table_name,
                )
        return
    _MIGRATIONS.create(engine, checkfirst=True)
    try:
        with engine.begin() as connection:
            done = connection.execute(
                _MIGRATIONS.select().where(_MIGRATIONS.c.name == CLAIM_MIGRATION)
            ).first()
            if done is not None:
                return
            for table, where in unowned:
                connection.execute(table.update().where(where).values({OWNER_COLUMN: owner}))
            connection.execute(_MIGRATIONS.insert().values(name=CLAIM_MIGRATION))
    except IntegrityError:
        pass  # another process claimed them first, in the same transaction as its marker


def make_engine(db_url: str | URL, busy_timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> Engine:
    url = make_url(db_url)
    connect_args = {"timeout": busy_timeout} if url.get_backend_name() == "sqlite" else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def ensure_schema(engine: Engine, owner: str | None = None) -> None:
    """jupyter-scheduler's tables in `engine`'s database: created, completed, able to hold its times.

    Existing rows are kept; only missing tables and columns are added (the
    owner column among them), and on PostgreSQL columns are widened
    (postgresql_widenings). With `owner`, rows without one are settled
    (claim_unowned_rows).
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
            if owner:
                claim_unowned_rows(engine, owner)
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


# ---- the scheduler's database: one clear line per failure ---------------------

# sqlite's primary result codes that mean the database itself cannot be used
# (rather than a statement being wrong): busy/locked, cannot open, not a
# database, I/O, read-only, corrupt, full, permission.
_SQLITE_UNUSABLE = {
    5: "it is locked by another process (it waited {timeout:g} s): try again when that process is done",
    6: "it is locked by another connection: try again",
    14: "the file cannot be opened: its folder does not exist, is not a folder, or may not be written",
    26: "the file is not a sqlite database",
    10: "reading or writing the file failed",
    8: "the file may not be written",
    11: "the file is damaged",
    13: "the disk is full",
    3: "the file may not be read",
}


class DatabaseUnavailable(SchedulerError):
    """The job database cannot be used; the message is one line, names the setting, and shows no password."""


def display_url(db_url: str | URL) -> str:
    """The URL as it may be shown in messages, logs and --json: its password masked."""
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Unparseable, so its password cannot be told apart: show none of it.
        return "(not a database URL)"


def unusable(url: URL, reason: str) -> DatabaseUnavailable:
    line = " ".join(reason.split())
    return DatabaseUnavailable(f"the job database {display_url(url)} ({DB_URL_SETTING}) cannot be used: {line}")


def scheduler_engine(db_url: str) -> Engine:
    """make_engine for the Jupyter server and the CLI: a short busy wait, and failures of the
    database itself raised as DatabaseUnavailable instead of a driver's traceback.

    Statement errors (a lost race to create a table, a constraint) stay
    SQLAlchemy's, for the callers that handle them.
    """
    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError):
        raise DatabaseUnavailable(
            f"the job database URL ({DB_URL_SETTING}) is not a database URL: "
            "use dialect+driver://…, like sqlite:////home/me/scheduler.sqlite or postgresql+psycopg://user@host/db"
        ) from None
    try:
        engine = make_engine(url, SCHEDULER_BUSY_TIMEOUT_SECONDS)
    except NoSuchModuleError:
        raise unusable(url, f"{url.drivername!r} is not a kind of database SQLAlchemy knows (sqlite, postgresql, …)") from None
    except ImportError as e:
        raise unusable(url, f"no driver for {url.drivername} is installed ({e})") from None

    @event.listens_for(engine, "handle_error")
    def _explain(context) -> None:
        if context.is_pre_ping:
            return  # the pool reconnects on its own
        error = context.original_exception
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None:
            reason = _SQLITE_UNUSABLE.get(code & 0xFF)
            if reason is not None:
                raise unusable(url, reason.format(timeout=SCHEDULER_BUSY_TIMEOUT_SECONDS))
            return
        if context.is_disconnect or context.connection is None or isinstance(
            context.sqlalchemy_exception, OperationalError
        ):
            raise unusable(url, str(error) or type(error).__name__)

    return engine
