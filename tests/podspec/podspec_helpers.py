"""Jobs, build contexts and checks shared by the built-in mutators' tests."""

from __future__ import annotations

import copy
import re

from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition

from support.samples import DEFINITION_ID, JOB_ID, sample_definition, sample_job

from argo_scheduler.pod import PodContext, make_pod
from argo_scheduler.spec import RunSpec
from argo_scheduler.workflow import BuildContext, build_cron_workflow, build_workflow, to_manifest

STAGING = "/home/jovyan/.local/share/jupyter/scheduler_staging_area"
DB_URL = "sqlite:////home/jovyan/.local/share/jupyter/scheduler.sqlite"
OWNER = "ana.perez@example.com"
# The fake Kubernetes API's bearer token, and JupyterLab's namespace there.
TOKEN = "eyJhbGciOiJSUzI1NiJ9.fake-service-account-token"
LAB_NAMESPACE = "jhub"

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

# Owners whose names a Kubernetes name or a path cannot hold as typed.
HARD_OWNERS = ["jovyan", "ana.perez@example.com", "Zoë", "用户", "o'neil/../x", "a" * 80]
HARD_OWNER_IDS = ["plain", "email", "unicode", "cjk", "slash-dots", "long"]


def context(owner: str | None = OWNER, mutators=(), **overrides) -> BuildContext:
    fields = dict(
        staging_path=STAGING,
        image="quay.io/jupyter/scipy-notebook:2026-11-01",
        db_url=DB_URL,
        owner=owner,
        namespace="jhub",
        pod_mutations=[m.mutate for m in mutators],
        run_only_labels=frozenset().union(*(m.run_only_labels for m in mutators)),
    )
    return BuildContext(**{**fields, **overrides})


def make_job(**overrides) -> DescribeJob:
    return sample_job(**overrides)


def make_definition(**overrides) -> DescribeJobDefinition:
    return sample_definition(**{"output_formats": ["ipynb"], **overrides})


def run_spec(owner: str | None = OWNER) -> RunSpec:
    return RunSpec(
        name="hello",
        input_filename="hello.ipynb",
        input_path=f"{STAGING}/{JOB_ID}/hello.ipynb",
        staging_path=STAGING,
        job_id=JOB_ID,
        owner=owner,
        db_url=DB_URL,
    )


def job_pod(**pod_context):
    """The pod the builder gives mutators: one `main` container, the builder's labels."""
    fields = dict(image="img:1", labels={"app.kubernetes.io/managed-by": "argo-scheduler"})
    return make_pod(PodContext(**{**fields, **pod_context}))


def mutated(mutators, owner: str | None = OWNER, times: int = 1, pod=None):
    pod = pod if pod is not None else job_pod()
    for _ in range(times):
        for mutator in mutators:
            mutator.mutate(pod, run_spec(owner))
    return pod


def render(mutators, owner: str | None = OWNER, cron: bool = False) -> dict:
    build = context(owner, mutators)
    if cron:
        return to_manifest(build_cron_workflow(make_definition(), build))
    return to_manifest(build_workflow(make_job(), build))


def workflow_spec(manifest: dict) -> dict:
    return manifest["spec"].get("workflowSpec", manifest["spec"])


def run_container(manifest: dict) -> dict:
    [run] = [t for t in workflow_spec(manifest)["templates"] if t["name"] == "run"]
    return run["container"]


def assert_kubernetes_would_accept(manifest: dict) -> None:
    """What Argo's schema cannot see but Kubernetes refuses: clashing names and paths, dangling mounts."""
    spec = workflow_spec(manifest)
    volumes = [v["name"] for v in spec.get("volumes", [])]
    assert len(volumes) == len(set(volumes)), f"volume names repeat: {volumes}"
    assert all(DNS_LABEL.match(v) for v in volumes), volumes
    for template in spec["templates"]:
        container = template.get("container")
        if not container:
            continue
        mounts = container.get("volumeMounts", [])
        paths = [m["mountPath"] for m in mounts]
        assert len(paths) == len(set(paths)), f"mount paths repeat: {paths}"
        assert {m["name"] for m in mounts} <= set(volumes), "a mount names a volume the pod lacks"
        env = [e["name"] for e in container.get("env", [])]
        assert len(env) == len(set(env)), f"env names repeat: {env}"
    mounted = {m["name"] for m in run_container(manifest).get("volumeMounts", [])}
    assert set(volumes) <= mounted, f"volumes nothing mounts: {set(volumes) - mounted}"
    for key, value in (manifest["metadata"].get("labels") or {}).items():
        assert LABEL_VALUE.match(value) and len(value) <= 63, (key, value)


def pod_dict(pod) -> dict:
    return copy.deepcopy(pod.to_dict())
