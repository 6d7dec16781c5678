"""The built-in PodSpecMutators, registered through the entry point every plugin uses."""

from __future__ import annotations

from ..hookspecs import hookimpl


@hookimpl
def argo_scheduler_podspec_mutators() -> dict[str, type]:
    # Imported here: the server loads this module at start-up, and a mutator
    # module pulls in its dependencies only when a mutator is configured.
    from .hostpath import HostPathPodSpecMutator
    from .inherit import InheritPodSpecMutator
    from .nebari import NebariPodSpecMutator
    from .pvc import PVCPodSpecMutator

    return {
        "hostpath": HostPathPodSpecMutator,
        "inherit": InheritPodSpecMutator,
        "nebari": NebariPodSpecMutator,
        "pvc": PVCPodSpecMutator,
    }
