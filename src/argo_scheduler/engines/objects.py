"""Compatibility: the cluster engines' object rules before they became a package (argo_scheduler.engines.cluster.objects)."""

from __future__ import annotations

from .cluster.objects import (
    ADMISSION_DENIED,
    BACKOFF_MAX,
    SUBMISSION_ERROR,
    TRANSIENT_STATUSES,
    check_names,
    cron_state,
    managed_selector,
    prepare,
    replacement,
)

__all__ = [
    "ADMISSION_DENIED", "BACKOFF_MAX", "SUBMISSION_ERROR", "TRANSIENT_STATUSES",
    "check_names", "cron_state", "managed_selector", "prepare", "replacement",
]
