"""The built-in PodSpecMutators, registered through the entry point every plugin uses."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def argo_scheduler_podspec_mutators() -> dict[str, type]:
    return {}
