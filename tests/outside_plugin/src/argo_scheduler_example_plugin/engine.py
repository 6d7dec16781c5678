"""An engine from outside argo_scheduler: the local engine, with every workflow labelled with its team."""

from __future__ import annotations

from traitlets import Unicode

from argo_scheduler.engines.local import LocalEngine


class TeamLocalEngine(LocalEngine):
    team = Unicode("data", config=True, help="""The team label put on every workflow this engine runs. Default: "data".

        c.TeamLocalEngine.team = "finance"
    """)

    def submit(self, manifest):
        metadata = dict(manifest.get("metadata") or {})
        metadata["labels"] = {**(metadata.get("labels") or {}), "example.com/team": self.team}
        return super().submit({**manifest, "metadata": metadata})
