"""Compatibility: the Kubernetes Secret store's import path before the cluster engines became a package.

Configuration names `argo_scheduler.engines.argo_secrets.KubernetesSecrets`
(its settings stay c.KubernetesSecrets.*); the store lives in
argo_scheduler.engines.cluster.secrets.
"""

from __future__ import annotations

from .cluster.secrets import GRANT, KubernetesSecrets

__all__ = ["GRANT", "KubernetesSecrets"]
