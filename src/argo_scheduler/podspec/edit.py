"""Idempotent edits of the job's V1Pod, shared by the built-in mutators.

Every edit is keyed (a volume by name, a mount by path, a variable by name,
a label by key) and either replaces in place or adds only what is missing,
so applying a mutator twice gives the pod it gave once, in the same order.

`argo_scheduler.pod` (and with it the kubernetes client) is imported inside
the functions: plugin modules load when the Jupyter server starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import V1EnvVar, V1Pod, V1Volume, V1VolumeMount


def set_labels(pod: "V1Pod", labels: dict[str, str]) -> None:
    pod.metadata.labels = {**(pod.metadata.labels or {}), **labels}


def put_volume(pod: "V1Pod", volume: "V1Volume") -> None:
    """Add `volume`, or replace the pod's volume of the same name where it stands."""
    volumes = list(pod.spec.volumes or [])
    for i, existing in enumerate(volumes):
        if existing.name == volume.name:
            volumes[i] = volume
            break
    else:
        volumes.append(volume)
    pod.spec.volumes = volumes


def put_mount(pod: "V1Pod", mount: "V1VolumeMount") -> None:
    """Mount at `mount.mount_path`, replacing what an earlier mutator mounted there.

    Two mounts at one path are invalid, and the later mutator is the one the
    configuration put last. A volume that nothing mounts any more is dropped
    (the pod has one container, and an unused claim would still have to
    attach), and the new volume takes its place in the list, so a chain of
    mutators gives the same pod however often it runs.
    """
    from ..pod import main_container

    container = main_container(pod)
    mounts = list(container.volume_mounts or [])
    replaced = None
    for i, existing in enumerate(mounts):
        if existing.mount_path == mount.mount_path:
            replaced, mounts[i] = existing, mount
            break
    else:
        mounts.append(mount)
    container.volume_mounts = mounts
    if replaced is not None and replaced.name != mount.name:
        if not any(m.name == replaced.name for m in mounts):
            _take_place(pod, old=replaced.name, new=mount.name)


def _take_place(pod: "V1Pod", old: str, new: str) -> None:
    volumes = list(pod.spec.volumes or [])
    names = [v.name for v in volumes]
    if old not in names:
        return
    index = names.index(old)
    if new in names:
        volumes[index] = volumes[names.index(new)]
        del volumes[names.index(new)]
    else:
        del volumes[index]
    pod.spec.volumes = volumes or None


def mount_paths(pod: "V1Pod") -> set[str]:
    from ..pod import main_container

    return {m.mount_path for m in main_container(pod).volume_mounts or []}


def add_env(pod: "V1Pod", variables: list["V1EnvVar"]) -> None:
    """Append the variables whose names the container does not set yet."""
    from ..pod import main_container

    container = main_container(pod)
    env = list(container.env or [])
    present = {e.name for e in env}
    for var in variables:
        if var.name not in present:
            env.append(var)
            present.add(var.name)
    container.env = env or None
