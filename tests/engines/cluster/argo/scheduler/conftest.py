"""A real ArgoScheduler in NAMESPACE on an ArgoEngine pointed at the fake (`engine`, or `direct_engine`)."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE


@pytest.fixture
def make_scheduler(make_scheduler, database):
    """make_scheduler(engine, **traits); on PostgreSQL the database URL goes by Secret."""
    # A PostgreSQL URL has a password, which reaches the pod only through a Secret.
    secret = {"db_url_secret_name": "scheduler-db"} if database == "postgresql" else {}
    return lambda engine, **traits: make_scheduler(engine=engine, namespace=NAMESPACE, **{**secret, **traits})
