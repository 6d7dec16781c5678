"""Compatibility: `python -m argo_scheduler.engines.local_runner RUN_DIR`.

The command line of runs started before the local engine became a package;
the runner lives in argo_scheduler.engines.local.runner.
"""

from __future__ import annotations

import sys

from .local.runner import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
