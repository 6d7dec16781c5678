"""A real ArgoScheduler for a test, built as SchedulerApp builds it; the models a user sends it, the rows it leaves.

Every test that needs a scheduler gets it from SchedulerHome.scheduler, mostly
through the `make_scheduler` fixture (tests/conftest.py), and states only what
its case changes: the engine, config of other classes, ArgoScheduler traits.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from jupyter_scheduler.models import CreateJob, CreateJobDefinition
from jupyter_scheduler.orm import Job, create_tables
from traitlets.config import Config

from support.samples import NOTEBOOKS

OWNER = "ana@example.com"
IMAGE = "img:1"


class SchedulerHome:
    """A Jupyter root holding report.ipynb, a scheduler database with its tables, a staging and an engine folder."""

    def __init__(self, path: Path, db_url: str):
        self.root = path / "root"
        self.root.mkdir()
        shutil.copy(NOTEBOOKS / "parameters.ipynb", self.root / "report.ipynb")
        self.staging = path / "staging"
        # The local engine's state: here rather than in the user's data directory.
        self.engine_dir = path / "engine"
        self.db_url = db_url
        # As SchedulerApp does before it builds the scheduler.
        create_tables(self.db_url)

    def add_notebooks(self, *names: str) -> None:
        """Copy tests/notebooks/NAME into the root under the same name."""
        for name in names:
            shutil.copy(NOTEBOOKS / name, self.root / name)

    def scheduler(self, config: Config | dict | None = None, *, engine=None, notebooks=(), **traits):
        """A real ArgoScheduler on this home.

        config: a Config, or sections as a dict ({"KubernetesEngine": {"host": url}}), over these defaults:
        image IMAGE, owner OWNER, the home's staging folder and local engine folder.
        engine: an installed engine's name or a class path (as c.ArgoScheduler.engine takes them), an Engine
        subclass, or an Engine to use as it is (one pointed at a fake); None leaves the choice to config.
        notebooks: more of tests/notebooks to put in the root. traits: ArgoScheduler traits, over config
        (db_url too: the home's database unless one is given).
        """
        from argo_scheduler import ArgoScheduler
        from argo_scheduler.environments import ArgoEnvironmentManager

        merged = Config()
        merged.ArgoScheduler.image = IMAGE
        merged.ArgoScheduler.owner = OWNER
        merged.ArgoScheduler.staging_path = str(self.staging)
        merged.LocalEngine.state_dir = str(self.engine_dir)
        merged.merge(Config(config or {}))
        self.add_notebooks(*notebooks)
        return ArgoScheduler(
            root_dir=str(self.root), environments_manager=ArgoEnvironmentManager(config=merged),
            config=merged, **{"db_url": self.db_url, **engine_traits(engine), **traits},
        )


def engine_traits(engine) -> dict:
    """The ArgoScheduler traits that choose `engine` (see SchedulerHome.scheduler)."""
    from argo_scheduler.engines.base import Engine

    if engine is None:
        return {}
    if isinstance(engine, Engine):
        return {"engine": engine_name(type(engine)), "engine_instance": engine}
    if isinstance(engine, type):
        return {"engine": engine_name(engine)}
    return {"engine": engine}


def engine_name(cls: type) -> str:
    """What c.ArgoScheduler.engine calls `cls`: its entry point's name, as a deployment names a built-in, else its class path."""
    from argo_scheduler.engines import registry

    for name, point in registry.installed().items():
        if point.load() is cls:
            return name
    return f"{cls.__module__}.{cls.__qualname__}"


def job_model(**extra) -> CreateJob:
    return CreateJob(input_uri="report.ipynb", name="report", runtime_environment_name="python3",
                     output_formats=["ipynb"], parameters={"n": "2"}, **extra)


def definition_model(**extra) -> CreateJobDefinition:
    fields = dict(input_uri="report.ipynb", name="nightly", runtime_environment_name="python3",
                  output_formats=["ipynb"], schedule="0 6 * * 1-5", timezone="Europe/Paris")
    return CreateJobDefinition(**{**fields, **extra})


def rows(scheduler, table=Job) -> list:
    with scheduler.db_session() as session:
        return session.query(table).all()
