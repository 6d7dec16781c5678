"""The code that runs inside a job's pod.

`python -m argo_scheduler.runtime run …` executes a job and records it;
`… record-failure …` is the workflow's exit handler. In-process callers (the
CLI, the local engine, tests) use `run_job` and `record_failure` directly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_job", "record_failure", "RunResult"]


def __getattr__(name: str) -> Any:
    # papermill and nbconvert load only when a run needs them.
    if name in ("run_job", "RunResult"):
        from . import job

        return getattr(job, name)
    if name == "record_failure":
        from .failure import record_failure

        return record_failure
    raise AttributeError(f"module 'argo_scheduler.runtime' has no attribute {name!r}")
