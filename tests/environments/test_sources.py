"""Each environment source, their combination, and the cache in front of conda-store."""

from __future__ import annotations

import logging

import pytest
from traitlets import TraitError

from environment_helpers import COMPUTE_TYPES, IMAGES, TOKEN


def by_name(manager) -> dict:
    return {e.name: e for e in manager.list_environments()}


def test_images_become_environments_with_their_compute_types(make_manager):
    # GIVEN two images, one with its own compute types and default
    manager = make_manager(images=IMAGES, compute_types=COMPUTE_TYPES, include_kernelspecs=False)
    # WHEN the UI lists the environments
    listed = by_name(manager)
    # THEN each image is one entry whose description starts with its label and description
    assert list(listed) == ["torch-gpu", "plain"]
    torch = listed["torch-gpu"]
    assert (torch.label, torch.description.split(" · ")[:2]) == ("torch-gpu", ["PyTorch (GPU)", "PyTorch 2.9 with CUDA"])
    assert torch.metadata == {
        "source": "image", "label": "PyTorch (GPU)", "image": IMAGES["torch-gpu"]["image"], "kernel_name": "python3",
    }
    # AND the compute type field offers the image's list, preselecting its default
    assert (torch.compute_types, torch.default_compute_type) == (["gpu-1", "gpu-4"], "gpu-1")
    # AND an image naming none offers them all, the first preselected
    assert (listed["plain"].compute_types, listed["plain"].default_compute_type) == (list(COMPUTE_TYPES), "small")
    assert listed["plain"].label == "plain" and "scipy-notebook" in listed["plain"].description


def test_conda_store_environments_are_listed_page_by_page_with_the_token(make_manager, conda_store, tmp_path):
    # GIVEN conda-store with 150 built environments in two namespaces, one unbuilt, over two pages
    for i in range(148):
        conda_store.add("analyst", f"env-{i:03d}")
    conda_store.add("nebari-git", "nebari-git-dask", description="Dask and friends")
    conda_store.add("nebari-git", "broken", built=False)
    conda_store.add("other", "private")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    manager = make_manager(conda_store_url=conda_store.url, conda_store_token_file=str(token_file),
                           conda_store_namespaces=["analyst", "nebari-git"], include_kernelspecs=False,
                           conda_store_image="quay.io/nebari/nebari-jupyterlab:2024.11.1")
    # WHEN the UI lists the environments
    listed = by_name(manager)
    # THEN every built environment of the chosen namespaces is there, named namespace/name
    assert len(listed) == 149 and "other/private" not in listed and "nebari-git/broken" not in listed
    dask = listed["nebari-git/nebari-git-dask"]
    assert dask.description == (
        "Dask and friends · image quay.io/nebari/nebari-jupyterlab:2024.11.1 · kernel conda-env-nebari-git-nebari-git-dask-py"
    )
    # AND its metadata says where the pod sees it and which kernel runs it
    assert dask.metadata == {
        "source": "conda-store", "label": "nebari-git/nebari-git-dask", "conda_env_path": "/home/conda/nebari-git/envs/nebari-git-dask",
        "kernel_name": "conda-env-nebari-git-nebari-git-dask-py",
    }
    environment = manager.find("nebari-git/nebari-git-dask")
    assert environment.image == "quay.io/nebari/nebari-jupyterlab:2024.11.1"
    # AND the listing went through the pages, each with the Bearer token
    assert [r["query"]["page"] for r in conda_store.requests] == ["1", "2"]
    assert {r["auth"] for r in conda_store.requests} == {f"Bearer {TOKEN}"}


def test_conda_store_defaults_come_from_the_predecessors_environment(make_manager, monkeypatch, conda_store):
    # GIVEN the variables argo-jupyter-scheduler deployments set, and no config
    monkeypatch.setenv("CONDA_STORE_SERVICE", "nebari-conda-store-server:5000")
    monkeypatch.setenv("CONDA_STORE_SERVICE_NAMESPACE", "prod")
    monkeypatch.setenv("CONDA_STORE_TOKEN", TOKEN)
    manager = make_manager()
    # THEN the URL is the in-cluster service's, and the token the variable's
    assert manager.conda_store_url == "http://nebari-conda-store-server.prod.svc:5000/conda-store"
    # AND (against the fake) the token from the environment is what is sent
    conda_store.add("ns", "env")
    manager = make_manager(conda_store_url=conda_store.url, include_kernelspecs=False)
    assert list(by_name(manager)) == ["ns/env"]


@pytest.mark.parametrize(
    "failure, message",
    [("bad token", "refused the token (HTTP 403)"), ("unreachable", "is unreachable")],
    ids=["auth-failure", "unreachable"],
)
def test_a_failing_conda_store_is_logged_and_the_other_sources_still_listed(
    make_manager, conda_store, unreachable_url, monkeypatch, caplog, failure, message
):
    # GIVEN images, kernelspecs, and a conda-store that refuses the token or is down
    conda_store.add("ns", "env")
    monkeypatch.setenv("CONDA_STORE_TOKEN", "wrong" if failure == "bad token" else TOKEN)
    url = conda_store.url if failure == "bad token" else unreachable_url
    manager = make_manager(images=IMAGES, compute_types=COMPUTE_TYPES, conda_store_url=url, conda_store_timeout=2)
    manager.log = logging.getLogger("test-environments")
    # WHEN the UI lists the environments
    with caplog.at_level(logging.WARNING, logger="test-environments"):
        listed = by_name(manager)
    # THEN conda-store's part is empty, the others are listed
    assert "ns/env" not in listed
    assert {"torch-gpu", "plain", "python3"} <= set(listed)
    # AND the reason is logged, without the token
    assert message in caplog.text and "wrong" not in caplog.text and TOKEN not in caplog.text


def test_local_kernelspecs_are_listed_by_default_and_can_be_left_out(make_manager):
    from jupyter_client.kernelspec import KernelSpecManager

    installed = sorted(KernelSpecManager().get_all_specs())
    # GIVEN no config: the local kernels, each imposing itself
    listed = by_name(make_manager())
    assert list(listed) == installed
    python3 = listed["python3"]
    assert python3.metadata == {"source": "kernelspec", "label": "Python 3 (ipykernel)", "kernel_name": "python3"}
    # AND it is chosen by name, its display name shown in its description
    assert (python3.label, python3.description) == ("python3", "Kernel Python 3 (ipykernel) (python)")
    assert python3.compute_types is None
    # GIVEN include_kernelspecs = False: none
    assert by_name(make_manager(include_kernelspecs=False)) == {}


def test_all_sources_combine_and_the_first_to_offer_a_name_keeps_it(make_manager, conda_store, monkeypatch):
    # GIVEN an image named like a local kernel, conda-store environments and kernelspecs
    monkeypatch.setenv("CONDA_STORE_TOKEN", TOKEN)
    conda_store.add("nebari-git", "nebari-git-pandas")
    images = {**IMAGES, "python3": {"image": "registry.example.com/py:3.12", "kernel": "python3"}}
    manager = make_manager(images=images, compute_types=COMPUTE_TYPES, conda_store_url=conda_store.url)
    # WHEN the UI lists the environments
    listed = manager.list_environments()
    # THEN images come first, then conda-store, then the kernels not hidden by an image
    names = [e.name for e in listed]
    assert names[:4] == ["torch-gpu", "plain", "python3", "nebari-git/nebari-git-pandas"]
    assert names.count("python3") == 1 and manager.find("python3").source == "image"
    assert [e.metadata["source"] for e in listed[:4]] == ["image", "image", "image", "conda-store"]


def test_listings_are_cached_so_polling_does_not_hammer_conda_store(make_manager, conda_store, monkeypatch):
    # GIVEN a manager caching for a minute
    monkeypatch.setenv("CONDA_STORE_TOKEN", TOKEN)
    conda_store.add("ns", "first")
    manager = make_manager(conda_store_url=conda_store.url, include_kernelspecs=False, cache_seconds=60)
    # WHEN the UI polls five times
    for _ in range(5):
        assert [e.name for e in manager.list_environments()] == ["ns/first"]
    # THEN conda-store was asked once
    assert conda_store.listing_requests() == 1
    # AND a submission naming an environment created since lists again and finds it
    conda_store.add("ns", "second")
    environment, _ = manager.resolve("ns/second", None)
    assert environment.name == "ns/second" and conda_store.listing_requests() == 2


@pytest.mark.parametrize(
    "traits, message",
    [
        ({"compute_types": {"x": {"gpus": "one"}}}, "gpus must be a whole number"),
        ({"compute_types": {"x": {"cpus": "1"}}}, "unknown field(s) cpus"),
        ({"compute_types": {"x": {"tolerations": [{"kye": "a"}]}}}, "unknown toleration field(s) kye"),
        ({"images": {"x": {"kernel": "python3"}}}, "needs an 'image'"),
        ({"images": {"x": {"image": "i", "pull_secret": "s"}}}, "unknown field(s) pull_secret"),
        ({"images": {"x": {"image": "i", "env": {"ARGO_SCHEDULER_DB_URL": "sqlite://"}}}},
         "env may not set ARGO_SCHEDULER_DB_URL"),
        ({"images": {"x": {"image": "i", "compute_types": ["huge"]}}, "compute_types": COMPUTE_TYPES},
         "names unknown compute type(s) huge"),
        ({"default_compute_type": "huge", "compute_types": COMPUTE_TYPES}, "names unknown compute type(s) huge"),
    ],
    ids=["gpus-not-int", "unknown-compute-field", "unknown-toleration-field", "image-missing",
         "unknown-image-field", "image-env-reserved", "image-names-unknown-compute-type", "default-unknown"],
)
def test_config_mistakes_stop_the_manager_with_the_field_named(make_manager, traits, message):
    with pytest.raises(TraitError, match=None) as raised:
        make_manager(**traits)
    assert message in str(raised.value)
