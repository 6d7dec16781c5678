"""Whether a pod's requests and limits fit a namespace's ResourceQuotas: hard minus used.

Pure: quotas as the API returns them (dicts) and the pod's resources in,
one message per resource that does not fit out.
"""

from __future__ import annotations

from decimal import Decimal

# Kubernetes sets a missing request to the limit; these are the names a
# quota counts requests and limits of compute resources under.
_COMPUTE = ("cpu", "memory", "ephemeral-storage")
_BYTES = ("memory", "ephemeral-storage", "storage")


def pod_usage(resources: dict) -> dict[str, Decimal]:
    """What one pod with these container resources counts against a quota, by quota key."""
    from kubernetes.utils import parse_quantity

    requests = {k: parse_quantity(v) for k, v in (resources.get("requests") or {}).items()}
    limits = {k: parse_quantity(v) for k, v in (resources.get("limits") or {}).items()}
    usage: dict[str, Decimal] = {"pods": Decimal(1)}
    for name in set(requests) | set(limits):
        request = requests.get(name, limits.get(name))
        if name in _COMPUTE:
            usage[name] = usage[f"requests.{name}"] = request
            if name in limits:
                usage[f"limits.{name}"] = limits[name]
        else:
            # Extended resources (GPUs) are quota'd as requests.<name> only.
            usage[f"requests.{name}"] = request
    return usage


def quota_shortfalls(quotas: list[dict], usage: dict[str, Decimal]) -> tuple[list[str], list[str]]:
    """(what does not fit, quotas not checked) for a pod using `usage` in a namespace with `quotas`."""
    from kubernetes.utils import parse_quantity

    short, unchecked = [], []
    for quota in quotas:
        name = (quota.get("metadata") or {}).get("name", "?")
        spec = quota.get("spec") or {}
        if spec.get("scopes") or spec.get("scopeSelector"):
            # Whether a scoped quota counts this pod depends on its priority class, deadline, QoS.
            unchecked.append(name)
            continue
        status = quota.get("status") or {}
        hard = status.get("hard") or spec.get("hard") or {}
        used = status.get("used") or {}
        for key in sorted(hard):
            if key not in usage:
                continue
            limit, spent = parse_quantity(hard[key]), parse_quantity(used.get(key, "0"))
            left = limit - spent
            if usage[key] > left:
                short.append(
                    f"{key}: the job needs {show(key, usage[key])} but ResourceQuota {name} has "
                    f"{show(key, max(left, Decimal(0)))} left ({show(key, spent)} used of {show(key, limit)}), "
                    f"short by {show(key, usage[key] - max(left, Decimal(0)))}"
                )
    return short, unchecked


def show(key: str, value: Decimal) -> str:
    """A quantity as a person writes it: 1.5 cpu as 1500m, bytes in Gi/Mi/Ki when exact."""
    resource = key.split(".", 1)[1] if key.startswith(("requests.", "limits.")) else key
    if resource in _BYTES:
        for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if value and value % size == 0:
                return f"{value // size}{suffix}"
        return f"{value.normalize():f}"
    if resource == "cpu" and value != value.to_integral_value():
        return f"{(value * 1000).to_integral_value()}m"
    return f"{value.normalize():f}"
