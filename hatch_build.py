"""Hatch build hook: the prebuilt JupyterLab extension goes into the wheel as shared data.

`labextension/` holds its TypeScript sources; `jlpm build:prod` there (which
`python3 dev.py` runs when the sources are newer than the build) writes the
built extension to src/argo_scheduler/labextension/. A wheel carries it as
share/jupyter/labextensions/argo-scheduler/, where JupyterLab finds it, so
installing the wheel needs no Node.js. An editable install gets none:
dev.py links the build folder there instead, so a rebuild shows without
reinstalling.
"""

from __future__ import annotations

import json
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCES = Path("labextension")
BUILT = Path("src") / "argo_scheduler" / "labextension"


class LabExtensionHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        built = root / BUILT
        if not (built / "package.json").is_file() or not (built / "static" / "style.js").is_file():
            raise RuntimeError(
                f"the JupyterLab extension is not built ({built} is missing or incomplete): "
                f"run `python3 dev.py test` once, or `jlpm install && jlpm build:prod` in {root / SOURCES}"
            )
        name = json.loads((built / "package.json").read_text())["name"]
        target = f"share/jupyter/labextensions/{name}"
        build_data["shared_data"][str(built)] = target
        build_data["shared_data"][str(root / SOURCES / "install.json")] = f"{target}/install.json"
