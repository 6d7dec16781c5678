"""The plugin hooks. A plugin is a module named by an entry point in the
`argo_scheduler` group that implements some of these with `@hookimpl`::

    # pyproject.toml of the plugin
    [project.entry-points.argo_scheduler]
    my_plugin = "my_package.argo_plugin"

    # my_package/argo_plugin.py
    from argo_scheduler import hookimpl

    @hookimpl
    def argo_scheduler_podspec_mutators():
        return {"my-mutator": MyPodSpecMutator}

The built-ins register exactly this way (see pyproject.toml).
"""

from __future__ import annotations

import pluggy

PROJECT = "argo_scheduler"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def argo_scheduler_podspec_mutators() -> dict[str, type]:
    """PodSpecMutator classes this plugin provides, by name (lowercase, kebab-case).

    Selected with `c.ArgoScheduler.podspec_mutators = ["name", …]`.
    """


@hookspec
def argo_scheduler_notifiers() -> dict[str, type]:
    """Notifier classes this plugin provides, by name (lowercase, kebab-case).

    Selected with `c.ArgoScheduler.notifiers = ["name", …]`.
    """
