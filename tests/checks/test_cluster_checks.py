"""Secrets, claims and quotas, looked up in the fake Kubernetes API: one LIST per kind, skipped without an API."""

from __future__ import annotations

import socket

import pytest
from check_helpers import TOKEN

from argo_scheduler.checks import FAILED, OK, SKIPPED, WARNING
from argo_scheduler.checks.kubernetes import CLAIMS, QUOTA, SECRETS, cluster_checks
from argo_scheduler.kubeapi import ApiAccess

NS = "jobs"


def manifest(resources: dict | None = None, secrets: bool = True, claim: bool = True) -> dict:
    container = {"image": "img:1", "resources": resources or {}}
    spec = {"entrypoint": "run", "templates": [{"name": "run", "container": container}]}
    if secrets:
        container["env"] = [{"name": "DB", "valueFrom": {"secretKeyRef": {"name": "scheduler-db", "key": "url"}}}]
        spec["imagePullSecrets"] = [{"name": "registry"}]
    if claim:
        spec["volumes"] = [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-ana"}}]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"name": "w", "namespace": NS},
            "spec": spec}


@pytest.fixture
def access(kube, token_file) -> ApiAccess:
    return ApiAccess(host=kube.url, token_file=token_file, timeout=5.0)


@pytest.fixture
def namespace(kube):
    """GIVEN a namespace holding everything the manifest references"""
    kube.add_secret(NS, "scheduler-db", {"url": "postgresql://scheduler@db/scheduler"})
    kube.add_secret(NS, "registry", {".dockerconfigjson": "{}"})
    kube.add_pvc(NS, "claim-ana")
    return kube


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


def test_everything_there_passes_with_one_list_per_kind(namespace, access):
    # WHEN the checks run
    checks = by_name(cluster_checks(access, None, NS, manifest({"requests": {"cpu": "1"}})))
    # THEN each passes, saying what it found
    assert {n: c.status for n, c in checks.items()} == {SECRETS: OK, CLAIMS: OK, QUOTA: OK}
    assert checks[SECRETS].message == f"Secret(s) registry, scheduler-db exist in namespace {NS}"
    assert checks[QUOTA].message == f"no ResourceQuota in namespace {NS}"
    # AND the API was asked once per kind, by LIST, with the token
    assert [(c.verb, c.resource) for c in namespace.calls()] == [
        ("list", "secrets"), ("list", "persistentvolumeclaims"), ("list", "resourcequotas")]
    assert {r.authorization for r in namespace.requests()} == {f"Bearer {TOKEN}"}


@pytest.mark.parametrize(
    "remove, check, message",
    [
        (lambda k: k.secrets.pop((NS, "scheduler-db")), SECRETS,
         f"in namespace {NS}: Secret scheduler-db (template run env DB) does not exist"),
        (lambda k: k.secrets.pop((NS, "registry")), SECRETS, "Secret registry (imagePullSecrets[0]) does not exist"),
        (lambda k: k.add_secret(NS, "scheduler-db", {"password": "p"}), SECRETS, "Secret scheduler-db has no key url"),
        (lambda k: k.objects["persistentvolumeclaims"].clear(), CLAIMS,
         f"in namespace {NS}: PersistentVolumeClaim claim-ana (volume home) does not exist"),
    ],
    ids=["secret-missing", "pull-secret-missing", "secret-key-missing", "claim-missing"],
)
def test_a_missing_reference_fails_naming_it_and_where_it_is_used(namespace, access, remove, check, message):
    # GIVEN the namespace lacks one thing the manifest references
    remove(namespace)
    # WHEN the checks run THEN that check fails saying what and where; the others pass
    checks = by_name(cluster_checks(access, None, NS, manifest()))
    assert checks[check].status == FAILED and message in checks[check].message
    assert [c.status for n, c in checks.items() if n != check] == [OK, OK]


@pytest.mark.parametrize(
    "resources, hard, used, message",
    [
        ({"requests": {"cpu": "4"}}, {"requests.cpu": "8"}, {"requests.cpu": "6"},
         "requests.cpu: the job needs 4 but ResourceQuota team has 2 left (6 used of 8), short by 2"),
        ({"limits": {"memory": "16Gi"}}, {"limits.memory": "32Gi", "requests.memory": "64Gi"}, {"limits.memory": "20Gi"},
         "limits.memory: the job needs 16Gi but ResourceQuota team has 12Gi left (20Gi used of 32Gi), short by 4Gi"),
        ({"limits": {"nvidia.com/gpu": "2"}}, {"requests.nvidia.com/gpu": "4"}, {"requests.nvidia.com/gpu": "3"},
         "requests.nvidia.com/gpu: the job needs 2 but ResourceQuota team has 1 left (3 used of 4), short by 1"),
    ],
    ids=["cpu", "memory", "gpu"],
)
def test_a_quota_exceeded_fails_naming_the_resource_and_the_shortfall(namespace, access, resources, hard, used, message):
    # GIVEN a quota with less left than the pod asks for
    namespace.add_quota(NS, "team", hard, used)
    # WHEN the checks run THEN the quota check fails with the resource and by how much
    check = by_name(cluster_checks(access, None, NS, manifest(resources)))[QUOTA]
    assert check.status == FAILED
    assert check.message == f"the job does not fit in namespace {NS}: {message}"


def test_a_quota_with_room_passes(namespace, access):
    # GIVEN quotas with room for a 2-GPU pod, and one in another namespace that is full
    namespace.add_quota(NS, "compute", {"requests.cpu": "16", "limits.memory": "64Gi"}, {"requests.cpu": "4"})
    namespace.add_quota(NS, "gpus", {"requests.nvidia.com/gpu": "4"}, {"requests.nvidia.com/gpu": "2"})
    namespace.add_quota("elsewhere", "full", {"pods": "0"})
    resources = {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"memory": "16Gi", "nvidia.com/gpu": "2"}}
    # WHEN the checks run THEN the quota check passes naming the quotas held against
    check = by_name(cluster_checks(access, None, NS, manifest(resources)))[QUOTA]
    assert (check.status, check.message) == (OK, f"fits ResourceQuota(s) compute, gpus in namespace {NS}")


@pytest.mark.parametrize("resource, check", [("secrets", SECRETS), ("persistentvolumeclaims", CLAIMS),
                                             ("resourcequotas", QUOTA)], ids=["secrets", "claims", "quotas"])
def test_a_list_forbidden_by_rbac_is_a_warning_saying_what_to_grant(namespace, access, resource, check):
    # GIVEN the server's identity may not list one kind
    namespace.forbid(namespace=NS, resource=resource, verb="list")
    # WHEN the checks run
    checks = by_name(cluster_checks(access, None, NS, manifest()))
    # THEN that check is a warning (it never blocks) naming the grant; the others are made
    assert checks[check].status == WARNING
    assert f"403 Forbidden): grant the Jupyter server's service account `list` on `{resource}` in namespace {NS}" in checks[check].message
    assert [c.status for n, c in checks.items() if n != check] == [OK, OK]


def test_a_wrong_token_or_an_unreachable_api_is_a_warning(namespace, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token")
    # GIVEN a token the API refuses, WHEN the checks run, THEN each is a warning saying so
    refused = cluster_checks(ApiAccess(host=namespace.url, token_file=str(wrong)), None, NS, manifest())
    assert [c.status for c in refused] == [WARNING] * 3
    assert "401 Unauthorized" in refused[0].message
    # GIVEN an API nobody listens on THEN the same, saying it cannot be reached
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    unreachable = cluster_checks(ApiAccess(host=closed, timeout=2.0), None, NS, manifest())
    assert [c.status for c in unreachable] == [WARNING] * 3
    assert f"not checked: cannot reach the Kubernetes API at {closed} to list secrets" in unreachable[0].message


def test_without_an_api_every_cluster_check_is_skipped_with_the_reason_and_no_request(kube):
    # GIVEN no Kubernetes API (why comes from the engine)
    why = "the local engine runs jobs on this machine, not in a Kubernetes namespace"
    # WHEN the checks run
    checks = by_name(cluster_checks(None, why, NS, manifest()))
    # THEN each one that needs the API is skipped with that reason, and nothing was asked
    assert {n: (c.status, c.message) for n, c in checks.items()} == {n: (SKIPPED, f"not checked: {why}") for n in checks}
    assert kube.requests() == []


def test_outside_a_cluster_an_unconfigured_access_is_unavailable_without_a_request(monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    # GIVEN neither kubeconfig nor host, outside a cluster THEN the access says why it cannot be used
    reason = ApiAccess(settings="c.KubernetesSecrets").unavailable_reason()
    assert reason == ("no Kubernetes API configured: the server runs outside a cluster and neither "
                      "c.KubernetesSecrets.kubeconfig nor c.KubernetesSecrets.host is set")
    # AND one with a host is available
    assert ApiAccess(host="http://127.0.0.1:1").unavailable_reason() is None


def test_a_manifest_without_references_asks_only_for_quotas(kube, access):
    checks = by_name(cluster_checks(access, None, NS, manifest(secrets=False, claim=False)))
    assert (checks[SECRETS].message, checks[CLAIMS].message) == ("the job references no Secret", "the job mounts no claim")
    assert [c.resource for c in kube.calls()] == ["resourcequotas"]
