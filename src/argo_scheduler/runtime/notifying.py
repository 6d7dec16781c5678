"""The notifiers' pod halves, built from the run spec by plugin name.

Job parameters that address a notifier (`Notifier.notifier_parameters`,
e.g. SLACK_CHANNEL) are withheld from the notebook (`for_notebook`) but
always reach the notifier in its event, whether or not the job's record
holds them.

Each entry of the run spec's notifiers is `{"name", "config", "target"?}`:
the server puts a job's own `notify_on` in the config's `events`, and the
target it accepted for the notifier (a Slack channel, e-mail recipients) in
`target`, which the notifier reads as `self.target`.
"""

from __future__ import annotations

import dataclasses
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
    addressing, secret = _declared(spec)
    addressed = {k: v for k, v in spec.parameters.items() if k in addressing}
    callables = []
    for entry in spec.notifiers:
        name = entry.get("name", "")
        plugin = available.get(name)
        if plugin is None:
            log.error("Notifier %r is not installed in the job's image; installed: %s", name, ", ".join(available))
            continue
        config = Config({plugin.cls.__name__: dict(entry.get("config") or {})})
        notifier = plugin.cls(config=config)
        if entry.get("target"):
            notifier.target = str(entry["target"])
        callables.append(_bounded(notifier, name, addressed, secret))
    return callables


def _declared(spec: RunSpec) -> tuple[frozenset[str], frozenset[str]]:
    """The configured notifiers' (notifier_parameters, secret_parameters)."""
    if not spec.notifiers:
        return frozenset(), frozenset()
    from ..plugins import notifiers as installed

    available = installed()
    addressing: set[str] = set()
    secret: set[str] = set()
    for entry in spec.notifiers:
        plugin = available.get(entry.get("name", ""))
        if plugin is not None:
            addressing.update(plugin.cls.notifier_parameters)
            secret.update(plugin.cls.secret_parameters)
    return frozenset(addressing), frozenset(secret)


def withheld_parameters(spec: RunSpec) -> frozenset[str]:
    """The job parameters the configured notifiers read, which the notebook must not receive."""
    addressing, secret = _declared(spec)
    return addressing | secret


def for_notebook(spec: RunSpec) -> RunSpec:
    """The run spec without the parameters that address notifiers: what papermill injects."""
    withheld = withheld_parameters(spec)
    if not withheld & set(spec.parameters):
        return spec
    return dataclasses.replace(spec, parameters={k: v for k, v in spec.parameters.items() if k not in withheld})


def _bounded(
    notifier: Any, name: str, addressed: dict[str, str], secret: frozenset[str]
) -> Callable[[dict], None]:
    def call(event: dict) -> None:
        # A cron run's record is made from the notebook's parameters: the
        # notifier's own come from the run spec. A secret one is never in an
        # event (a record written before it was one might still hold it).
        parameters = {**addressed, **(event.get("parameters") or {})}
        event["parameters"] = {k: v for k, v in parameters.items() if k not in secret}
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
