"""Without a running server, ArgoEnvironmentManager() reads the files the server and the CLI read."""

from __future__ import annotations

import json

import pytest
from environment_helpers import COMPUTE_TYPES, IMAGES


@pytest.fixture
def no_running_server():
    from jupyter_server.serverapp import ServerApp

    # An earlier test's server may linger as the singleton; this test is about having none.
    ServerApp.clear_instance()
    yield


def test_a_bare_manager_reads_jupyter_server_config_files(tmp_path, monkeypatch, no_running_server):
    # GIVEN jupyter_server_config.json in the working directory (as for `jupyter lab` started there)
    config = {"ArgoEnvironmentManager": {"images": IMAGES, "compute_types": COMPUTE_TYPES, "include_kernelspecs": False}}
    (tmp_path / "jupyter_server_config.json").write_text(json.dumps(config))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "user-config"))
    from argo_scheduler.environments import ArgoEnvironmentManager

    # WHEN jupyter-scheduler's way builds it: no arguments
    manager = ArgoEnvironmentManager()
    # THEN the files' config reached it
    assert [e.name for e in manager.list_environments()] == ["torch-gpu", "plain"]
    assert manager.find("torch-gpu").image_pull_secret == "registry-creds"


def test_a_given_config_wins_over_the_files(tmp_path, monkeypatch, no_running_server):
    from traitlets.config import Config

    from argo_scheduler.environments import ArgoEnvironmentManager

    (tmp_path / "jupyter_server_config.json").write_text(json.dumps({"ArgoEnvironmentManager": {"images": IMAGES}}))
    monkeypatch.chdir(tmp_path)
    # GIVEN an explicit config (the CLI's --config, a test)
    config = Config()
    config.ArgoEnvironmentManager.include_kernelspecs = False
    # THEN only it counts
    assert ArgoEnvironmentManager(config=config).list_environments() == []
