"""Shared test fixtures: Argo's contract, golden files."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

# Real Jupyter servers for the REST tests (tests/server); pytest only takes
# plugins from the top-level conftest.
pytest_plugins = ["pytest_jupyter.jupyter_server"]

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


class SchedulerHome:
    """A Jupyter root holding report.ipynb, a fresh scheduler database and a staging folder."""

    def __init__(self, path: Path):
        import shutil

        from jupyter_scheduler.orm import create_tables

        self.root = path / "root"
        self.root.mkdir()
        shutil.copy(Path(__file__).resolve().parent / "notebooks" / "parameters.ipynb", self.root / "report.ipynb")
        self.staging = path / "staging"
        self.db_url = f"sqlite:///{path / 'scheduler.sqlite'}"
        create_tables(self.db_url)

    def scheduler(self, config=None, **traits):
        """A real ArgoScheduler, built as SchedulerApp builds it; traits override config."""
        from traitlets.config import Config

        from argo_scheduler import ArgoScheduler
        from argo_scheduler.environments import ArgoEnvironmentManager

        config = config if config is not None else Config()
        if "staging_path" not in config.ArgoScheduler and "staging_path" not in traits:
            traits["staging_path"] = str(self.staging)
        return ArgoScheduler(
            root_dir=str(self.root), environments_manager=ArgoEnvironmentManager(config=config),
            db_url=self.db_url, config=config, **traits,
        )


@pytest.fixture
def scheduler_home(tmp_path) -> SchedulerHome:
    return SchedulerHome(tmp_path)
