"""Config reaches ArgoEnvironmentManager inside a real Jupyter server, though jupyter-scheduler builds it bare."""

from __future__ import annotations

import json
import shutil

import pytest
from environment_helpers import COMPUTE_TYPES, IMAGES, TOKEN
from support.samples import NOTEBOOKS

# The server's local engine starts a detached cron agent.
pytestmark = pytest.mark.usefixtures("no_agent_left_behind")


@pytest.fixture
def jp_server_config(conda_store, jp_data_dir):
    conda_store.add("nebari-git", "nebari-git-dask")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_scheduler": True}},
        "SchedulerApp": {
            "scheduler_class": "argo_scheduler.ArgoScheduler",
            "environment_manager_class": "argo_scheduler.environments.ArgoEnvironmentManager",
        },
        "ArgoScheduler": {"engine": "local"},
        "ArgoEnvironmentManager": {
            "images": IMAGES,
            "compute_types": COMPUTE_TYPES,
            "conda_store_url": conda_store.url,
            "conda_store_namespaces": ["nebari-git"],
        },
    }


async def get(jp_fetch, *path: str):
    response = await jp_fetch("scheduler", *path, method="GET")
    return json.loads(response.body.decode())


async def test_the_ui_lists_the_configured_environments_and_compute_types(jp_fetch, monkeypatch):
    # GIVEN a server configured with images, compute types and a conda-store
    monkeypatch.setenv("CONDA_STORE_TOKEN", TOKEN)
    # WHEN the UI asks for the environments
    environments = {e["name"]: e for e in await get(jp_fetch, "runtime_environments")}
    # THEN every source is there, with the compute types the config gave
    assert list(environments)[:3] == ["torch-gpu", "plain", "nebari-git/nebari-git-dask"]
    assert "python3" in environments
    torch = environments["torch-gpu"]
    assert (torch["compute_types"], torch["default_compute_type"]) == (["gpu-1", "gpu-4"], "gpu-1")
    # AND every label is its name (the UI's picker submits the label and looks
    # environments up by name); the display label, image, kernel and compute
    # types are in the description the picker shows as the item's tooltip
    assert all(e["label"] == name for name, e in environments.items())
    assert torch["description"] == (
        "PyTorch (GPU) · PyTorch 2.9 with CUDA · image registry.example.com/ml/torch:2026.11 · kernel python3"
        " · compute: gpu-1 (cpu 4, memory 16Gi, 1 GPU); gpu-4 (cpu 16, memory 64Gi, 4 GPU (amd.com/gpu))"
    )
    assert torch["metadata"]["label"] == "PyTorch (GPU)"
    # AND each offers ipynb and html only, labelled for the form's checkboxes
    assert {name: [f["name"] for f in e["output_formats"]] for name, e in environments.items()} == {
        name: ["ipynb", "html"] for name in environments
    }
    assert torch["output_formats"] == [{"name": "ipynb", "label": "Notebook"}, {"name": "html", "label": "HTML"}]
    assert environments["nebari-git/nebari-git-dask"]["metadata"]["kernel_name"] == "conda-env-nebari-git-nebari-git-dask-py"


async def test_a_job_in_an_unknown_environment_gets_a_clear_error(jp_fetch, jp_root_dir, monkeypatch):
    monkeypatch.chdir(jp_root_dir)
    shutil.copy(NOTEBOOKS / "parameters.ipynb", jp_root_dir / "parameters.ipynb")
    # WHEN the UI submits a job whose environment is not offered
    body = {"name": "r", "input_uri": "parameters.ipynb", "runtime_environment_name": "torch-cpu",
            "output_formats": ["ipynb"]}
    response = await jp_fetch("scheduler", "jobs", method="POST", body=json.dumps(body), raise_error=False)
    # THEN it is refused with the environments that exist, and no job is recorded
    assert response.code >= 400
    assert "environment 'torch-cpu' does not exist (any more); available: torch-gpu, plain" in response.body.decode()
    assert (await get(jp_fetch, "jobs"))["total_count"] == 0
