"""How notifiers' secrets reach the job's pod: Kubernetes Secret references, never values.

Two kinds:

- a Secret the deployment manages (`c.SlackNotifier.token_secret = "slack"`):
  the notifier's `pod_env` references it with `secret_env`;
- a secret *job parameter* (`Notifier.secret_parameters`, e.g. SLACK_TOKEN as
  argo-jupyter-scheduler took it): the scheduler takes it out of the job's
  parameters before anything is stored and puts it, through the engine, in
  the per-job Secret `job_secret_name(job id)` (or of the job definition).
  `parameter_env` references both possible Secrets, optionally: a job
  without the parameter simply has no such variable.

The pod's runtime moves all of these variables out of the notebook's reach
(`argo_scheduler.runtime.secrets`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

from ..runtime.secrets import definition_parameter_env, env_name, job_parameter_env

if TYPE_CHECKING:
    from kubernetes.client import V1EnvVar

    from ..spec import RunSpec

SECRET_NAME_PREFIX = "argo-scheduler-"
# What a secret parameter's name must be: it becomes part of an env var name
# and a Secret key.
_PARAMETER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def job_secret_name(record_id: str) -> str:
    """The per-job Secret of a job or job definition (ids are UUIDs: DNS-1123 safe)."""
    return SECRET_NAME_PREFIX + record_id.lower()


def secret_env(variable: str, secret: str, key: str, optional: bool = False) -> "V1EnvVar":
    """Env var `variable` from key `key` of Secret `secret`, by reference."""
    from kubernetes.client import V1EnvVar, V1EnvVarSource, V1SecretKeySelector

    return V1EnvVar(
        name=variable,
        value_from=V1EnvVarSource(
            secret_key_ref=V1SecretKeySelector(name=secret, key=key, optional=True if optional else None)
        ),
    )


def notifier_secret_env(name: str, secret: str, key: str) -> "V1EnvVar":
    """A deployment-managed Secret for a notifier: `ARGO_SCHEDULER_SECRET_<name>`, required."""
    return secret_env(env_name(name), secret, key)


def parameter_env(spec: "RunSpec", parameters: Iterable[str]) -> list["V1EnvVar"]:
    """Optional references to where secret job parameters may have been stored for this run."""
    env = []
    for parameter in parameters:
        if not _PARAMETER.match(parameter):
            raise ValueError(f"secret parameter {parameter!r} must be a valid environment variable name")
        if spec.job_id:
            env.append(secret_env(job_parameter_env(parameter), job_secret_name(spec.job_id), parameter, True))
        if spec.job_definition_id:
            env.append(
                secret_env(
                    definition_parameter_env(parameter), job_secret_name(spec.job_definition_id), parameter, True
                )
            )
    return env
