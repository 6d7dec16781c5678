"""Checks before a submission: notebook and kernel, Argo's schema, Secrets, claims and quotas.

`submission.py` runs them for ArgoScheduler (before anything is created) and
for `argo-scheduler check`, from the engine, the namespace, the manifest and
the notebook's facts: no check imports the scheduler. The pure parts
(notebook.py, references.py, quota.py, schema.py) take data; kubernetes.py is
the only I/O.
"""

from .report import FAILED, OK, SKIPPED, WARNING, Check, CheckReport

__all__ = ["FAILED", "OK", "SKIPPED", "WARNING", "Check", "CheckReport"]
