"""Secret job parameters: taken out of a job's parameters, kept in the engine's per-record Secret.

A notifier may read a job parameter that is a secret (SLACK_TOKEN, as
argo-jupyter-scheduler took it). It never reaches the database, a manifest
or the notebook: it is taken out of the parameters before anything is
stored and kept in the engine's per-job Secret, which the pod reads by
reference (notifiers/secrets.py).
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from jupyter_scheduler.exceptions import SchedulerError

from .engines.base import Engine, EngineError
from .inputs import InputError
from .notifiers.secrets import job_secret_name


def split_secret_parameters(
    parameters: dict | None, installed: Mapping, configured: Mapping, configured_names: Sequence[str]
) -> tuple[dict | None, dict[str, str]]:
    """The parameters without any notifier's secret ones, and those a configured notifier reads.

    `installed` are the installed notifier plugins by name, `configured` the
    configured notifiers by name. A secret parameter no configured notifier
    reads is refused: dropped, the user would wait for a notification that
    never comes; kept, the secret would land in the database and the notebook.
    """
    if not parameters:
        return parameters, {}
    used = {n for notifier in configured.values() for n in notifier.secret_parameters}
    for name, plugin in installed.items():
        unread = sorted(set(plugin.cls.secret_parameters) & set(parameters) - used)
        if unread:
            raise InputError(
                f"parameter {unread[0]} is a secret of the {name} notifier, which this server does not use "
                f"(c.ArgoScheduler.notifiers = {list(configured_names)!r}): remove the parameter, "
                f"or ask for the {name} notifier to be configured"
            )
    secret = {n for plugin in installed.values() for n in plugin.cls.secret_parameters}
    kept = {k: v for k, v in parameters.items() if k not in secret}
    return kept, {k: str(v) for k, v in parameters.items() if k in used}


class SecretParameterStore:
    """A record's secret parameters in its engine's Secret, named after the record (job or definition)."""

    def __init__(self, engine: Callable[[], Engine], configured: Mapping, log):
        self._engine = engine
        self._configured = configured
        self._log = log

    def store(self, record_id: str, secrets: dict[str, str]) -> None:
        if not secrets:
            return
        try:
            self._engine().put_secret(job_secret_name(record_id), secrets)
        except (EngineError, NotImplementedError) as e:
            raise SchedulerError(f"could not store the secret parameter(s) {', '.join(sorted(secrets))}: {e}") from e

    def delete(self, record_id: str) -> None:
        if not any(n.secret_parameters for n in self._configured.values()):
            return
        try:
            self._engine().delete_secret(job_secret_name(record_id))
        except (EngineError, NotImplementedError) as e:
            # The record goes regardless; the operator can delete the Secret.
            self._log.warning("argo_scheduler: could not delete Secret %s: %s", job_secret_name(record_id), e)
