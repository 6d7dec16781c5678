"""Modules that promise no heavy import at load keep that promise.

Each import runs in a fresh interpreter, so what this test process already
loaded cannot hide an import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("hera", "kubernetes", "jupyter_scheduler", "sqlalchemy", "pydantic")


@pytest.mark.parametrize(
    "module",
    [
        "argo_scheduler.labels",
        "argo_scheduler.names",
        "argo_scheduler.engines.cluster",
        "argo_scheduler.engines.cluster.objects",
        "argo_scheduler.engines.cluster.kubernetes",
        "argo_scheduler.engines.objects",
        "argo_scheduler.engines.kubernetes",
        "argo_scheduler.engines.local",
        "argo_scheduler.engines.local.agent_control",
    ],
)
def test_importing_a_light_module_loads_no_heavy_library(module):
    # GIVEN a fresh interpreter
    # WHEN it imports the module
    loaded = {name.split(".")[0] for name in _loaded_by(module)}
    # THEN neither hera, nor the kubernetes client, nor the scheduler's stack is loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize(
    "module, unloaded",
    [
        # The Jupyter server imports the scheduler at start: the builder loads when a manifest is rendered.
        ("argo_scheduler.scheduler", ("hera", "kubernetes")),
        # The checks take the engine and the manifest, never the scheduler or its submission.
        ("argo_scheduler.checks.submission", ("argo_scheduler.scheduler", "argo_scheduler.submission")),
    ],
    ids=["scheduler-without-builder", "checks-without-scheduler"],
)
def test_a_module_loads_none_of_what_it_must_not(module, unloaded):
    # GIVEN a fresh interpreter
    # WHEN it imports the module
    loaded = _loaded_by(module)
    # THEN none of those modules (or packages) is loaded
    found = sorted(name for name in loaded if name in unloaded or name.split(".")[0] in unloaded)
    assert not found, found


def _loaded_by(module: str) -> set[str]:
    """Every module a fresh interpreter has loaded once it imported `module`."""
    code = "import json, sys; import " + module + "; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout))
