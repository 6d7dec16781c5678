"""The small interface every engine implements.

An engine receives the manifest dict the builder rendered — the same one for
every engine — and reports runs in Argo's own vocabulary (phases, messages).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from traitlets.config import LoggingConfigurable

if TYPE_CHECKING:
    from ..kubeapi import ApiAccess

# Argo's workflow phases (io.argoproj.workflow.v1alpha1.WorkflowStatus.phase).
PENDING = "Pending"
RUNNING = "Running"
SUCCEEDED = "Succeeded"
FAILED = "Failed"
ERROR = "Error"
DONE_PHASES = frozenset({SUCCEEDED, FAILED, ERROR})


class EngineError(Exception):
    """A run could not be submitted, found or changed; the message says why and what to do."""


class WorkflowNotFound(EngineError):
    """No workflow of that name (Argo's 404): deleting twice is not an error to the caller."""


class UnsupportedManifest(EngineError):
    """The engine cannot honour a feature of the manifest it was given."""


@dataclass
class WorkflowState:
    name: str
    phase: str
    message: str | None = None
    # Epoch milliseconds, like jupyter-scheduler's times.
    started_at: int | None = None
    finished_at: int | None = None
    labels: dict[str, str] = field(default_factory=dict)
    uid: str | None = None
    # The workflow object's own annotations (metadata.annotations): where the
    # scheduler reads the exact owner of a run (workflow.owner_annotation).
    annotations: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.phase in DONE_PHASES


@dataclass
class CronState:
    """What a CronWorkflow's status says about runs that never became Workflows."""

    name: str
    uid: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    # The message of Argo's SubmissionError condition: its cron controller could
    # not create the run (an admission webhook refused it, say). Argo keeps it
    # until a later run is created.
    submission_error: str | None = None
    # status.failed (Argo 3.6 and later): failed runs plus refused ones, so it
    # moves with every refusal; None before 3.6.
    failed: int | None = None


class Engine(LoggingConfigurable):
    """Submit, observe, stop and delete workflows."""

    # Whether runs are processes on this machine: then the kernels and output
    # converters installed here are what a job gets (the submission checks
    # look for them); in a cluster the job's image is the contract.
    runs_here: bool = False

    def submit(self, manifest: dict) -> WorkflowState:
        raise NotImplementedError

    def status(
        self, names: Iterable[str] | None = None, label_selector: str | None = None
    ) -> dict[str, WorkflowState]:
        """States of many runs in one call: by name, by label selector, or all."""
        raise NotImplementedError

    def stop(self, name: str) -> None:
        """Stop a run the way Argo's stop does: the exit handler still runs."""
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError

    # ---- CronWorkflows: the schedules of job definitions ------------------

    def create_cron(self, manifest: dict) -> None:
        raise NotImplementedError

    def update_cron(self, manifest: dict) -> None:
        """Replace the CronWorkflow's spec in place; `spec.suspend` in the manifest decides paused."""
        raise NotImplementedError

    def suspend_cron(self, name: str) -> None:
        raise NotImplementedError

    def resume_cron(self, name: str) -> None:
        raise NotImplementedError

    def delete_cron(self, name: str) -> None:
        """The CronWorkflow only; its runs are deleted one by one by the caller."""
        raise NotImplementedError

    def cron_states(self, label_selector: str | None = None) -> dict[str, CronState]:
        """The CronWorkflows matching `label_selector` (argo-scheduler's only), in one call.

        Engines whose cron runs cannot be refused before they exist report none.
        """
        return {}

    def wait_for_end(self, name: str, timeout: float) -> None:
        """Return once workflow `name` may have ended, at the latest after `timeout` seconds.

        For a waiting caller (`argo-scheduler run`), which then asks status().
        An engine that cannot be told simply waits `timeout`; the local engine
        returns as soon as the run's process exits.
        """
        import time

        time.sleep(timeout)

    def ensure_cron_controller(self) -> None:
        """Make sure something fires this engine's CronWorkflows (Argo's controller always does)."""

    # ---- Secrets: values a workflow's pods read by secretKeyRef ------------

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        """Create Secret `name` holding exactly `data` (key -> value), or replace it.

        Where this engine's pods resolve `env[].valueFrom.secretKeyRef`. The
        values must never be logged or written anywhere else.
        """
        raise NotImplementedError(
            f"the {type(self).__name__} engine cannot store Secrets: give the notifier a Secret "
            "the deployment manages instead of a secret job parameter"
        )

    def delete_secret(self, name: str) -> None:
        """Delete Secret `name`; one that does not exist is not an error."""
        raise NotImplementedError(f"the {type(self).__name__} engine cannot store Secrets")

    def stored_secret_keys(self) -> Callable[[str], set[str] | None] | None:
        """Where this engine keeps Secrets itself: a Secret's keys by name (None: no such Secret).

        None (the default) when its pods read Secrets from Kubernetes, where
        the submission checks ask the API instead.
        """
        return None

    # ---- the namespace the pods run in, for the submission checks ----------

    def kubernetes_access(self) -> tuple["ApiAccess | None", str | None]:
        """The Kubernetes API of the workflows' namespace, or None and why there is none to ask.

        Never a network call: the checks skip themselves when there is no API.
        """
        return None, f"the {type(self).__name__} engine runs no pods in a Kubernetes namespace"
