"""Registers this package's mutator and notifier with argo_scheduler."""

from argo_scheduler import hookimpl


@hookimpl
def argo_scheduler_podspec_mutators():
    from .mutator import TeamLabelPodSpecMutator

    return {"team-label": TeamLabelPodSpecMutator}


@hookimpl
def argo_scheduler_notifiers():
    from .notifier import JsonLinesNotifier

    return {"json-lines": JsonLinesNotifier}
