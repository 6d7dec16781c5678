"""The chosen environment and compute type in rendered manifests: schema-valid, golden, before the mutators."""

from __future__ import annotations

import json

import pytest
import yaml
from environment_helpers import COMPUTE_TYPES, IMAGES, TOKEN
from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition

from argo_scheduler.environments.compute import parse_compute_type
from argo_scheduler.environments.images import image_environment
from argo_scheduler.environments.shape import shape_context
from argo_scheduler.pod import main_container
from argo_scheduler.workflow import BuildContext, build_workflow, to_manifest

JOB_ID = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
DEFINITION_ID = "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b"
CONTEXT = BuildContext(
    staging_path="/home/jovyan/.local/share/jupyter/scheduler_staging_area",
    image="quay.io/jupyter/scipy-notebook:2026-11-01",
    db_url="sqlite:////home/jovyan/.local/share/jupyter/scheduler.sqlite",
    owner="jovyan",
    namespace="jupyter",
)


def make_job(**overrides) -> DescribeJob:
    fields = dict(
        job_id=JOB_ID, name="train", input_filename="train.ipynb", runtime_environment_name="torch-gpu",
        compute_type="gpu-1", url=f"/jobs/{JOB_ID}", create_time=1767225600000, update_time=1767225600000,
        output_formats=["ipynb"],
    )
    return DescribeJob(**{**fields, **overrides})


def make_definition(**overrides) -> DescribeJobDefinition:
    fields = dict(
        job_definition_id=DEFINITION_ID, name="nightly training", input_filename="train.ipynb",
        runtime_environment_name="torch-gpu", create_time=1767225600000, update_time=1767225600000,
        active=True, schedule="0 2 * * *", timezone="UTC", output_formats=["ipynb"],
    )
    return DescribeJobDefinition(**{**fields, **overrides})


def run_template(manifest: dict) -> dict:
    spec = manifest["spec"].get("workflowSpec", manifest["spec"])
    return next(t for t in spec["templates"] if t["name"] == "run")


def workflow_spec(manifest: dict) -> dict:
    return manifest["spec"].get("workflowSpec", manifest["spec"])


def test_an_image_environment_with_a_gpu_compute_type_renders_golden_and_valid(golden, argo_schema_validator):
    # GIVEN the torch-gpu image environment and the gpu-1 compute type
    context = shape_context(
        CONTEXT, image_environment("torch-gpu", IMAGES["torch-gpu"]), parse_compute_type("gpu-1", COMPUTE_TYPES["gpu-1"])
    )
    # WHEN a job is rendered
    manifest = to_manifest(build_workflow(make_job(), context))
    # THEN Argo's schema accepts it and it matches the reviewed golden file
    argo_schema_validator(manifest)
    golden("job-compute-gpu.yaml", yaml.safe_dump(manifest, sort_keys=True))
    # AND the pod runs the environment's image, with its pull secret, working dir and env
    container = run_template(manifest)["container"]
    assert container["image"] == IMAGES["torch-gpu"]["image"]
    assert container["workingDir"] == "/home/jovyan/work"
    assert {"name": "TORCH_HOME", "value": "/home/jovyan/.torch"} in container["env"]
    assert manifest["spec"]["imagePullSecrets"] == [{"name": "registry-creds"}]
    # AND the compute type's resources, GPU, node selector and toleration
    assert container["resources"] == {"requests": {"cpu": "4"}, "limits": {"memory": "16Gi", "nvidia.com/gpu": "1"}}
    assert manifest["spec"]["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}
    assert manifest["spec"]["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    # AND the runtime starts the environment's kernel
    spec = json.loads(manifest["spec"]["arguments"]["parameters"][0]["value"])
    assert (spec["kernel_name"], spec["compute_type"]) == ("python3", "gpu-1")


def test_without_environment_share_the_manifest_is_the_plain_one():
    # GIVEN an environment that brings nothing but a name, and no compute type
    plain = image_environment("same", {"image": CONTEXT.image})
    # WHEN shaped and rendered
    shaped = to_manifest(build_workflow(make_job(runtime_environment_name="same", compute_type=None),
                                        shape_context(CONTEXT, plain, None)))
    # THEN it is exactly what the builder renders unshaped
    assert shaped == to_manifest(build_workflow(make_job(runtime_environment_name="same", compute_type=None), CONTEXT))


def test_mutators_see_the_compute_types_pod_and_may_adjust_it():
    # GIVEN a pod mutation that records what it sees and raises the memory limit
    seen = {}

    def mutate(pod, spec):
        resources = main_container(pod).resources
        seen["limits"] = dict(resources.limits)
        seen["node_selector"] = dict(pod.spec.node_selector)
        resources.limits["memory"] = "32Gi"

    context = BuildContext(**{**CONTEXT.__dict__, "pod_mutations": [mutate]})
    context = shape_context(
        context, image_environment("torch-gpu", IMAGES["torch-gpu"]), parse_compute_type("gpu-1", COMPUTE_TYPES["gpu-1"])
    )
    # WHEN rendered
    manifest = to_manifest(build_workflow(make_job(), context))
    # THEN the mutator ran after the compute type, and its change stands
    assert seen == {"limits": {"memory": "16Gi", "nvidia.com/gpu": "1"},
                    "node_selector": {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}}
    assert run_template(manifest)["container"]["resources"]["limits"]["memory"] == "32Gi"


@pytest.mark.parametrize(
    "environment, compute_type, image, kernel, limits, node_selector",
    [
        ("torch-gpu", None, IMAGES["torch-gpu"]["image"], "python3",
         {"memory": "16Gi", "nvidia.com/gpu": "1"}, {"cloud.google.com/gke-accelerator": "nvidia-tesla-t4"}),
        ("torch-gpu", "gpu-4", IMAGES["torch-gpu"]["image"], "python3", {"memory": "64Gi", "amd.com/gpu": "4"}, None),
        ("plain", "small", IMAGES["plain"]["image"], None, {"cpu": "1", "memory": "2Gi"}, None),
        ("python3", None, "img:1", "python3", {"cpu": "1", "memory": "2Gi"}, None),
        ("nebari-git/nebari-git-dask", "small", "img:1", "conda-env-nebari-git-nebari-git-dask-py",
         {"cpu": "1", "memory": "2Gi"}, None),
    ],
    ids=["image-default-compute", "image-other-gpu-resource", "image-notebook-kernel", "kernelspec-first-compute",
         "conda-store-scheduler-image"],
)
@pytest.mark.parametrize("kind", ["job", "definition"], ids=["workflow", "cron-workflow"])
def test_the_scheduler_renders_each_environment_and_compute_type(
    make_scheduler, conda_store, monkeypatch, argo_schema_validator,
    kind, environment, compute_type, image, kernel, limits, node_selector,
):
    # GIVEN a scheduler offering images, a conda-store environment and the local kernels
    monkeypatch.setenv("CONDA_STORE_TOKEN", TOKEN)
    conda_store.add("nebari-git", "nebari-git-dask")
    scheduler = make_scheduler(images=IMAGES, compute_types=COMPUTE_TYPES, conda_store_url=conda_store.url)
    # WHEN a job or a definition in that environment is rendered
    if kind == "job":
        manifest = scheduler.render_job(make_job(runtime_environment_name=environment, compute_type=compute_type))
    else:
        manifest = scheduler.render_definition(
            make_definition(runtime_environment_name=environment, compute_type=compute_type)
        )
    # THEN Argo's schema accepts it
    argo_schema_validator(manifest)
    # AND the environment chose the image and kernel, the compute type the resources
    container = run_template(manifest)["container"]
    assert container["image"] == image
    assert container["resources"]["limits"] == limits
    assert workflow_spec(manifest).get("nodeSelector") == node_selector
    spec = json.loads(workflow_spec(manifest)["arguments"]["parameters"][0]["value"])
    assert spec["kernel_name"] == kernel


def test_the_failure_recorder_does_not_ask_for_the_notebooks_gpus():
    # GIVEN a GPU compute type
    context = shape_context(
        CONTEXT, image_environment("torch-gpu", IMAGES["torch-gpu"]), parse_compute_type("gpu-1", COMPUTE_TYPES["gpu-1"])
    )
    manifest = to_manifest(build_workflow(make_job(), context))
    templates = {t["name"]: t for t in workflow_spec(manifest)["templates"]}
    # THEN only the run pod requests them; the exit handler's pod only writes a record
    assert "resources" in templates["run"]["container"]
    assert "resources" not in templates["record-failure"]["container"]
    assert templates["record-failure"]["container"]["image"] == templates["run"]["container"]["image"]
