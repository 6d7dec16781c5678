"""Fixture helpers for conftest files (tests import support modules, never a conftest)."""

from __future__ import annotations

import pytest


def alias(name: str, of: str):
    """Fixture `of` under the name `name`: a folder's short name for a fixture its parent folder shares."""

    @pytest.fixture(name=name)
    def fixture(request):
        return request.getfixturevalue(of)

    fixture.__doc__ = f"The `{of}` fixture."
    return fixture
