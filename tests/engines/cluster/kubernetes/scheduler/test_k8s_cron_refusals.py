"""A scheduled run refused by the cluster, on the kubernetes engine (the cases: tests/cron_refusal_cases.py)."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE
from support.cron_refusal_cases import *  # noqa: F401,F403


@pytest.fixture
def nebari_scheduler(make_scheduler, fake, token_file):
    config = {"ArgoScheduler": {"engine": "kubernetes", "podspec_mutators": ["nebari"]},
              "KubernetesEngine": {"host": fake.url, "token_file": str(token_file)}}
    return make_scheduler(config, namespace=NAMESPACE)
