"""What an environment is to argo_scheduler, whatever source offers it."""

from __future__ import annotations

from dataclasses import dataclass, field


class EnvironmentNotFound(ValueError):
    """A job names an environment or compute type that is not offered (any more)."""


@dataclass(frozen=True)
class Environment:
    """One entry of the UI's environment dropdown, and what it means for the pod.

    `image` None runs the scheduler's image; `kernel_name` None runs the
    notebook's own kernel. `compute_types` None offers every configured one;
    `output_formats` None offers the manager's default formats.
    """

    name: str
    label: str
    description: str
    source: str
    image: str | None = None
    kernel_name: str | None = None
    image_pull_secret: str | None = None
    working_dir: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    compute_types: tuple[str, ...] | None = None
    default_compute_type: str | None = None
    output_formats: tuple[str, ...] | None = None
    # Shown to the UI in RuntimeEnvironment.metadata (a conda env's path, say).
    details: dict[str, str] = field(default_factory=dict)
