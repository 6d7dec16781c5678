"""The `hostpath` mutator: the node's folders mounted where JupyterLab sees them."""

from __future__ import annotations

import pytest
from podspec_helpers import (
    DNS_LABEL,
    HARD_OWNER_IDS,
    HARD_OWNERS,
    assert_kubernetes_would_accept,
    mutated,
    pod_dict,
    render,
    run_container,
    workflow_spec,
)
from traitlets import TraitError

from argo_scheduler.pod import main_container
from argo_scheduler.podspec.hostpath import HostPathPodSpecMutator

KIND_SETUP = [
    {"host_path": "/srv/jupyter/{username}", "mount_path": "/home/jovyan", "type": "DirectoryOrCreate"},
    {"host_path": "/srv/envs", "mount_path": "/opt/envs", "read_only": True},
]


def host_mounts(pod) -> list[tuple]:
    volumes = {v.name: v.host_path for v in pod.spec.volumes}
    return [
        (volumes[m.name].path, volumes[m.name].type, m.mount_path, m.read_only)
        for m in main_container(pod).volume_mounts
    ]


def test_default_mounts_the_users_home_at_the_same_path():
    # GIVEN JupyterLab on the node itself, as the login user "ana"
    pod = mutated([HostPathPodSpecMutator()], owner="ana")
    # THEN the pod sees /home/ana where the server does, and a missing folder stops it
    assert host_mounts(pod) == [("/home/ana", "Directory", "/home/ana", None)]


def test_configured_mounts_with_type_and_read_only():
    pod = mutated([HostPathPodSpecMutator(mounts=KIND_SETUP)], owner="ana.perez@example.com")
    assert host_mounts(pod) == [
        ("/srv/jupyter/ana-perez-example-com---3c6c5c25", "DirectoryOrCreate", "/home/jovyan", None),
        ("/srv/envs", "Directory", "/opt/envs", True),
    ]


def test_an_empty_type_checks_nothing():
    mutator = HostPathPodSpecMutator(mounts=[{"host_path": "/data", "mount_path": "/data", "type": ""}])
    assert mutated([mutator]).spec.volumes[0].host_path.type is None


@pytest.mark.parametrize("owner", HARD_OWNERS, ids=HARD_OWNER_IDS)
def test_any_owner_gives_one_folder_of_its_own(owner, argo_schema_validator):
    # GIVEN host and mount paths templated with the owner as typed
    mutator = HostPathPodSpecMutator(mounts=[
        {"host_path": "/home/{owner}", "mount_path": "/home/{owner}"},
        {"host_path": "/srv/{username}", "mount_path": "/work"},
    ])
    manifest = render([mutator], owner=owner)
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    # THEN each path has exactly the owner's one folder, never a climb out of /home
    for volume in workflow_spec(manifest)["volumes"]:
        assert DNS_LABEL.match(volume["name"])
        path = volume["hostPath"]["path"]
        assert path.count("/") == 2 and ".." not in path.split("/"), path
    assert run_container(manifest)["volumeMounts"][0]["mountPath"].count("/") == 2


def test_zoe_keeps_her_name_in_paths():
    pod = mutated([HostPathPodSpecMutator()], owner="Zoë")
    assert host_mounts(pod)[0][0] == "/home/Zoë"


def test_mutating_twice_gives_the_same_pod():
    mutator = HostPathPodSpecMutator(mounts=KIND_SETUP)
    assert pod_dict(mutated([mutator], times=2)) == pod_dict(mutated([mutator]))


@pytest.mark.parametrize("cron", [False, True], ids=["workflow", "cron-workflow"])
def test_rendered_manifest_is_valid_for_argo(argo_schema_validator, cron):
    manifest = render([HostPathPodSpecMutator(mounts=KIND_SETUP)], cron=cron)
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)


@pytest.mark.parametrize(
    "mounts, message",
    [
        ([{"host_path": "srv", "mount_path": "/x"}], r"\['host_path'\] 'srv' must be an absolute path"),
        ([{"host_path": "/srv", "mount_path": "x"}], r"\['mount_path'\] 'x' must be an absolute path"),
        ([{"host_path": "/srv", "mount_path": "/x", "type": "Folder"}], "not a hostPath type"),
        ([{"host_path": "/srv/{uid}", "mount_path": "/x"}], r"uses \{uid\}"),
        ([{"mount_path": "/x"}], "needs 'host_path'"),
        ([{"host_path": "/srv", "mount_path": "/x", "sub_path": "a"}], "unknown key"),
    ],
    ids=["relative-host", "relative-mount", "bad-type", "unknown-placeholder", "no-host-path", "sub-path"],
)
def test_a_wrong_mount_is_refused_when_the_config_loads(mounts, message):
    with pytest.raises(TraitError, match=message):
        HostPathPodSpecMutator(mounts=mounts)
