"""Notifier: a server half that wires the pod, and a pod half that notifies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from traitlets import Float, List, Unicode
from traitlets.config import LoggingConfigurable

if TYPE_CHECKING:
    from kubernetes.client import V1EnvVar

    from ..spec import RunSpec

SUCCESS = "success"
FAILURE = "failure"


class NotifierError(Exception):
    """A notification could not be delivered; the message says why and never holds a secret."""


class Notifier(LoggingConfigurable):
    """Tells someone that a run ended.

    Server half (in the Jupyter server, while the workflow is built):
    `pod_env()` gives the env the pod needs — secrets by `secretKeyRef` only —
    and `pod_config()` the notifier's own settings, which travel to the pod
    as JSON in the run spec (never a secret: those go through `pod_env`).

    Pod half (in the job's pod, after the record is written): `notify(event)`
    with the event of `argo_scheduler.runtime.events`. A notifier that raises
    or exceeds `timeout` is logged and never changes the job's outcome.

    Job parameters a notifier reads: `secret_parameters` (e.g. SLACK_TOKEN)
    never reach the database, the manifest or the notebook — the scheduler
    stores them in a per-job Secret and the pod half reads them with
    `argo_scheduler.runtime.secrets.parameter()`; `notifier_parameters`
    (e.g. SLACK_CHANNEL) are not secret and stay in the job's record, but the
    notebook does not receive them either: they address the notifier.

    Per-job target (docs/writing-a-plugin.md): a notifier that can be
    addressed per job (a Slack channel, e-mail recipients) names the
    runtime_environment_parameters key it takes in `target_key`
    ("notify_<something>") and checks a job's value in `check_target`, where
    the administrator's restrictions apply (its own traits, such as
    `c.SlackNotifier.allowed_channels`). The server refuses a job whose
    target fails the check; a target accepted reaches the pod half as
    `self.target`. A job's `notify_on` ("success", "failure", both or
    "none") replaces `events` for that job.
    """

    # Class attributes, not traits: they describe the notifier, not a deployment.
    secret_parameters: tuple[str, ...] = ()
    notifier_parameters: tuple[str, ...] = ()
    # The per-job target: its runtime_environment_parameters key ("notify_…"),
    # and how a form labels it and hints at a value.
    target_key: str | None = None
    target_label: str = ""
    target_placeholder: str = ""
    # A job parameter that addresses the same target (SLACK_CHANNEL, as
    # argo-jupyter-scheduler took it): checked by check_target alike.
    target_parameter: str | None = None

    events = List(
        Unicode(),
        default_value=[SUCCESS, FAILURE],
        config=True,
        help="""Which ends of a run to notify about: "success" (COMPLETED),
        "failure" (FAILED or STOPPED), or both. Default: both.

            c.Notifier.events = ["failure"]
        """,
    )

    timeout = Float(
        30.0,
        config=True,
        help="""Seconds the pod waits for this notifier before giving up on it
        (the job's outcome is already recorded). Default: 30.

            c.Notifier.timeout = 30
        """,
    )

    # The job's target as the server accepted it (None: the configured one).
    # Not configuration: the pod half gets it from the run spec, per job.
    target = Unicode(None, allow_none=True)

    # ---- server half ----------------------------------------------------

    def check_target(self, value: str) -> str:
        """The job's target as the pod half gets it, or ValueError: one line saying what is allowed.

        Only called for a notifier with a `target_key`; `value` is stripped
        and not empty.
        """
        raise ValueError("this notifier takes no per-job target")

    def target_default(self) -> str | None:
        """The target a job gets when it gives none (from this notifier's config), or None."""
        return None

    def target_allowed(self) -> list[str] | None:
        """The only targets the administrator allows, when they are a list of values; None: any that passes check_target."""
        return None

    def target_hint(self) -> str | None:
        """One line on what the administrator allows, for a form ("addresses at example.com"), or None."""
        return None

    def pod_env(self, job: "RunSpec") -> list["V1EnvVar"]:
        """Env vars the pod needs for this notifier (secrets by reference only).

        The base gives the references to this notifier's secret job
        parameters; a subclass adds its own with `super().pod_env(job) + […]`.
        """
        from .secrets import parameter_env

        return parameter_env(job, self.secret_parameters)

    def pod_config(self) -> dict[str, Any]:
        """This notifier's settings for its pod half: every configurable trait's value."""
        return {name: getattr(self, name) for name in self.trait_names(config=True)}

    # ---- pod half -------------------------------------------------------

    def wants(self, event: dict[str, Any]) -> bool:
        kind = SUCCESS if event.get("status") == "COMPLETED" else FAILURE
        return kind in self.events

    def notify(self, event: dict[str, Any]) -> None:
        raise NotImplementedError
