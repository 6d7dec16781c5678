"""The `hostpath` mutator: the user's files from the node's own folders.

For single-node clusters (kind, k3s, minikube, Docker Desktop) where the
node's disk is where JupyterLab's files live, or where every node mounts the
same network share at the same place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from traitlets import Dict, List, validate

from .edit import put_mount, put_volume
from .mounts import MountsMutator, path_check_trait, volume_name
from .usernames import expand

if TYPE_CHECKING:
    from kubernetes.client import V1Pod

    from ..spec import RunSpec

# The types Kubernetes accepts for a hostPath volume; "" checks nothing.
HOST_PATH_TYPES = (
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
)


class HostPathPodSpecMutator(MountsMutator):
    """Mounts folders of the node into the job's pod, at the paths JupyterLab sees them."""

    mount_keys = {
        "host_path": (str, MountsMutator._REQUIRED),
        "mount_path": (str, MountsMutator._REQUIRED),
        "read_only": (bool, False),
        "type": (str, "Directory"),
    }
    absolute_path_keys = ("host_path", "mount_path")

    mounts = List(
        Dict(),
        default_value=[{"host_path": "/home/{owner}", "mount_path": "/home/{owner}"}],
        config=True,
        help="""The node folders to mount, each a dict: "host_path" (required,
        absolute), "mount_path" (required, absolute), "read_only" (default
        False) and "type" (a Kubernetes hostPath type such as "Directory" or
        "DirectoryOrCreate"; "" checks nothing; default "Directory", so a
        missing folder stops the pod instead of hiding the user's files behind
        an empty one). Strings may use {username} (the owner as KubeSpawner
        >= 7 names it), {escaped_username} (as older KubeSpawner names it) and
        {owner} (the owner as typed, path-safe: on a workstation the owner is
        the login name). Default: the user's home at the same path,
        [{"host_path": "/home/{owner}", "mount_path": "/home/{owner}"}], for
        JupyterLab running on the node itself.

            c.HostPathPodSpecMutator.mounts = [
                {"host_path": "/srv/jupyter/{username}", "mount_path": "/home/jovyan"},
            ]
        """,
    )

    path_check = path_check_trait("HostPathPodSpecMutator")

    @validate("mounts")
    def _valid_mounts(self, proposal):
        return self._normalize_mounts(proposal["value"])

    def _check_entry(self, entry: dict, item: str) -> None:
        super()._check_entry(entry, item)
        if entry["type"] not in HOST_PATH_TYPES:
            raise ValueError(
                f"{item}['type'] {entry['type']!r} is not a hostPath type; "
                f"use one of {', '.join(repr(t) for t in HOST_PATH_TYPES)}"
            )

    def mutate(self, pod: "V1Pod", job: "RunSpec") -> None:
        from kubernetes.client import V1HostPathVolumeSource, V1Volume, V1VolumeMount

        where = "c.HostPathPodSpecMutator.mounts"
        for mount in self.entries:
            host_path = expand(mount["host_path"], job.owner, f"{where} host_path")
            name = volume_name("host", host_path)
            put_volume(
                pod, V1Volume(name=name, host_path=V1HostPathVolumeSource(path=host_path, type=mount["type"] or None))
            )
            put_mount(
                pod,
                V1VolumeMount(
                    name=name,
                    mount_path=expand(mount["mount_path"], job.owner, f"{where} mount_path"),
                    read_only=mount["read_only"] or None,
                ),
            )
