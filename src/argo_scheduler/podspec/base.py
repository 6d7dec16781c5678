"""PodSpecMutator: one deployment-specific edit of the job's pod."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from traitlets.config import LoggingConfigurable

if TYPE_CHECKING:
    from kubernetes.client import V1Pod

    from ..spec import RunSpec


class PodSpecMutator(LoggingConfigurable):
    """Edits the job's `kubernetes.client.V1Pod` in place.

    The pod has one container, `main` (see `argo_scheduler.pod.main_container`);
    its command and args belong to the builder. A mutator may set metadata
    labels and annotations, volumes and the main container's mounts, env,
    resources, image, and pod fields (nodeSelector, tolerations,
    securityContext, serviceAccountName, …). Mutators run in the configured
    order and must be idempotent: applying one twice gives the same pod.
    Building a manifest never touches the network, so a mutator that needs
    outside facts (the `inherit` one reads the JupyterLab pod) fetches them
    once, before the builder runs, in `prepare()`.
    """

    # Labels this mutator adds to the pod that belong on every Workflow (a job,
    # each run of a CronWorkflow) but not on a CronWorkflow object itself: an
    # admission webhook keyed on such a label then acts on each run exactly
    # once, instead of also on the stored CronWorkflow whose result every run
    # would inherit (Nebari's workflow controller and `jupyterflow-override`).
    run_only_labels: ClassVar[frozenset[str]] = frozenset()

    def prepare(self) -> None:
        """Gather outside facts; called once per submission, before `mutate`."""

    def mutate(self, pod: "V1Pod", job: "RunSpec") -> None:
        raise NotImplementedError

    def refusal_advice(self, message: str) -> str | None:
        """What the user can do when the cluster refused a run with `message`, or None.

        Called with the refusal's text (an admission webhook's denial at
        submission, or the submission error Argo's cron controller recorded
        for a scheduled run); the first mutator that recognises it adds its
        advice to the message the user sees.
        """
        return None
