"""The argo engine's tests call its fixtures (../conftest.py) `engine`, `fake`, `direct_engine`, `direct_fake`."""

from __future__ import annotations

from support.fixtures import alias

engine = alias("engine", of="argo_engine")
fake = alias("fake", of="argo_fake")
direct_engine = alias("direct_engine", of="argo_direct_engine")
direct_fake = alias("direct_fake", of="argo_direct_fake")
