"""The checks that ask the Kubernetes API: Secrets, claims and quotas of the workflows' namespace.

(On the local engine, Secrets are looked up in its own store instead.)

One LIST per kind (never one GET per object), and only for the kinds the
manifest needs. Without an API (local engine, a laptop) each is skipped
with the reason; a request refused (RBAC) or failed is a warning: the
submission goes on, as Kubernetes itself will judge the pod.
"""

from __future__ import annotations

import json
from typing import Callable

from ..kubeapi import Action, ApiAccess, KubeApiError, call
from .quota import pod_usage, quota_shortfalls
from .references import References, main_resources, references
from .report import FAILED, OK, SKIPPED, WARNING, Check

SECRETS, CLAIMS, QUOTA = "secrets", "persistent volume claims", "resource quota"


def cluster_checks(
    access: ApiAccess | None,
    unavailable: str | None,
    namespace: str,
    manifest: dict,
    stored_secret_keys: Callable[[str], set[str] | None] | None = None,
) -> list[Check]:
    """The three checks for `manifest` in `namespace`; `unavailable` says why there is no API to ask.

    `stored_secret_keys` (a Secret's keys, None when it does not exist) is
    where Secrets are looked up instead of the API: the local engine's store.
    """
    refs = references(manifest)
    lister = None if access is None or unavailable else _Lister(access, namespace)
    why = unavailable or "no Kubernetes API"
    if not refs.secrets:
        secrets = Check(SECRETS, OK, "the job references no Secret")
    elif stored_secret_keys is not None:
        secrets = _stored_secrets_check(refs, stored_secret_keys, namespace)
    else:
        secrets = _secrets_check(refs, lister, why, namespace)
    return [
        secrets,
        _claims_check(refs, lister, why, namespace) if refs.claims else Check(CLAIMS, OK, "the job mounts no claim"),
        _quota_check(manifest, lister, why, namespace),
    ]


class _Lister:
    def __init__(self, access: ApiAccess, namespace: str):
        self.access, self.namespace = access, namespace
        self._api = None

    def items(self, resource: str, method: str) -> list[dict]:
        """The namespace's objects of `resource` as the API returns them (plain JSON, no models)."""
        if self._api is None:
            self._api = self.access.core()
        request: Callable = getattr(self._api, method)
        response = call(self.access, Action("list", resource, self.namespace), lambda: request(
            self.namespace, _preload_content=False, _request_timeout=self.access.timeout
        ))
        return json.loads(response.data).get("items") or []


def _skipped_or_warned(name: str, lister, why: str, read: Callable[[], Check]) -> Check:
    if lister is None:
        return Check(name, SKIPPED, f"not checked: {why}")
    try:
        return read()
    except KubeApiError as e:
        return Check(name, WARNING, f"not checked: {e}")


def _where(refs: References, kind: str, name: str) -> str:
    return ", ".join(refs.where.get(f"{kind}/{name}", []))


def _secrets_check(refs: References, lister, why: str, namespace: str) -> Check:
    def read() -> Check:
        existing = {
            (s.get("metadata") or {}).get("name"): set(s.get("data") or {}) | set(s.get("stringData") or {})
            for s in lister.items("secrets", "list_namespaced_secret")
        }
        return _judge_secrets(refs, existing, f"in namespace {namespace}")

    return _skipped_or_warned(SECRETS, lister, why, read)


def _stored_secrets_check(refs: References, stored_keys: Callable[[str], set[str] | None], namespace: str) -> Check:
    existing = {name: keys for name in refs.secrets if (keys := stored_keys(name)) is not None}
    return _judge_secrets(refs, existing, "in the local engine's Secret store")


def _judge_secrets(refs: References, existing: dict[str, set[str]], where: str) -> Check:
    problems = []
    for name, keys in sorted(refs.secrets.items()):
        if name not in existing:
            problems.append(f"Secret {name} ({_where(refs, 'secret', name)}) does not exist")
            continue
        for key in sorted(keys - existing[name]):
            problems.append(f"Secret {name} has no key {key}")
    if problems:
        return Check(SECRETS, FAILED, f"{where}: " + "; ".join(problems))
    return Check(SECRETS, OK, f"Secret(s) {', '.join(sorted(refs.secrets))} exist {where}")


def _claims_check(refs: References, lister, why: str, namespace: str) -> Check:
    def read() -> Check:
        existing = {
            (c.get("metadata") or {}).get("name")
            for c in lister.items("persistentvolumeclaims", "list_namespaced_persistent_volume_claim")
        }
        missing = sorted(refs.claims - existing)
        if missing:
            return Check(CLAIMS, FAILED, f"in namespace {namespace}: " + "; ".join(
                f"PersistentVolumeClaim {name} ({_where(refs, 'claim', name)}) does not exist" for name in missing
            ))
        return Check(CLAIMS, OK, f"PersistentVolumeClaim(s) {', '.join(sorted(refs.claims))} exist in namespace {namespace}")

    return _skipped_or_warned(CLAIMS, lister, why, read)


def _quota_check(manifest: dict, lister, why: str, namespace: str) -> Check:
    def read() -> Check:
        quotas = lister.items("resourcequotas", "list_namespaced_resource_quota")
        if not quotas:
            return Check(QUOTA, OK, f"no ResourceQuota in namespace {namespace}")
        short, unchecked = quota_shortfalls(quotas, pod_usage(main_resources(manifest)))
        if short:
            return Check(QUOTA, FAILED, f"the job does not fit in namespace {namespace}: " + "; ".join(short))
        checked = sorted({q["metadata"]["name"] for q in quotas} - set(unchecked))
        message = f"fits ResourceQuota(s) {', '.join(checked) or 'none'} in namespace {namespace}"
        if unchecked:
            message += f" (scoped, not checked: {', '.join(sorted(unchecked))})"
        return Check(QUOTA, OK, message)

    return _skipped_or_warned(QUOTA, lister, why, read)
