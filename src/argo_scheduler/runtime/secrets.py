"""The pod's secrets, kept away from the notebook.

Secrets reach the job's pod as environment variables filled from Kubernetes
Secrets by `secretKeyRef` (the manifest holds only the reference). Every
variable named `ARGO_SCHEDULER_SECRET_<NAME>` is for the notifiers; the
runtime moves them out of `os.environ` into this module before anything
else runs, so the notebook's kernel — which inherits the runtime's
environment — never sees them. Notifiers read them here with `get()` and
`parameter()`.

The database URL (`ARGO_SCHEDULER_DB_URL`, which may carry a password) is
taken out of the environment the same way, with `take_db_url()`.

Residual exposure, by design of a single pod: the kernel runs as the same
user, in the same pod, so it could still read the parent process's initial
environment from /proc. What this guards against is the ordinary path:
`os.environ`, `%env`, `!env`, subprocesses, and notebooks that print or save
their environment into outputs.
"""

from __future__ import annotations

import os
from typing import MutableMapping

from ..spec import DB_URL_ENV

PREFIX = "ARGO_SCHEDULER_SECRET_"
# A secret job parameter (Notifier.secret_parameters) is stored by the
# server in the per-job Secret of the job, or of its job definition; the pod
# gets both references (optional), under these names.
JOB_PARAMETER = "JOB_PARAMETER_"
DEFINITION_PARAMETER = "DEFINITION_PARAMETER_"

_secrets: dict[str, str] = {}


def env_name(name: str) -> str:
    """The pod's env var for secret `name` (e.g. SLACK_TOKEN -> ARGO_SCHEDULER_SECRET_SLACK_TOKEN)."""
    return PREFIX + name


def job_parameter_env(parameter: str) -> str:
    return env_name(JOB_PARAMETER + parameter)


def definition_parameter_env(parameter: str) -> str:
    return env_name(DEFINITION_PARAMETER + parameter)


def withdraw(environ: MutableMapping[str, str] = os.environ) -> None:
    """Move every `ARGO_SCHEDULER_SECRET_*` variable out of `environ` into this module."""
    for name in [n for n in environ if n.startswith(PREFIX)]:
        _secrets[name[len(PREFIX):]] = environ.pop(name)


def take_db_url(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """The database URL from the environment, removed from it (None when unset)."""
    return environ.pop(DB_URL_ENV, None) or None


def get(name: str) -> str | None:
    """Secret `name` as withdrawn (without the prefix), or None. Empty counts as unset."""
    return _secrets.get(name) or None


def parameter(name: str) -> str | None:
    """Secret job parameter `name`: the job's own value, else its job definition's, else None."""
    return get(JOB_PARAMETER + name) or get(DEFINITION_PARAMETER + name)


def clear() -> None:
    """Forget every secret (for a process that runs more than one job, such as a test)."""
    _secrets.clear()
