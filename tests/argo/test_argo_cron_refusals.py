"""A scheduled run refused by the cluster, on the Argo engine (the cases: tests/cron_refusal_cases.py)."""

from __future__ import annotations

import pytest
from argo_manifests import NAMESPACE
from cron_refusal_cases import *  # noqa: F401,F403
from scheduler_helpers import OWNER
from traitlets.config import Config


@pytest.fixture
def nebari_scheduler(scheduler_home, engine):
    config = Config()
    config.ArgoScheduler.podspec_mutators = ["nebari"]
    scheduler = scheduler_home.scheduler(config, engine="argo", namespace=NAMESPACE, owner=OWNER, image="img:1")
    scheduler.engine_instance = engine
    return scheduler
