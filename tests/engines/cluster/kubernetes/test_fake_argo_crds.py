"""The fake API server's contract check has teeth: what Argo's CRDs refuse, it refuses, as Kubernetes answers."""

from __future__ import annotations

import json

import pytest
import urllib3
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest
from support.k8s_helpers import CRDS, TOKEN


def _send(fake, method: str, path: str, body=None, token: str | None = TOKEN, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = urllib3.request(method, fake.url + path, body=json.dumps(body) if body is not None else None,
                               headers=headers, timeout=10, retries=False)
    return response.status, response.json()


def _with(manifest: dict, path: list, value) -> dict:
    node = manifest
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return manifest


INVALID = {
    "unknown-spec-field": (["spec", "entrypointt"], "main", 400, 'unknown field "spec.entrypointt"'),
    "unknown-container-field": (["spec", "templates", 0, "container", "imagee"], "x", 400,
                                'unknown field "spec.templates[0].container.imagee"'),
    "templates-not-a-list": (["spec", "templates"], {"name": "main"}, 422, "spec.templates: Invalid value"),
    "parallelism-a-string": (["spec", "parallelism"], "two", 422, "spec.parallelism: Invalid value"),
    "label-value-too-long": (["metadata", "labels", "argo-scheduler/owner"], "x" * 64, 422, "metadata.labels"),
    "name-with-uppercase": (["metadata", "name"], "Report-1", 422, "metadata.name"),
}


@pytest.mark.parametrize("path, value, status, expected", INVALID.values(), ids=INVALID.keys())
def test_objects_argos_crd_refuses_are_refused(fake, path, value, status, expected):
    # GIVEN a builder's workflow broken in one place
    manifest = _with(workflow_manifest(), path, value)
    # WHEN it is created THEN the fake answers as the API server does, with a Status naming the field
    code, answer = _send(fake, "POST", f"{CRDS}/workflows?fieldValidation=Strict", manifest)
    assert (code, answer["kind"], answer["code"]) == (status, "Status", status)
    assert expected in answer["message"]
    assert fake.workflows == {}


ACCEPTED = {
    "int-or-string-as-integer": (["spec", "templates", 0, "retryStrategy"], {"limit": 2}),
    "int-or-string-as-string": (["spec", "templates", 0, "retryStrategy"], {"limit": "2"}),
    "preserve-unknown-fields": (["spec", "templates", 0, "plugin"], {"any": {"thing": [1]}}),
}


@pytest.mark.parametrize("path, value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_what_the_crd_allows_is_accepted(fake, path, value):
    # GIVEN a field the CRD types as int-or-string, or leaves free (x-kubernetes-preserve-unknown-fields)
    manifest = _with(workflow_manifest(), path, value)
    # WHEN it is created THEN it is stored
    code, answer = _send(fake, "POST", f"{CRDS}/workflows", manifest)
    assert code == 201, answer
    assert answer["metadata"]["uid"] and answer["metadata"]["resourceVersion"]


def test_a_token_is_required(fake):
    # GIVEN no Authorization header WHEN anything is asked THEN 401 Unauthorized, as a Status
    code, answer = _send(fake, "GET", f"{CRDS}/workflows", token=None)
    assert (code, answer["reason"]) == (401, "Unauthorized")


def test_patch_must_be_a_merge_patch_and_its_result_valid(fake):
    # GIVEN a stored CronWorkflow
    cron = fake.put_cron(NAMESPACE, cron_manifest())
    path = f"{CRDS}/cronworkflows/{cron['metadata']['name']}"
    # WHEN patched as plain JSON THEN 415; WHEN merge-patched into something invalid THEN 422
    assert _send(fake, "PATCH", path, {"spec": {"suspend": True}})[0] == 415
    code, answer = _send(fake, "PATCH", path, {"spec": {"suspend": "yes"}}, content_type="application/merge-patch+json")
    assert (code, answer["reason"]) == (422, "Invalid")
    # AND a valid merge patch applies, null removing a key
    code, answer = _send(fake, "PATCH", path, {"spec": {"suspend": True, "timezone": None}},
                         content_type="application/merge-patch+json")
    assert code == 200 and answer["spec"]["suspend"] is True and "timezone" not in answer["spec"]


def test_replace_needs_the_current_resource_version(fake):
    # GIVEN a stored CronWorkflow
    cron = fake.put_cron(NAMESPACE, cron_manifest())
    path = f"{CRDS}/cronworkflows/{cron['metadata']['name']}"
    # WHEN replaced without a resourceVersion THEN 422; with a stale one THEN 409 Conflict
    del cron["metadata"]["resourceVersion"]
    assert _send(fake, "PUT", path, cron)[0] == 422
    cron["metadata"]["resourceVersion"] = "1"
    code, answer = _send(fake, "PUT", path, cron)
    assert (code, answer["reason"]) == (409, "Conflict")
