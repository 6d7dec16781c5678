"""Appends one JSON line per finished run to a file: the smallest useful notifier."""

import json

from traitlets import Unicode

from argo_scheduler.notifiers.base import Notifier


class JsonLinesNotifier(Notifier):
    path = Unicode(
        "",
        config=True,
        help="""File the pod appends each run's event to, as one JSON line. Default: "" (required).

            c.JsonLinesNotifier.path = "/shared/job-events.jsonl"
        """,
    )

    def notify(self, event):
        if not self.path:
            raise ValueError("c.JsonLinesNotifier.path is not set")
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, sort_keys=True) + "\n")
