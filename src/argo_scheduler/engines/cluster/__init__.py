"""The engines that run workflows on a cluster: an Argo Server (argo.py) or the Kubernetes API (kubernetes.py).

Nothing is imported here: `argo_scheduler.engines.cluster.kubernetes` must
load without hera, which `argo.py` needs.
"""
