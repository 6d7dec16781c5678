"""Run a module as `python -m MODULE ARGS` would, then print which modules it loaded, as JSON on the last line.

    python modules_loaded.py MODULE ARGS...
"""

from __future__ import annotations

import json
import runpy
import sys

if __name__ == "__main__":
    module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    print("\n" + json.dumps({"exit": code, "modules": sorted(sys.modules)}))
