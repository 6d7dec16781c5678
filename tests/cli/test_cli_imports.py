"""`argo-scheduler run` loads jupyter-scheduler's models, ORM and scheduler, never its server extension's chain.

Which modules a real `argo-scheduler run` loaded, read from the process itself: no timing
(benchmarks/ measures the time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

MODULES_LOADED = Path(__file__).resolve().parent.parent / "modules_loaded.py"
# jupyter-scheduler's server extension → jupyter_server's application → jupyter_events →
# jsonschema's format checkers → rfc3987_syntax compiling its grammars (the 2.4 s of issue 13).
SERVER_CHAIN = ("jupyter_scheduler.extension", "jupyter_server.serverapp", "jupyter_events",
                "rfc3987_syntax.syntax_helpers", "lark")


def modules_of(module: str, *args: str, env: dict, cwd: Path | None = None) -> tuple[int, set[str], str]:
    """What `python -m MODULE ARGS` loaded: its exit code, its sys.modules at the end, its output."""
    result = subprocess.run([sys.executable, str(MODULES_LOADED), module, *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=240)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["exit"], set(report["modules"]), result.stdout + result.stderr


def test_a_cli_run_loads_no_server_chain(cli):
    # GIVEN a notebook in a fresh Jupyter home
    cli.notebook("parameters.ipynb")
    # WHEN `argo-scheduler run` runs it on the local engine to the end
    code, modules, output = modules_of("argo_scheduler.cli", "run", "parameters.ipynb", "-p", "n=3", "--json",
                                       env=cli.env, cwd=cli.home / "work")
    # THEN the job COMPLETED
    assert code == 0, output
    assert '"status": "COMPLETED"' in output
    # AND the CLI loaded jupyter-scheduler's ORM and scheduler but not the server extension's chain
    # (jupyter-scheduler's Scheduler base class imports two small jupyter_server modules, utils and
    # transutils; its application is another matter), nor the notebook's executor
    assert {"jupyter_scheduler.orm", "jupyter_scheduler.scheduler"} <= modules
    assert not modules.intersection(SERVER_CHAIN)
    assert "papermill" not in modules
