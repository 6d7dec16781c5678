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
    code = (
        "import json, sys; import " + module + "; "
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    # THEN neither hera, nor the kubernetes client, nor the scheduler's stack is loaded
    loaded = set(json.loads(done.stdout))
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
