"""How the chosen environment and compute type shape a job's BuildContext (pure)."""

from __future__ import annotations

from dataclasses import replace

from kubernetes.client import V1LocalObjectReference, V1Pod

from ..pod import main_container
from ..spec import RunSpec
from ..workflow import BuildContext
from .compute import ComputeType
from .model import Environment


def shape_context(context: BuildContext, environment: Environment, compute: ComputeType | None) -> BuildContext:
    """The context with the environment's image, kernel and env, and its pod share first in line.

    The context's own env wins over the environment's: it carries what the
    runtime needs (the database, the notifiers) and an image entry must not
    be able to redirect it.
    """
    mutations = []
    if environment.image_pull_secret or environment.working_dir:
        mutations.append(EnvironmentPod(environment.image_pull_secret, environment.working_dir))
    if compute is not None:
        mutations.append(compute.mutate)
    return replace(
        context,
        image=environment.image or context.image,
        kernel_name=environment.kernel_name or context.kernel_name,
        env={**environment.env, **context.env},
        environment_mutations=(*context.environment_mutations, *mutations),
    )


class EnvironmentPod:
    """The environment's pod share: the pull secret for its image, its working dir."""

    def __init__(self, image_pull_secret: str | None, working_dir: str | None):
        self.image_pull_secret = image_pull_secret
        self.working_dir = working_dir

    def __call__(self, pod: V1Pod, spec: RunSpec) -> None:
        if self.image_pull_secret:
            secrets = list(pod.spec.image_pull_secrets or [])
            if self.image_pull_secret not in {s.name for s in secrets}:
                secrets.append(V1LocalObjectReference(name=self.image_pull_secret))
            pod.spec.image_pull_secrets = secrets
        if self.working_dir:
            main_container(pod).working_dir = self.working_dir
