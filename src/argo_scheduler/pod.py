"""The job's pod, as a `kubernetes.client.V1Pod`: a pure builder.

`make_pod` gives the pod that runs one notebook job before any deployment
specifics; PodSpecMutators then edit it in their configured order, and the
workflow builder turns the result into Argo templates. Nothing here touches
the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubernetes.client import (
    V1Container,
    V1EnvVar,
    V1EnvVarSource,
    V1ObjectMeta,
    V1Pod,
    V1PodSpec,
    V1SecretKeySelector,
)

from .labels import LABEL_PREFIX, MANAGED_BY  # noqa: F401  (importers of pod.py still find them here)
from .spec import DB_URL_ENV

MAIN_CONTAINER = "main"


@dataclass(frozen=True)
class SecretRef:
    """A key of a Kubernetes Secret: how secrets reach a pod, by reference only."""

    name: str
    key: str


@dataclass(frozen=True)
class PodContext:
    """Deployment facts the pod needs beyond the job itself."""

    image: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    # Database URL carrying credentials: the pod reads it from this Secret.
    db_url_secret: SecretRef | None = None
    env: dict[str, str] = field(default_factory=dict)
    image_pull_policy: str | None = None


def make_pod(context: PodContext) -> V1Pod:
    """The job's pod: one container named `main`; command and args are the builder's."""
    env = [V1EnvVar(name=k, value=v) for k, v in sorted(context.env.items())]
    if context.db_url_secret:
        env.append(
            V1EnvVar(
                name=DB_URL_ENV,
                value_from=V1EnvVarSource(
                    secret_key_ref=V1SecretKeySelector(
                        name=context.db_url_secret.name, key=context.db_url_secret.key
                    )
                ),
            )
        )
    return V1Pod(
        api_version="v1",
        kind="Pod",
        metadata=V1ObjectMeta(labels=dict(context.labels), annotations=dict(context.annotations)),
        spec=V1PodSpec(
            restart_policy="Never",
            containers=[
                V1Container(
                    name=MAIN_CONTAINER,
                    image=context.image,
                    image_pull_policy=context.image_pull_policy,
                    env=env or None,
                )
            ],
        ),
    )


def main_container(pod: V1Pod) -> V1Container:
    for container in pod.spec.containers or []:
        if container.name == MAIN_CONTAINER:
            return container
    raise ValueError(f"the job's pod has no container named {MAIN_CONTAINER!r}")
