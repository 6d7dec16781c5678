"""The notifiers' pod halves, built from the run spec by plugin name."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from traitlets.config import Config

from ..spec import RunSpec

log = logging.getLogger(__name__)


def pod_notifiers(spec: RunSpec) -> list[Callable[[dict], None]]:
    """One callable per configured notifier; a missing plugin is logged, not fatal.

    The outcome is recorded before notifiers run, so nothing here may fail
    the job: a plugin absent from the image only loses its notification.
    """
    if not spec.notifiers:
        return []
    from ..plugins import notifiers as installed

    available = installed()
    callables = []
    for entry in spec.notifiers:
        name = entry.get("name", "")
        plugin = available.get(name)
        if plugin is None:
            log.error("Notifier %r is not installed in the job's image; installed: %s", name, ", ".join(available))
            continue
        config = Config({plugin.cls.__name__: dict(entry.get("config") or {})})
        callables.append(_bounded(plugin.cls(config=config), name))
    return callables


def _bounded(notifier: Any, name: str) -> Callable[[dict], None]:
    def call(event: dict) -> None:
        if not notifier.wants(event):
            return
        errors: list[BaseException] = []

        def target() -> None:
            try:
                notifier.notify(event)
            except BaseException as error:  # reported below, by the caller's logger
                errors.append(error)

        # A daemon thread: a hung notifier cannot keep the pod alive.
        worker = threading.Thread(target=target, name=f"notifier-{name}", daemon=True)
        worker.start()
        worker.join(notifier.timeout)
        if worker.is_alive():
            raise TimeoutError(f"notifier {name!r} did not finish within {notifier.timeout} s")
        if errors:
            raise errors[0]

    call.__name__ = f"notifier-{name}"
    return call
