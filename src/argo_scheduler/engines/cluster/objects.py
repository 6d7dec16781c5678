"""What the engines that talk to a cluster (argo, kubernetes) share about Argo's objects.

Pure: names, the namespace a manifest is addressed to, the label selector
every listing is restricted to, the body of a replacement, a CronWorkflow's
state. No I/O and no heavy import, so either engine can use it (an
operation, for messages, is kubeapi.Action).
"""

from __future__ import annotations

import copy

from ...labels import MANAGED_BY, MANAGED_BY_SELECTOR
from ...names import check_name
from ..base import CronState, EngineError

# 429 and 5xx from a gateway or an API server restarting are worth another
# try; 500 is also how an API server reports etcd timeouts.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# How kube-apiserver words an admission webhook's refusal; Argo Server passes
# it on (as 400, or 500 before v3.5). It is an answer, not worth retrying.
ADMISSION_DENIED = "denied the request"
# Argo's CronWorkflow condition for a run its cron controller could not create.
SUBMISSION_ERROR = "SubmissionError"
BACKOFF_MAX = 30.0
# The plurals of Argo's objects, as both APIs name them in paths and RBAC.
WORKFLOWS = "workflows"
CRON_WORKFLOWS = "cronworkflows"
GROUP = "argoproj.io"


def check_names(namespace: str, name: str | None = None) -> None:
    """Refuse, before any request, a namespace or name Kubernetes would not accept."""
    checks = [("namespace", namespace)] + ([("name", name)] if name is not None else [])
    for what, value in checks:
        try:
            check_name(value, what)
        except ValueError as error:
            raise EngineError(str(error)) from None


def prepare(manifest: dict, kind: str, namespace: str, engine: str) -> tuple[dict, str | None]:
    """A copy of `manifest` addressed to `namespace`, labelled as ours, and its name.

    `engine` is the configuring class (ArgoEngine, KubernetesEngine), named in
    the error when the manifest was rendered for another namespace.
    """
    if not isinstance(manifest, dict) or manifest.get("kind") != kind:
        got = manifest.get("kind") if isinstance(manifest, dict) else type(manifest).__name__
        raise EngineError(f"expected a {kind} manifest, got {got!r}")
    body = copy.deepcopy(manifest)
    metadata = body.setdefault("metadata", {})
    rendered_for = metadata.get("namespace")
    if rendered_for and rendered_for != namespace:
        raise EngineError(
            f"The {kind} was rendered for namespace {rendered_for!r} but the "
            f"{engine.removesuffix('Engine')} engine works in "
            f"{namespace!r}: set c.{engine}.namespace and c.ArgoScheduler.namespace alike."
        )
    metadata["namespace"] = namespace
    # status() lists by this label only; a manifest without it would run unseen.
    metadata["labels"] = {**MANAGED_BY, **(metadata.get("labels") or {})}
    name = metadata.get("name")
    check_names(namespace, name)
    return body, name


def managed_selector(label_selector: str | None) -> str:
    """`label_selector` restricted to argo-scheduler's objects, without doubling that requirement."""
    requirements = [r.strip() for r in (label_selector or "").split(",") if r.strip()]
    if MANAGED_BY_SELECTOR not in requirements:
        requirements.insert(0, MANAGED_BY_SELECTOR)
    return ",".join(requirements)


def replacement(existing: dict, body: dict) -> dict:
    """`body` as a replacement (PUT) of `existing`: its resourceVersion, status, and others' labels and annotations.

    A PUT replaces the whole object, and CronWorkflows have no status
    subresource: the current status (last scheduled time, active runs) and
    what other tools (Argo's cron controller) keep in labels and annotations
    are carried over.
    """
    old = existing.get("metadata") or {}
    result = copy.deepcopy(body)
    metadata = result["metadata"]
    metadata["resourceVersion"] = old.get("resourceVersion")
    for key in ("labels", "annotations"):
        merged = {**(old.get(key) or {}), **(metadata.get(key) or {})}
        if merged:
            metadata[key] = merged
    if existing.get("status"):
        result["status"] = copy.deepcopy(existing["status"])
    return result


def cron_state(cron: dict) -> CronState:
    """A CronWorkflow (Argo's JSON) as the scheduler needs it."""
    metadata = cron.get("metadata") or {}
    status = cron.get("status") or {}
    error = next(
        (c.get("message") or "" for c in status.get("conditions") or []
         if c.get("type") == SUBMISSION_ERROR and c.get("status", "True") == "True"),
        None,
    )
    return CronState(
        name=metadata.get("name") or "",
        uid=metadata.get("uid"),
        labels=dict(metadata.get("labels") or {}),
        submission_error=error,
        failed=status.get("failed"),
    )
