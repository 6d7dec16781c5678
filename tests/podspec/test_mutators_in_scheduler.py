"""Built-in mutators configured like jupyter_server_config.py, through the real ArgoScheduler."""

from __future__ import annotations

import pytest
from podspec_helpers import assert_kubernetes_would_accept, make_job, run_container, workflow_spec
from traitlets.config import Config

from argo_scheduler.plugins import PluginError


def pvc_config(mount_path: str, **more) -> Config:
    config = Config()
    config.ArgoScheduler.podspec_mutators = ["pvc"]
    config.PVCPodSpecMutator.mounts = [{"claim_name": "claim-{username}", "mount_path": mount_path}]
    for name, value in more.items():
        config.PVCPodSpecMutator[name] = value
    return config


def test_a_configured_pvc_mount_reaches_the_rendered_job(make_scheduler, tmp_path, argo_schema_validator):
    # GIVEN c.ArgoScheduler.podspec_mutators = ["pvc"] and a mount covering the server's files
    scheduler = make_scheduler(pvc_config(str(tmp_path)))
    # WHEN a job is rendered
    manifest = scheduler.render_job(make_job(input_filename="report.ipynb"))
    # THEN the owner's claim is mounted where the server keeps the staging folder and database
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    [volume] = workflow_spec(manifest)["volumes"]
    assert volume["persistentVolumeClaim"] == {"claimName": "claim-ana-perez-example-com---3c6c5c25"}
    assert run_container(manifest)["volumeMounts"] == [{"name": volume["name"], "mountPath": str(tmp_path)}]


def test_the_default_warns_once_when_the_staging_folder_is_not_mounted(make_scheduler, caplog):
    # GIVEN the Zero-to-JupyterHub default, while this server keeps its files elsewhere
    config = Config()
    config.ArgoScheduler.podspec_mutators = ["pvc"]
    scheduler = make_scheduler(config)
    # WHEN two jobs are rendered
    with caplog.at_level("WARNING"):
        scheduler.render_job(make_job(input_filename="report.ipynb"))
        scheduler.render_job(make_job(input_filename="report.ipynb"))
    # THEN one warning names the staging folder and the database
    [warning] = [r.getMessage() for r in caplog.records if "PVCPodSpecMutator" in r.getMessage()]
    assert scheduler.staging_path in warning and "scheduler.sqlite" in warning and "path_check" in warning


def test_path_check_error_refuses_the_job_with_the_paths(make_scheduler, tmp_path):
    scheduler = make_scheduler(pvc_config("/home/jovyan", path_check="error"))
    with pytest.raises(ValueError, match=r"would not see the staging folder .*staging.*the sqlite database"):
        scheduler.render_job(make_job(input_filename="report.ipynb"))


def test_a_mount_covering_both_passes_the_error_check(make_scheduler, tmp_path):
    scheduler = make_scheduler(pvc_config(str(tmp_path), path_check="error"))
    scheduler.render_job(make_job(input_filename="report.ipynb"))


def test_a_misconfigured_mount_stops_the_server_at_start(make_scheduler):
    config = Config()
    config.ArgoScheduler.podspec_mutators = ["pvc"]
    config.PVCPodSpecMutator.mounts = [{"claim_name": "claim-{user}", "mount_path": "/home/jovyan"}]
    with pytest.raises(Exception, match=r"uses \{user\}"):
        make_scheduler(config)


def test_the_built_ins_are_installed_under_their_names(make_scheduler):
    # GIVEN all four built-ins selected by name THEN the server starts with them, in order
    config = Config()
    config.ArgoScheduler.podspec_mutators = ["nebari", "pvc", "hostpath", "inherit"]
    scheduler = make_scheduler(config)
    assert [type(m).__name__ for m in scheduler.mutator_instances] == [
        "NebariPodSpecMutator", "PVCPodSpecMutator", "HostPathPodSpecMutator", "InheritPodSpecMutator",
    ]
    # AND a misspelled one lists them
    config.ArgoScheduler.podspec_mutators = ["pvcs"]
    with pytest.raises(PluginError, match="hostpath, inherit, nebari, pvc"):
        make_scheduler(config)
