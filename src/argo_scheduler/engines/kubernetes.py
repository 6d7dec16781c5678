"""Compatibility: the kubernetes engine's import path before the cluster engines became a package.

Configuration and entry points of older installs name
`argo_scheduler.engines.kubernetes.KubernetesEngine`; the engine lives in
argo_scheduler.engines.cluster.kubernetes. Like it, this imports no hera.
"""

from __future__ import annotations

from .cluster.kubernetes import KubernetesApiError, KubernetesEngine, KubernetesNotFound

__all__ = ["KubernetesApiError", "KubernetesEngine", "KubernetesNotFound"]
