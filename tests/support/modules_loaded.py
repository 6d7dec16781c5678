"""Which modules a process loaded: run a module as `python -m MODULE ARGS` would, then report its sys.modules.

    python modules_loaded.py MODULE ARGS...     # prints {"exit": …, "modules": […]} as JSON on its last line

Tests call `modules_of(MODULE, ARGS…)`, which runs this file in a fresh interpreter: what a real process
loads, read from the process itself, never a timing (benchmarks/ measures the time).
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

# jupyter-scheduler's server extension → jupyter_server's application → jupyter_events →
# jsonschema's format checkers → rfc3987_syntax compiling its grammars (the 2.4 s of issue 13).
SERVER_CHAIN = ("jupyter_scheduler.extension", "jupyter_server.serverapp", "jupyter_events",
                "rfc3987_syntax.syntax_helpers", "lark")


def modules_of(module: str, *args: str, env: dict, cwd: Path | None = None) -> tuple[int, set[str], str]:
    """What `python -m MODULE ARGS` loaded: its exit code, its sys.modules at the end, its output."""
    result = subprocess.run([sys.executable, __file__, module, *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=240)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["exit"], set(report["modules"]), result.stdout + result.stderr


if __name__ == "__main__":
    # As `python -m` would have it: the working directory first, not this file's folder of test helpers.
    sys.path[0] = str(Path.cwd())
    module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    print("\n" + json.dumps({"exit": code, "modules": sorted(sys.modules)}))
