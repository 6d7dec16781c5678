"""Compatibility: the Argo engine's import path before the cluster engines became a package.

Configuration and entry points of older installs name
`argo_scheduler.engines.argo.ArgoEngine`; the engine lives in
argo_scheduler.engines.cluster.argo.
"""

from __future__ import annotations

from .cluster.argo import ArgoEngine, ArgoNotFound, ArgoServerError, bearer, normalise_host

__all__ = ["ArgoEngine", "ArgoNotFound", "ArgoServerError", "bearer", "normalise_host"]
