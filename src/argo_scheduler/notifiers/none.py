"""The `none` notifier: nobody is told; the UI shows the outcome."""

from __future__ import annotations

from typing import Any

from .base import Notifier


class NoneNotifier(Notifier):
    """Notifies nobody. Naming it documents that silence is intended."""

    def notify(self, event: dict[str, Any]) -> None:
        self.log.debug("job %s ended %s; nobody to notify", event.get("job_id"), event.get("status"))
