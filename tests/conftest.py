"""Shared test fixtures: Argo's contract, golden files, the databases (sqlite and PostgreSQL), schedulers, token files."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.databases import OPT_OUT_ENV, PostgresCluster, PostgresUnavailable

if TYPE_CHECKING:
    from support.scheduler_helpers import SchedulerHome

# Real Jupyter servers for the REST tests (tests/server); pytest only takes
# plugins from the top-level conftest. leftovers: the run fails if a process
# it started outlives it (tests/support/leftovers.py).
pytest_plugins = ["pytest_jupyter.jupyter_server", "support.leftovers"]

ROOT = Path(__file__).resolve().parent.parent
ARGO_SPECS = ROOT.parent / "shared" / "argo"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser):
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current builder instead of comparing",
    )
    parser.addoption(
        "--regen-screenshots",
        action="store_true",
        default=False,
        help="copy the browser tests' screenshots named in docs/ui.md into docs/images/ui/",
    )


@pytest.fixture(scope="session")
def argo_schema_validator():
    """Validator for Argo's own JSON schema (v4.0.5), IntOrString widened as Argo accepts it."""
    import jsonschema

    from argo_scheduler.checks.schema import widen

    path = ARGO_SPECS / "schema.json"
    if not path.exists():
        pytest.fail(f"Argo's JSON schema is missing at {path}: the tests need ../shared/argo beside the repo")
    # schema.json declares IntOrString as a string while Argo (and its CRDs)
    # take integers too; see ../shared/argo/README.txt. The package widens
    # its shipped copy the same way.
    schema = widen(json.loads(path.read_text()))

    def validate(manifest: dict) -> None:
        kind = manifest["kind"]
        root = copy.copy(schema)
        root["$ref"] = f"#/definitions/io.argoproj.workflow.v1alpha1.{kind}"
        validator = jsonschema.Draft202012Validator(root)
        errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])

    return validate


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/NAME, or rewrite it under --regen-golden."""
    regen = request.config.getoption("--regen-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return
        assert path.exists(), f"no golden file {path}; run pytest --regen-golden to create it"
        assert text == path.read_text(), f"{name} differs from the golden file; if intended, run pytest --regen-golden"

    return check


@pytest.fixture(scope="session")
def postgres_cluster():
    """This session's PostgreSQL server (tests/support/databases.py), started on first use."""
    try:
        cluster = PostgresCluster()
    except PostgresUnavailable as e:
        if os.environ.get(OPT_OUT_ENV):
            pytest.skip(f"{OPT_OUT_ENV} is set: {e}")
        pytest.fail(str(e), pytrace=False)
    try:
        cluster.start()
    except BaseException as e:
        cluster.stop()
        if isinstance(e, PostgresUnavailable):
            pytest.fail(f"could not start the tests' PostgreSQL server: {e}", pytrace=False)
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster) -> str:
    """The URL (password included) of a new, empty PostgreSQL database for this test alone."""
    name = postgres_cluster.create_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


@pytest.fixture
def database(request) -> str:
    """The kind of database a test uses: "sqlite" unless the test parametrizes it indirectly.

        @pytest.mark.parametrize("database", DATABASES, indirect=True)
    """
    return getattr(request, "param", "sqlite")


@pytest.fixture
def empty_db_url(database, tmp_path, request) -> str:
    """A database of that kind with no tables: a sqlite file in tmp_path, or a new PostgreSQL database."""
    if database == "sqlite":
        return f"sqlite:///{tmp_path / 'scheduler.sqlite'}"
    # Only tests on PostgreSQL start the server.
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def api_token() -> str:
    """The bearer token a folder's Kubernetes API fake expects: each folder that serves one says which."""
    return "fake-token"


@pytest.fixture
def token_file(tmp_path, api_token) -> str:
    """A service account's token file, as mounted in a pod, holding `api_token`."""
    path = tmp_path / "token"
    path.write_text(api_token + "\n")
    return str(path)


@pytest.fixture
def no_agent_left_behind(jp_data_dir):
    """A Jupyter server's local engine (in jp_data_dir) starts a detached cron agent: stopped after the test."""
    yield
    from argo_scheduler.engines.local.agent_control import stop_agent

    stop_agent(str(jp_data_dir / "argo_scheduler" / "local"))


@pytest.fixture
def kube(api_token):
    """The Kubernetes API's fake (tests/support/fake_kube_api.py), expecting `api_token`."""
    from support.fake_kube_api import FakeKubeApi

    with FakeKubeApi(api_token) as fake:
        yield fake


@pytest.fixture
def make_scheduler_home(tmp_path):
    """SchedulerHome on a database URL, for tests that put something in the database first."""
    # Imported here: jupyter-scheduler and SQLAlchemy load only for tests that build a scheduler.
    from support.scheduler_helpers import SchedulerHome

    return lambda db_url: SchedulerHome(tmp_path, db_url)


@pytest.fixture
def scheduler_home(make_scheduler_home, empty_db_url) -> SchedulerHome:
    """On sqlite, or on each database a test parametrizes `database` with."""
    return make_scheduler_home(empty_db_url)


@pytest.fixture
def make_scheduler(request):
    """A real ArgoScheduler (SchedulerHome.scheduler): in `scheduler_home` unless given `home=`; engine, config, traits as keywords.

    The local engine's agents of the schedulers made are stopped afterwards.
    """
    from argo_scheduler.engines.local.agent_control import stop_agent

    state_dirs = set()

    def make(config=None, *, home: SchedulerHome | None = None, **settings):
        # Looked up only when used, so a test on another home never makes this one.
        home = home or request.getfixturevalue("scheduler_home")
        scheduler = home.scheduler(config, **settings)
        if scheduler.engine == "local":
            state_dirs.add(str(scheduler.get_engine().state_dir))
        return scheduler

    yield make
    for state_dir in sorted(state_dirs):
        stop_agent(state_dir)
