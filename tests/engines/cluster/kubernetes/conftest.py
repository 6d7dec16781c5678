"""The kubernetes engine's tests call its fixtures (../conftest.py) `engine` and `fake`."""

from __future__ import annotations

from support.fixtures import alias

engine = alias("engine", of="kube_engine")
fake = alias("fake", of="kube_fake")
