"""The checks that take data: the notebook and its kernel, references, quotas, Argo's schema."""

from __future__ import annotations

import json
import shutil

import pytest
from support.samples import NOTEBOOKS

from argo_scheduler.checks import FAILED, OK
from argo_scheduler.checks.notebook import notebook_check
from argo_scheduler.checks.quota import pod_usage, quota_shortfalls
from argo_scheduler.checks.references import main_resources, references
from argo_scheduler.checks.submission import schema_check


def _notebook(tmp_path, name: str, edit=None) -> str:
    target = tmp_path / "nb.ipynb"
    shutil.copy(NOTEBOOKS / name, target)
    if edit:
        content = json.loads(target.read_text())
        edit(content)
        target.write_text(json.dumps(content))
    return str(target)


def _write(tmp_path, text: str) -> str:
    target = tmp_path / "nb.ipynb"
    target.write_text(text)
    return str(target)


@pytest.mark.parametrize(
    "make, imposed, installed, status, message",
    [
        (lambda t: _notebook(t, "parameters.ipynb"), None, None, OK, "nb.ipynb runs with nb.ipynb's kernel python3"),
        (lambda t: _notebook(t, "parameters.ipynb"), None, {"python3"}, OK, "runs with nb.ipynb's kernel python3"),
        (lambda t: _notebook(t, "no_kernelspec.ipynb"), "python3", {"python3"}, OK,
         "runs with kernel python3 of environment env"),
        (lambda t: _notebook(t, "no_kernelspec.ipynb"), None, None, FAILED, "nb.ipynb has no kernel: open it in JupyterLab"),
        (lambda t: _notebook(t, "parameters.ipynb"), None, {"ir"}, FAILED,
         "nb.ipynb's kernel python3 is not installed where the job runs; installed: ir"),
        (lambda t: _notebook(t, "parameters.ipynb"), "julia-1.10", {"python3"}, FAILED,
         "kernel julia-1.10 of environment env is not installed where the job runs; installed: python3"),
        (lambda t: _write(t, "{not json"), None, None, FAILED, "cannot read notebook nb.ipynb"),
        (lambda t: str(t / "absent.ipynb"), None, None, FAILED, "cannot read notebook nb.ipynb"),
        (lambda t: _notebook(t, "parameters.ipynb", lambda c: c["cells"][0].update(cell_type="bogus")), None, None,
         FAILED, "nb.ipynb is not a valid notebook"),
    ],
    ids=["own-kernel", "own-kernel-installed", "imposed-kernel", "no-kernel", "own-kernel-not-installed",
         "imposed-kernel-not-installed", "not-json", "missing", "invalid-nbformat"],
)
def test_notebook_check(tmp_path, make, imposed, installed, status, message):
    # GIVEN a notebook file and what the environment provides
    path = make(tmp_path)
    # WHEN it is checked
    check = notebook_check(path, "nb.ipynb", imposed, "env", (lambda: installed) if installed is not None else None)
    # THEN it passes or fails with a message to act on
    assert (check.status, check.name) == (status, "notebook")
    assert message in check.message


def _workflow(spec: dict, kind: str = "Workflow") -> dict:
    if kind == "CronWorkflow":
        spec = {"schedule": "0 6 * * *", "workflowSpec": spec}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": {"name": "w", "namespace": "ns"},
            "spec": spec}


POD_SPEC = {
    "entrypoint": "run",
    "imagePullSecrets": [{"name": "registry"}],
    "volumes": [
        {"name": "home", "persistentVolumeClaim": {"claimName": "claim-ana"}},
        {"name": "creds", "secret": {"secretName": "aws", "items": [{"key": "config", "path": "config"}]}},
        {"name": "maybe", "secret": {"secretName": "optional-one", "optional": True}},
    ],
    "templates": [
        {"name": "run", "container": {
            "image": "img:1",
            "env": [
                {"name": "DB", "valueFrom": {"secretKeyRef": {"name": "scheduler-db", "key": "url"}}},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "job-secret", "key": "t", "optional": True}}},
                {"name": "PLAIN", "value": "x"},
            ],
            "envFrom": [{"secretRef": {"name": "team-env"}}],
            "resources": {"requests": {"cpu": "1"}, "limits": {"memory": "2Gi", "nvidia.com/gpu": "1"}},
        }},
        {"name": "record-failure", "container": {"image": "img:1"}},
    ],
}


@pytest.mark.parametrize("kind", ["Workflow", "CronWorkflow"], ids=["workflow", "cron-workflow"])
def test_references_are_what_the_pod_needs_without_optional_ones(kind):
    # GIVEN a manifest whose pod references Secrets and a claim, some optionally
    manifest = _workflow(POD_SPEC, kind)
    # WHEN its references are collected
    found = references(manifest)
    # THEN the required Secrets (with the keys read), the claim and where each is used are there
    assert found.secrets == {"registry": set(), "aws": {"config"}, "scheduler-db": {"url"}, "team-env": set()}
    assert found.claims == {"claim-ana"}
    assert found.where["secret/scheduler-db"] == ["template run env DB"]
    # AND the entrypoint's resources are the pod's
    assert main_resources(manifest) == POD_SPEC["templates"][0]["container"]["resources"]


def _quota(name: str, hard: dict, used: dict | None = None, **spec) -> dict:
    return {"metadata": {"name": name}, "spec": {"hard": hard, **spec}, "status": {"hard": hard, "used": used or {}}}


RESOURCES = {"requests": {"cpu": "1500m", "memory": "3Gi"}, "limits": {"memory": "4Gi", "nvidia.com/gpu": "2"}}


@pytest.mark.parametrize(
    "quota, short",
    [
        (_quota("team", {"requests.cpu": "4", "limits.memory": "8Gi", "requests.nvidia.com/gpu": "4", "pods": "10"},
                {"requests.cpu": "2", "limits.memory": "4Gi", "requests.nvidia.com/gpu": "2", "pods": "3"}), []),
        (_quota("team", {"requests.cpu": "2"}, {"requests.cpu": "1"}),
         ["requests.cpu: the job needs 1500m but ResourceQuota team has 1 left (1 used of 2), short by 500m"]),
        (_quota("team", {"cpu": "2"}, {"cpu": "1"}), ["cpu: the job needs 1500m"]),
        (_quota("team", {"limits.memory": "8Gi"}, {"limits.memory": "6Gi"}),
         ["limits.memory: the job needs 4Gi but ResourceQuota team has 2Gi left (6Gi used of 8Gi), short by 2Gi"]),
        (_quota("team", {"requests.memory": "4Gi"}, {"requests.memory": "3584Mi"}),
         ["requests.memory: the job needs 3Gi but ResourceQuota team has 512Mi left (3584Mi used of 4Gi), short by 2560Mi"]),
        (_quota("gpus", {"requests.nvidia.com/gpu": "2"}, {"requests.nvidia.com/gpu": "1"}),
         ["requests.nvidia.com/gpu: the job needs 2 but ResourceQuota gpus has 1 left (1 used of 2), short by 1"]),
        (_quota("pods", {"pods": "5"}, {"pods": "5"}), ["pods: the job needs 1 but ResourceQuota pods has 0 left"]),
        (_quota("fresh", {"requests.cpu": "1"}), ["requests.cpu: the job needs 1500m but ResourceQuota fresh has 1 left (0 used of 1)"]),
    ],
    ids=["fits", "cpu", "cpu-bare-name", "memory-limit", "memory-request", "gpu", "pod-count", "no-usage-yet"],
)
def test_quota_fit_is_hard_minus_used_and_says_by_how_much(quota, short):
    # GIVEN a pod asking for 1.5 cpu, 3Gi (limit 4Gi) and 2 GPUs, and a namespace quota
    usage = pod_usage(RESOURCES)
    # WHEN it is held against the quota
    found, unchecked = quota_shortfalls([quota], usage)
    # THEN each resource that does not fit is named with what is left and the shortfall
    assert len(found) == len(short) and all(f.startswith(s) for f, s in zip(found, short)), found
    assert unchecked == []


def test_a_missing_request_counts_as_its_limit_and_scoped_quotas_are_not_judged():
    # GIVEN a pod with limits only, and a scoped quota it would not fit
    usage = pod_usage({"limits": {"cpu": "2", "memory": "1Gi"}})
    assert usage["requests.cpu"] == usage["limits.cpu"] == 2
    scoped = _quota("best-effort", {"pods": "0"}, scopes=["BestEffort"])
    # WHEN held against it THEN it is reported as not checked, not as a failure
    assert quota_shortfalls([scoped], usage) == ([], ["best-effort"])


def test_schema_check_passes_a_valid_manifest_and_names_what_argo_refuses():
    # GIVEN a valid manifest THEN the schema check passes
    assert schema_check(_workflow(POD_SPEC)).status == OK
    # GIVEN one whose container has no image and a port that is not an integer
    spec = json.loads(json.dumps(POD_SPEC))
    del spec["templates"][0]["container"]["image"]
    spec["templates"][0]["container"]["ports"] = [{"containerPort": "http"}]
    check = schema_check(_workflow(spec, "CronWorkflow"))
    # THEN it fails naming each place
    assert check.status == FAILED
    assert "spec.workflowSpec.templates[0].container: 'image' is a required property" in check.message
    assert "spec.workflowSpec.templates[0].container.ports[0].containerPort: 'http' is not of type 'integer'" in check.message


def test_schema_check_accepts_integers_where_argo_takes_int_or_string():
    # GIVEN a retry limit as an integer (IntOrString, a string in schema.json)
    spec = json.loads(json.dumps(POD_SPEC))
    spec["templates"][0]["retryStrategy"] = {"limit": 2}
    # THEN Argo's reading of IntOrString is applied
    assert schema_check(_workflow(spec)).status == OK
