"""The databases the tests run on: a sqlite file, or a throwaway PostgreSQL server.

The PostgreSQL cluster is Debian's `postgresql` server binaries (dev.py test
installs them), initdb'ed into a temporary directory and started with
pg_ctl for one pytest session: listening on 127.0.0.1 only, on a free port,
with no unix socket, password (scram-sha-256) authentication for everyone,
and a non-superuser role that owns one fresh database per test. PostgreSQL
refuses to run as root, so as root the cluster belongs to the `postgres`
user Debian's package creates.

Set ARGO_SCHEDULER_TESTS_WITHOUT_POSTGRESQL=1 to skip the PostgreSQL tests
deliberately on a machine without the server; without it, a missing server
fails them.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from glob import glob
from pathlib import Path

from sqlalchemy.engine import URL

# What tests parametrized over databases run on (the ids of their parameters).
DATABASES = ("sqlite", "postgresql")

OPT_OUT_ENV = "ARGO_SCHEDULER_TESTS_WITHOUT_POSTGRESQL"
DRIVER = "postgresql+psycopg"
ADMIN = "admin"
ROLE = "scheduler"
CLUSTER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; str() says what to do."""


def server_bindir() -> Path:
    """The newest Debian PostgreSQL server's bin directory, else the one on PATH."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL's server (initdb, pg_ctl) is not installed, so the tests on PostgreSQL cannot run: "
        "run `python3 dev.py test`, which installs Debian's postgresql package "
        f"(or set {OPT_OUT_ENV}=1 to skip them deliberately)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """One PostgreSQL server in a temporary directory, for one test session."""

    def __init__(self) -> None:
        self.bindir = server_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                self.owner = pwd.getpwnam(CLUSTER_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"PostgreSQL refuses to run as root and there is no {CLUSTER_USER!r} user to run it: "
                    "run `python3 dev.py test`, which installs Debian's postgresql package (it creates the user)"
                ) from None
        else:
            self.owner = pwd.getpwuid(os.geteuid())
        self.port = free_port()
        self.admin_password = secrets.token_urlsafe(16)
        self.password = secrets.token_urlsafe(16)
        # Not pytest's tmp_path (nor $TMPDIR, as root): private to root, while
        # the server's user must reach its directory.
        self.base = Path(tempfile.mkdtemp(prefix="argo-scheduler-pg-", dir="/tmp" if self.as_root else None))
        self.data = self.base / "data"
        self.log = self.base / "server.log"

    # -- running the server's own programs as its user ------------------------

    def _run(self, program: str, *args: str | os.PathLike) -> None:
        argv = [str(self.bindir / program), *map(str, args)]
        if self.as_root:
            argv = ["runuser", "-u", self.owner.pw_name, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.base)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{program} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}\n{log}"
            )

    def _give_to_owner(self, path: Path) -> None:
        if self.as_root:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def start(self) -> "PostgresCluster":
        os.chmod(self.base, 0o755)
        self._give_to_owner(self.base)
        pwfile = self.base / "admin-password"
        pwfile.write_text(self.admin_password + "\n")
        os.chmod(pwfile, 0o600)
        self._give_to_owner(pwfile)
        self._run(
            "initdb", "--pgdata", self.data, "--username", ADMIN, "--pwfile", pwfile,
            "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync",
        )
        pwfile.unlink()
        # Settings in the data directory rather than pg_ctl's -o, which pg_ctl hands to a shell.
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                "\n# argo_scheduler tests: this session's throwaway server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                "unix_socket_directories = ''\n"
                # Durability buys nothing in a cluster deleted after the session.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 200\n"
            )
        self._run("pg_ctl", "start", "--pgdata", self.data, "--log", self.log, "--wait", "--timeout", "60")
        from psycopg import sql

        self.admin(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(ROLE), sql.Literal(self.password)))
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "--pgdata", self.data, "--mode", "immediate", "--wait")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    # -- databases ---------------------------------------------------------------

    def url(self, database: str) -> str:
        """The test role's URL of `database`, password included."""
        return URL.create(
            DRIVER, username=ROLE, password=self.password, host="127.0.0.1", port=self.port, database=database,
        ).render_as_string(hide_password=False)

    def admin(self, statement, database: str = "postgres") -> None:
        """Run one statement as the cluster's superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=ADMIN, password=self.admin_password,
            dbname=database, autocommit=True,
        ) as connection:
            connection.execute(statement)

    def create_database(self) -> str:
        """A new empty database owned by the test role; its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        self.admin(f"CREATE DATABASE {name} OWNER {ROLE}")
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a detached local-engine run may still hold a connection.
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def create_tables_as_the_server_does(db_url: str) -> None:
    """jupyter-scheduler's tables as a running server leaves them.

    SchedulerApp runs jupyter-scheduler's create_tables; ArgoScheduler then
    makes them fit for the database on its first query (db.ensure_schema).
    """
    from jupyter_scheduler.orm import create_tables

    from argo_scheduler.db import ensure_schema, make_engine

    create_tables(db_url)
    engine = make_engine(db_url)
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()


def create_tables_with_jupyter_scheduler_alone(db_url: str) -> None:
    """jupyter-scheduler's tables exactly as its create_tables makes them, argo_scheduler not imported.

    A separate process, since importing argo_scheduler retypes the ORM's time columns (db.py).
    """
    import sys

    code = "import sys; from jupyter_scheduler.orm import create_tables; create_tables(sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, db_url], check=True, capture_output=True, timeout=120)


# Job databases that cannot be used (docs/database.md#when-the-database-cannot-be-used).
UNUSABLE_DATABASES = ("parent-is-a-file", "not-sqlite", "unknown-scheme", "not-a-url", "unreachable-postgresql")


def unusable_database_url(kind: str, folder: Path, password: str) -> str:
    """A database URL of one of UNUSABLE_DATABASES, with files made in `folder`; `password` where a URL has one."""
    if kind == "parent-is-a-file":
        (folder / "a-file").write_text("not a folder")
        return f"sqlite:///{folder / 'a-file' / 'scheduler.sqlite'}"
    if kind == "not-sqlite":
        (folder / "notes.sqlite").write_text("these are my notes, not a database\n" * 20)
        return f"sqlite:///{folder / 'notes.sqlite'}"
    if kind == "unknown-scheme":
        return f"mongodb://scheduler:{password}@127.0.0.1/jobs"
    if kind == "not-a-url":
        return f"scheduler:{password}@db.example.com"
    if kind == "unreachable-postgresql":
        # A port nothing listens on: the connection is refused at once.
        return f"{DRIVER}://scheduler:{password}@127.0.0.1:{free_port()}/jobs"
    raise ValueError(kind)
