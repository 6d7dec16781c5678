"""Environments from container images someone built for their work."""

from __future__ import annotations

from .formats import check_formats
from .model import Environment

RESERVED_ENV_PREFIX = "ARGO_SCHEDULER_"
_KEYS = {
    "image", "kernel", "label", "description", "image_pull_secret", "working_dir", "env",
    "compute_types", "default_compute_type", "output_formats",
}


def image_environment(name: str, entry: dict) -> Environment:
    """One `images` entry; a mistake is a ValueError that names the field."""
    where = f"image environment {name!r}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a dict with at least an 'image'")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    if not entry.get("image"):
        raise ValueError(f"{where} needs an 'image'")
    env = entry.get("env") or {}
    if not isinstance(env, dict):
        raise ValueError(f"{where}: env must be a dict of name -> value")
    reserved = sorted(k for k in env if str(k).startswith(RESERVED_ENV_PREFIX))
    if reserved:
        # The runtime's own variables (database URL, notifiers' Secrets) are not an image's to set.
        raise ValueError(f"{where}: env may not set {', '.join(reserved)} ({RESERVED_ENV_PREFIX}* is argo_scheduler's)")
    compute_types = entry.get("compute_types")
    if compute_types is not None and (
        not isinstance(compute_types, (list, tuple)) or not all(isinstance(c, str) for c in compute_types)
    ):
        raise ValueError(f"{where}: compute_types must be a list of compute type names")
    default = entry.get("default_compute_type") or None
    if default and compute_types is not None and default not in compute_types:
        raise ValueError(f"{where}: default_compute_type {default!r} is not in its compute_types")
    formats = entry.get("output_formats")
    if formats is not None:
        formats = check_formats(formats, f"{where}: output_formats")
    image = str(entry["image"])
    return Environment(
        name=name,
        label=str(entry.get("label") or name),
        description=str(entry.get("description") or f"Image {image}"),
        source="image",
        image=image,
        kernel_name=entry.get("kernel") or None,
        image_pull_secret=entry.get("image_pull_secret") or None,
        working_dir=entry.get("working_dir") or None,
        env={str(k): str(v) for k, v in env.items()},
        compute_types=None if compute_types is None else tuple(compute_types),
        default_compute_type=default,
        output_formats=formats,
        details={"image": image},
    )
