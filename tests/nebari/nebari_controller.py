"""What stands between our manifests and the Nebari workflow controller's own code.

The controller (nebari-workflow-controller 2023.7.1, installed by dev.py)
receives AdmissionReviews from kube-apiserver. Here they are built as
kube-apiserver sends them for a CREATE that came through Argo Server (the
labels Argo Server sets, the managedFields entry of its field manager), and
for the runs Argo's cron controller creates from a stored CronWorkflow. The
controller's answers are applied as kube-apiserver applies them (its JSON
patch), and the result is checked the way Argo and Kubernetes would.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import uuid

import jsonpatch

NAMESPACE = "dev"
KEYCLOAK_UID = "2d0d7a8e-5c1b-4b8e-9a43-0f1e7c9d1a22"
USERNAME = "ana.perez@example.com"
SERVICE_ACCOUNT = f"system:serviceaccount:{NAMESPACE}:argo-developer"
CREATOR_LABEL = "workflows.argoproj.io/creator"
CREATOR_EMAIL_LABEL = "workflows.argoproj.io/creator-email"
PREFERRED_LABEL = "workflows.argoproj.io/creator-preferred-username"
CRON_WORKFLOW_LABEL = "workflows.argoproj.io/cron-workflow"
SCHEDULED_TIME_ANNOTATION = "workflows.argoproj.io/scheduled-time"
# The creator labels Argo's cron controller copies from a CronWorkflow onto
# each run since v3.6 (workflow/common/convert.go, labelsToPropagate).
PROPAGATED_LABELS = (CREATOR_LABEL, CREATOR_EMAIL_LABEL, PREFERRED_LABEL)
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


# How KubeSpawner before 7 (and its "escape" slug scheme) labels the pod, which the controller searches for.
ESCAPED_USERNAME = "ana-2eperez-40example-2ecom"
# How KubeSpawner 7's default "safe" slug scheme labels it.
SAFE_USERNAME = "ana-perez-example-com---3c6c5c25"


def jupyterlab_pod(username_label: str = ESCAPED_USERNAME) -> dict:
    """A Nebari JupyterLab pod as the API returns it: shared storage by sub path, conda-store envs, init containers."""
    home = f"home/{USERNAME}"
    return {
        "metadata": {
            "name": "jupyter-ana-2eperez-40example-2ecom",
            "namespace": NAMESPACE,
            "labels": {"app": "jupyterhub", "component": "singleuser-server",
                       "hub.jupyter.org/username": username_label, "hub.jupyter.org/servername": ""},
        },
        "spec": {
            "initContainers": [
                {"name": "initialize-home-mount", "image": "busybox:1.36",
                 "command": ["sh", "-c", "mkdir -p /mnt/home && chmod 700 /mnt/home"],
                 "volumeMounts": [{"name": "home", "mountPath": "/mnt/home", "subPath": home}]},
                {"name": "initialize-shared-mounts", "image": "busybox:1.36",
                 "command": ["sh", "-c", "mkdir -p /mnt/shared/analyst"],
                 "volumeMounts": [{"name": "home", "mountPath": "/mnt/shared/analyst", "subPath": "shared/analyst"}]},
                {"name": "initialize-conda-store-mounts", "image": "busybox:1.36",
                 "command": ["sh", "-c", "mkdir -p /mnt/ana"],
                 "volumeMounts": [{"name": "conda-store", "mountPath": "/mnt/ana", "subPath": USERNAME}]},
            ],
            "containers": [{
                "name": "notebook",
                "image": "quay.io/nebari/nebari-jupyterlab:2024.7.1",
                "env": [{"name": "JUPYTERHUB_USER", "value": USERNAME},
                        {"name": "PREFERRED_USERNAME", "value": USERNAME},
                        {"name": "ARGO_SERVER", "value": "argo-server.dev.svc:2746"},
                        {"name": "ARGO_NAMESPACE", "value": NAMESPACE},
                        {"name": "CONDA_STORE_SERVICE", "value": "nebari-conda-store-server.dev.svc:5000"},
                        {"name": "SHELL", "value": "/bin/bash"},
                        {"name": "MEM_LIMIT", "value": "8589934592"},
                        {"name": "ARGO_TOKEN", "valueFrom": {"secretKeyRef": {"name": "argo-developer.service-account-token",
                                                                               "key": "token"}}}],
                "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}},
                "securityContext": {"runAsUser": 1000, "runAsGroup": 100},
                "volumeMounts": [
                    {"name": "home", "mountPath": f"/home/{USERNAME}", "subPath": home},
                    {"name": "home", "mountPath": "/shared/analyst", "subPath": "shared/analyst"},
                    {"name": "conda-store", "mountPath": f"/home/conda/{USERNAME}", "subPath": USERNAME},
                    {"name": "conda-store", "mountPath": "/home/conda/nebari-git", "subPath": "nebari-git"},
                    {"name": "conda-store", "mountPath": "/home/conda/global", "subPath": "global"},
                    {"name": "etc-jupyter", "mountPath": "/etc/jupyter"},
                    {"name": "dshm", "mountPath": "/dev/shm"},
                    {"name": "kube-api-access-7xk2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                     "readOnly": True},
                ],
                "workingDir": f"/home/{USERNAME}",
            }],
            "securityContext": {"fsGroup": 100},
            "nodeSelector": {"eks.amazonaws.com/nodegroup": "user"},
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}],
            "volumes": [
                {"name": "home", "persistentVolumeClaim": {"claimName": f"jupyterhub-{NAMESPACE}-share"}},
                {"name": "conda-store", "persistentVolumeClaim": {"claimName": f"conda-store-{NAMESPACE}-share"}},
                {"name": "etc-jupyter", "configMap": {"name": "etc-jupyter"}},
                {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                {"name": "kube-api-access-7xk2p", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}}]}},
            ],
        },
        "status": {"phase": "Running", "startTime": "2026-01-01T08:00:00Z"},
    }


def dns_friendly(value: str) -> str:
    """Argo Server's server/creator dnsFriendly: a claim made a label value."""
    value = re.sub(r"[^-_.a-zA-Z0-9]", "-", value)[-63:]
    value = re.sub(r"^[^a-zA-Z0-9]*", "", value)
    return re.sub(r"[^a-zA-Z0-9]*$", "", value)


def argo_server_creates(manifest: dict, token: str, drops_missing_claims: bool = False) -> dict:
    """The object Argo Server asks kube-apiserver to create for `manifest`.

    token "sso": a Keycloak user's token (subject = Keycloak uid, email and
    preferred_username claims); "service-account": Nebari's shared token (a
    subject, no other claim). Argo Server labels the creator from the claims;
    newer versions (server/creator.Label) also remove a label whose claim is
    missing (`drops_missing_claims`), older ones leave ours in place.
    """
    obj = copy.deepcopy(manifest)
    obj["metadata"]["namespace"] = NAMESPACE
    labels = obj["metadata"].setdefault("labels", {})
    if token == "sso":
        claims = {CREATOR_LABEL: KEYCLOAK_UID, CREATOR_EMAIL_LABEL: USERNAME.replace("@", ".at."),
                  PREFERRED_LABEL: USERNAME}
    else:
        claims = {CREATOR_LABEL: SERVICE_ACCOUNT, CREATOR_EMAIL_LABEL: "", PREFERRED_LABEL: ""}
    for key, claim in claims.items():
        if claim:
            labels[key] = dns_friendly(claim)
        elif drops_missing_claims:
            labels.pop(key, None)
    return _stored(obj, manager="argo")


def cron_controller_runs(cron_workflow: dict, scheduled: int = 1767258000, propagates_creator: bool = True) -> dict:
    """The Workflow Argo's cron controller creates from a stored CronWorkflow.

    As workflow/common/convert.go builds it: the creator labels copied from
    the CronWorkflow (v3.6 and later), the cron-workflow label, then
    spec.workflowMetadata's labels and annotations, the stored workflowSpec
    as it is, and a controller reference to the CronWorkflow.
    """
    cron_labels = cron_workflow["metadata"].get("labels") or {}
    labels = {k: cron_labels[k] for k in PROPAGATED_LABELS if propagates_creator and k in cron_labels}
    labels[CRON_WORKFLOW_LABEL] = cron_workflow["metadata"]["name"]
    annotations = {SCHEDULED_TIME_ANNOTATION: "2026-01-01T09:00:00Z"}
    metadata = cron_workflow["spec"].get("workflowMetadata") or {}
    labels.update(metadata.get("labels") or {})
    annotations.update(metadata.get("annotations") or {})
    run = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": f"{cron_workflow['metadata']['name']}-{scheduled}",
            "namespace": NAMESPACE,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "argoproj.io/v1alpha1", "kind": "CronWorkflow",
                "name": cron_workflow["metadata"]["name"], "uid": cron_workflow["metadata"]["uid"],
                "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": copy.deepcopy(cron_workflow["spec"]["workflowSpec"]),
    }
    return _stored(run, manager="workflow-controller")


def _stored(obj: dict, manager: str) -> dict:
    """`obj` with what kube-apiserver adds before admission: uid, creation time, managedFields."""
    metadata = obj["metadata"]
    metadata.setdefault("uid", str(uuid.uuid4()))
    metadata.setdefault("creationTimestamp", "2026-01-01T09:00:00Z")
    fields = {"f:labels": {".": {}, **{f"f:{k}": {} for k in metadata.get("labels") or {}}}}
    if metadata.get("annotations"):
        fields["f:annotations"] = {".": {}, **{f"f:{k}": {} for k in metadata["annotations"]}}
    metadata["managedFields"] = [{
        "manager": manager, "operation": "Update", "apiVersion": "argoproj.io/v1alpha1",
        "time": "2026-01-01T09:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": fields, "f:spec": {f"f:{k}": {} for k in obj.get("spec") or {}}},
    }]
    return obj


def argo_server_updates(stored: dict, replacement: dict) -> dict:
    """The object kube-apiserver keeps after Argo Server PUTs `replacement` over `stored` (no webhook sees it)."""
    obj = copy.deepcopy(replacement)
    for key in ("uid", "creationTimestamp"):
        obj["metadata"][key] = stored["metadata"][key]
    obj["metadata"].pop("managedFields", None)
    return _stored(obj, manager="argo")


def admission_review(obj: dict) -> dict:
    """The AdmissionReview kube-apiserver sends a webhook for the CREATE of `obj`."""
    resource = {"Workflow": "workflows", "CronWorkflow": "cronworkflows"}[obj["kind"]]
    kind = {"group": "argoproj.io", "version": "v1alpha1", "kind": obj["kind"]}
    gvr = {"group": "argoproj.io", "version": "v1alpha1", "resource": resource}
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.uuid4()), "kind": kind, "resource": gvr, "requestKind": kind, "requestResource": gvr,
            "name": obj["metadata"]["name"], "namespace": NAMESPACE, "operation": "CREATE",
            "userInfo": {"username": f"system:serviceaccount:{NAMESPACE}:argo-server",
                         "groups": ["system:serviceaccounts", "system:authenticated"]},
            "object": copy.deepcopy(obj), "oldObject": None, "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


def answer(response: dict, review: dict) -> dict:
    """The `response` of an AdmissionReview answer, checked as kube-apiserver checks it."""
    assert response["apiVersion"] == review["apiVersion"] and response["kind"] == "AdmissionReview"
    assert response["response"]["uid"] == review["request"]["uid"]
    return response["response"]


def patched(obj: dict, response: dict) -> dict:
    """`obj` after kube-apiserver applies the webhook's JSONPatch (if any)."""
    if "patch" not in response:
        return copy.deepcopy(obj)
    assert response["patchType"] == "JSONPatch"
    operations = json.loads(base64.b64decode(response["patch"]))
    # The controller writes null for a field JupyterLab's pod lacks (lifecycle);
    # kube-apiserver prunes nulls of a CRD's non-nullable fields before storing.
    return _without_nulls(jsonpatch.apply_patch(obj, operations))


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def workflow_spec(obj: dict) -> dict:
    return obj["spec"]["workflowSpec"] if obj["kind"] == "CronWorkflow" else obj["spec"]


def pods(workflow: dict) -> dict[str, dict]:
    """The pod Argo would make of each container template: template name -> pod spec.

    As Argo's workflowpod.go assembles it: the workflow's and the template's
    volumes, the template's init containers, its container as `main` next to
    Argo's own `wait` sidecar, the template's and workflow's pod fields.
    """
    spec = workflow["spec"]
    out = {}
    for template in spec["templates"]:
        container = template.get("container")
        if container is None:
            continue
        out[template["name"]] = {
            "volumes": [*(spec.get("volumes") or []), *(template.get("volumes") or [])],
            "initContainers": template.get("initContainers") or [],
            "containers": [{**container, "name": "main"}, {"name": "wait", "image": "quay.io/argoproj/argoexec"}],
            "nodeSelector": {**(spec.get("nodeSelector") or {}), **(template.get("nodeSelector") or {})},
        }
    return out


def assert_kubernetes_accepts(pod: dict) -> None:
    """What Kubernetes' pod validation refuses about names, paths and resources (ValidatePodSpec)."""
    volumes = [v["name"] for v in pod["volumes"]]
    assert len(volumes) == len(set(volumes)), f"duplicate volume names: {volumes}"
    assert all(DNS_LABEL.match(v) for v in volumes), volumes
    containers = [c["name"] for c in pod["initContainers"] + pod["containers"]]
    assert len(containers) == len(set(containers)), f"duplicate container names: {containers}"
    for container in pod["initContainers"] + pod["containers"]:
        mounts = container.get("volumeMounts") or []
        paths = [m["mountPath"] for m in mounts]
        assert len(paths) == len(set(paths)), f"{container['name']}: duplicate mount paths: {paths}"
        assert {m["name"] for m in mounts} <= set(volumes), f"{container['name']} mounts a volume the pod lacks"
        # Kubernetes only warns about a repeated variable (the last wins); a repeat still means dressed twice.
        env = [e["name"] for e in container.get("env") or []]
        assert len(env) == len(set(env)), f"{container['name']}: env names repeat: {sorted(env)}"
        resources = container.get("resources") or {}
        for name, limit in (resources.get("limits") or {}).items():
            request = (resources.get("requests") or {}).get(name)
            assert request is None or _quantity(request) <= _quantity(limit), (
                f"{container['name']}: {name} request {request} exceeds its limit {limit}")


def _quantity(value) -> float:
    from kubernetes.utils import parse_quantity

    return float(parse_quantity(value))
