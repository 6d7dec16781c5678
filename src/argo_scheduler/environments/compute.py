"""Compute types: CPU, memory, GPUs and node placement for a job's pod."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # The server builds compute types at start-up; the kubernetes client
    # loads only when a pod is shaped.
    from kubernetes.client import V1Pod

    from ..spec import RunSpec

DEFAULT_GPU_RESOURCE = "nvidia.com/gpu"
_KEYS = {
    "cpu_request", "cpu_limit", "memory_request", "memory_limit", "gpus", "gpu_resource",
    "node_selector", "tolerations",
}
# Kubernetes' toleration fields, as written in YAML -> V1Toleration's arguments.
_TOLERATION_KEYS = {
    "key": "key", "operator": "operator", "value": "value", "effect": "effect",
    "tolerationSeconds": "toleration_seconds",
}


@dataclass(frozen=True)
class ComputeType:
    name: str
    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None
    gpus: int = 0
    gpu_resource: str = DEFAULT_GPU_RESOURCE
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict, ...] = ()

    def summary(self) -> str:
        """What a person needs to tell compute types apart: "small (cpu 1, memory 2Gi)"."""
        parts = []
        for what, request, limit in (("cpu", self.cpu_request, self.cpu_limit), ("memory", self.memory_request, self.memory_limit)):
            if request or limit:
                parts.append(f"{what} {request or limit}" + (f"-{limit}" if request and limit and limit != request else ""))
        if self.gpus:
            parts.append(f"{self.gpus} GPU" + ("" if self.gpu_resource == DEFAULT_GPU_RESOURCE else f" ({self.gpu_resource})"))
        return f"{self.name} ({', '.join(parts)})" if parts else self.name

    def requests(self) -> dict[str, str]:
        return _quantities(cpu=self.cpu_request, memory=self.memory_request)

    def limits(self) -> dict[str, str]:
        limits = _quantities(cpu=self.cpu_limit, memory=self.memory_limit)
        if self.gpus:
            # Extended resources go in limits; Kubernetes sets the request equal.
            limits[self.gpu_resource] = str(self.gpus)
        return limits

    def mutate(self, pod: V1Pod, spec: RunSpec) -> None:
        """Shape the job's pod: container resources, nodeSelector, tolerations."""
        from kubernetes.client import V1ResourceRequirements, V1Toleration

        from ..pod import main_container

        container = main_container(pod)
        resources = container.resources or V1ResourceRequirements()
        if self.requests():
            resources.requests = {**(resources.requests or {}), **self.requests()}
        if self.limits():
            resources.limits = {**(resources.limits or {}), **self.limits()}
        if resources.requests or resources.limits:
            container.resources = resources
        if self.node_selector:
            pod.spec.node_selector = {**(pod.spec.node_selector or {}), **self.node_selector}
        if self.tolerations:
            pod.spec.tolerations = [
                *(pod.spec.tolerations or []),
                *(V1Toleration(**{_TOLERATION_KEYS[k]: v for k, v in t.items()}) for t in self.tolerations),
            ]


def _quantities(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value}


def parse_compute_type(name: str, entry: dict) -> ComputeType:
    """A compute type from config; a mistake is a ValueError that names the field."""
    where = f"compute type {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a dict of {', '.join(sorted(_KEYS))}")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    gpus = entry.get("gpus", 0)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
        raise ValueError(f"{where}: gpus must be a whole number >= 0, not {gpus!r}")
    node_selector = entry.get("node_selector") or {}
    if not isinstance(node_selector, dict):
        raise ValueError(f"{where}: node_selector must be a dict of label -> value")
    tolerations = entry.get("tolerations") or []
    if not isinstance(tolerations, list) or not all(isinstance(t, dict) for t in tolerations):
        raise ValueError(f"{where}: tolerations must be a list of dicts (key, operator, value, effect)")
    for toleration in tolerations:
        bad = sorted(set(toleration) - set(_TOLERATION_KEYS))
        if bad:
            raise ValueError(f"{where}: unknown toleration field(s) {', '.join(bad)}; known: {', '.join(_TOLERATION_KEYS)}")

    def quantity(key: str) -> str | None:
        value = entry.get(key)
        return None if value in (None, "") else str(value)

    return ComputeType(
        name=name,
        cpu_request=quantity("cpu_request"),
        cpu_limit=quantity("cpu_limit"),
        memory_request=quantity("memory_request"),
        memory_limit=quantity("memory_limit"),
        gpus=gpus,
        gpu_resource=str(entry.get("gpu_resource") or DEFAULT_GPU_RESOURCE),
        node_selector={str(k): str(v) for k, v in node_selector.items()},
        tolerations=tuple(dict(t) for t in tolerations),
    )
