"""c.ArgoScheduler.engine: an installed engine's entry point name, or a class path."""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from traitlets import TraitError
from traitlets.config import Config

from argo_scheduler.engines import registry
from argo_scheduler.engines.cluster.argo import ArgoEngine
from argo_scheduler.engines.base import EngineError
from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine
from argo_scheduler.engines.local import LocalEngine


def test_the_entry_points_pyproject_declares_load_the_built_in_engines():
    # GIVEN the engine entry points argo-scheduler's pyproject.toml declares (what an install writes)
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    declared = pyproject["project"]["entry-points"][registry.ENTRY_POINT_GROUP]
    # WHEN each is loaded as the registry loads an installed one THEN it is the built-in engine of that name
    loaded = {name: EntryPoint(name, value, registry.ENTRY_POINT_GROUP).load() for name, value in declared.items()}
    assert loaded == {"local": LocalEngine, "argo": ArgoEngine, "kubernetes": KubernetesEngine}


def test_the_built_ins_are_entry_points_of_argo_scheduler_itself():
    # GIVEN the installed distributions' entry points
    points = {ep.name: ep for ep in entry_points(group=registry.ENTRY_POINT_GROUP)}
    # THEN the three built-ins are argo-scheduler's own, in the group an outside engine uses
    for name in ("local", "argo", "kubernetes"):
        assert points[name].dist.name == "argo-scheduler", name


@pytest.mark.parametrize(
    "value, cls",
    [
        ("local", LocalEngine),
        ("argo", ArgoEngine),
        ("kubernetes", KubernetesEngine),
        ("Kubernetes", KubernetesEngine),
        ("argo_scheduler.engines.local.LocalEngine", LocalEngine),
        ("argo_scheduler.engines.cluster.kubernetes.KubernetesEngine", KubernetesEngine),
    ],
    ids=["local", "argo", "kubernetes", "caseless", "class-path", "class-path-kubernetes"],
)
def test_the_configured_engine_is_the_class_it_names(make_scheduler, value, cls):
    # GIVEN c.ArgoScheduler.engine set to a name or a class path
    config = Config()
    config.ArgoScheduler.engine = value
    config.ArgoEngine.server = "https://argo.example.com:2746"
    # WHEN the scheduler makes its engine
    engine = make_scheduler(config).get_engine()
    # THEN it is that class, configured from the same config
    assert type(engine) is cls


def test_an_unknown_engine_name_is_refused_listing_the_installed_ones(make_scheduler):
    # GIVEN a name no distribution registers
    config = Config()
    config.ArgoScheduler.engine = "argo-server"
    # WHEN the scheduler is configured with it THEN it refuses, naming what is installed
    with pytest.raises(TraitError) as refused:
        make_scheduler(config)
    message = str(refused.value)
    assert "no engine named 'argo-server' is installed" in message
    assert "installed: argo, kubernetes, local" in message
    assert "argo_scheduler.engines" in message


@pytest.mark.parametrize(
    "path, says",
    [
        ("argo_scheduler.engines.nothing_here.Engine", "cannot be imported"),
        ("argo_scheduler.engines.local.NoSuchEngine", "cannot be imported"),
        ("argo_scheduler.scheduler.ArgoScheduler", "is not an argo_scheduler.engines.base.Engine subclass"),
        ("not a.path", "is not a class path"),
    ],
    ids=["no-module", "no-class", "not-an-engine", "malformed"],
)
def test_a_class_path_that_names_no_engine_is_refused(path, says):
    # WHEN a class path names no Engine subclass THEN the error says what is wrong with it
    with pytest.raises(EngineError, match=says):
        registry.engine_class(path)
