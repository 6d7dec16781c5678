"""The traits both cluster engines take from ClusterEngine: each engine's config name sets its own, ClusterEngine both."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from argo_scheduler.engines.cluster.argo import ArgoEngine
from argo_scheduler.engines.cluster.kubernetes import KubernetesEngine

SHARED = {"namespace": "jobs", "request_timeout": 7.0, "retries": 5, "backoff_factor": 0.25, "page_size": 20}


@pytest.mark.parametrize("trait, value", SHARED.items(), ids=SHARED.keys())
def test_an_engines_own_config_name_sets_its_trait_alone(trait, value):
    # GIVEN a jupyter_server_config.py line for the argo engine, e.g. c.ArgoEngine.retries = 5
    config = Config({"ArgoEngine": {trait: value}})
    # WHEN both cluster engines are configured from it
    argo, kubernetes = ArgoEngine(config=config), KubernetesEngine(config=config)
    # THEN the argo engine has it and the kubernetes engine keeps its default
    assert getattr(argo, trait) == value
    assert getattr(kubernetes, trait) == getattr(KubernetesEngine(), trait) != value


@pytest.mark.parametrize("trait, value", SHARED.items(), ids=SHARED.keys())
def test_cluster_engine_sets_both_and_an_engines_own_line_wins(trait, value):
    # GIVEN c.ClusterEngine.<trait> and, for the kubernetes engine only, another value
    other = value * 2
    config = Config({"ClusterEngine": {trait: value}, "KubernetesEngine": {trait: other}})
    # WHEN both cluster engines are configured from it
    # THEN the argo engine takes ClusterEngine's, the kubernetes engine its own
    assert getattr(ArgoEngine(config=config), trait) == value
    assert getattr(KubernetesEngine(config=config), trait) == other
