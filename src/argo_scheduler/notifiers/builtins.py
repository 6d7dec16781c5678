"""The built-in notifiers, registered through the entry point every plugin uses."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def argo_scheduler_notifiers() -> dict[str, type]:
    from .none import NoneNotifier

    return {"none": NoneNotifier}
