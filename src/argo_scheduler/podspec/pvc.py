"""The `pvc` mutator: the user's home and shared environments from PersistentVolumeClaims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from traitlets import Dict, List, validate

from .edit import put_mount, put_volume
from .mounts import MountsMutator, check_sub_path, path_check_trait, volume_name
from .usernames import expand

if TYPE_CHECKING:
    from kubernetes.client import V1Pod

    from ..spec import RunSpec


class PVCPodSpecMutator(MountsMutator):
    """Mounts PersistentVolumeClaims into the job's pod, at the paths JupyterLab sees them."""

    mount_keys = {
        "claim_name": (str, MountsMutator._REQUIRED),
        "mount_path": (str, MountsMutator._REQUIRED),
        "sub_path": (str, ""),
        "read_only": (bool, False),
    }
    object_name_keys = ("claim_name",)

    mounts = List(
        Dict(),
        default_value=[{"claim_name": "claim-{username}", "mount_path": "/home/jovyan"}],
        config=True,
        help="""The claims to mount, each a dict: "claim_name" (required),
        "mount_path" (required, absolute), "sub_path" (a folder inside the
        claim; default "", the whole claim) and "read_only" (default False).
        Strings may use {username} (the owner as KubeSpawner >= 7 and
        Zero-to-JupyterHub >= 4 name it), {escaped_username} (as older
        KubeSpawner names it) and, in paths only, {owner} (the owner as typed,
        path-safe). Mount the staging folder and the sqlite database at the
        paths the server uses. Default: the Zero-to-JupyterHub home,
        [{"claim_name": "claim-{username}", "mount_path": "/home/jovyan"}].

            c.PVCPodSpecMutator.mounts = [
                {"claim_name": "claim-{username}", "mount_path": "/home/jovyan"},
                {"claim_name": "shared-envs", "mount_path": "/opt/envs", "read_only": True},
            ]
        """,
    )

    path_check = path_check_trait("PVCPodSpecMutator")

    @validate("mounts")
    def _valid_mounts(self, proposal):
        return self._normalize_mounts(proposal["value"])

    def _check_entry(self, entry: dict, item: str) -> None:
        super()._check_entry(entry, item)
        check_sub_path(entry["sub_path"], f"{item}['sub_path']")

    def mutate(self, pod: "V1Pod", job: "RunSpec") -> None:
        from kubernetes.client import V1PersistentVolumeClaimVolumeSource, V1Volume, V1VolumeMount

        where = "c.PVCPodSpecMutator.mounts"
        for mount in self.entries:
            claim = expand(mount["claim_name"], job.owner, f"{where} claim_name")
            name = volume_name("pvc", claim)
            put_volume(
                pod,
                V1Volume(name=name, persistent_volume_claim=V1PersistentVolumeClaimVolumeSource(claim_name=claim)),
            )
            put_mount(
                pod,
                V1VolumeMount(
                    name=name,
                    mount_path=expand(mount["mount_path"], job.owner, f"{where} mount_path"),
                    sub_path=expand(mount["sub_path"], job.owner, f"{where} sub_path") or None,
                    read_only=mount["read_only"] or None,
                ),
            )
