"""PodSpecMutator: one deployment-specific edit of the job's pod."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

    def prepare(self) -> None:
        """Gather outside facts; called once per submission, before `mutate`."""

    def mutate(self, pod: "V1Pod", job: "RunSpec") -> None:
        raise NotImplementedError
