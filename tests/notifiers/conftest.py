"""Fixtures for the notifiers: fake Slack, a webhook receiver, an SMTP server, the pod's secret store."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest
from support.fake_slack import FakeSlack
from notifier_helpers import SLACK_TOKEN

from argo_scheduler.runtime import secrets


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=SLACK_TOKEN) as fake:
        yield fake


@pytest.fixture
def pod_secrets() -> Iterator[Callable[[dict[str, str]], None]]:
    """Load secrets as the runtime does from the pod's environment (names with the prefix)."""
    secrets.clear()

    def load(environ: dict[str, str]) -> None:
        secrets.withdraw(dict(environ))

    yield load
    secrets.clear()
