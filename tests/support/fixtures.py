"""Fixture helpers for conftest files (tests import support modules, never a conftest)."""

from __future__ import annotations

from typing import Iterator, TypeVar

import pytest

T = TypeVar("T")


def alias(name: str, of: str):
    """Fixture `of` under the name `name`: a folder's short name for a fixture its parent folder shares."""

    @pytest.fixture(name=name)
    def fixture(request):
        return request.getfixturevalue(of)

    fixture.__doc__ = f"The `{of}` fixture."
    return fixture


def emptied(fake: T) -> Iterator[T]:
    """`fake` reset before and after the test: one server for the session, a clean slate for each test."""
    fake.reset()
    yield fake
    fake.reset()
