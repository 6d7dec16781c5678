"""status() on the Argo engine, through Prism: the shared cases with Argo Server's listing."""

from __future__ import annotations

import pytest
from support.manifests import NAMESPACE
from support.status_cases import *  # noqa: F401,F403 - the cases, collected here with this engine
from support.status_cases import ListingApi


@pytest.fixture
def listing_api() -> ListingApi:
    return ListingApi(f"/api/v1/workflows/{NAMESPACE}", "listOptions.labelSelector", "listOptions.limit",
                      "listOptions.continue")
