"""A scheduled run refused by the cluster, on the kubernetes engine (the cases: tests/cron_refusal_cases.py)."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE
from support.cron_refusal_cases import *  # noqa: F401,F403
from support.scheduler_helpers import OWNER
from traitlets.config import Config


@pytest.fixture
def nebari_scheduler(scheduler_home, fake, token_file):
    config = Config()
    config.ArgoScheduler.engine = "kubernetes"
    config.ArgoScheduler.podspec_mutators = ["nebari"]
    config.KubernetesEngine.host = fake.url
    config.KubernetesEngine.token_file = str(token_file)
    return scheduler_home.scheduler(config, namespace=NAMESPACE, owner=OWNER, image="img:1")
