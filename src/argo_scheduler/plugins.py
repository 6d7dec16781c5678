"""Discovery of PodSpecMutators and Notifiers through entry points, with pluggy."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "argo_scheduler"
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class PluginError(ValueError):
    """A plugin or a configured name is wrong; the message lists what is installed."""


@dataclass(frozen=True)
class Plugin:
    name: str
    cls: type
    kind: str  # "podspec-mutator" or "notifier"
    provider: str  # the distribution that provides it, "name version"


@functools.lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


@functools.lru_cache(maxsize=4)
def _distributions(manager: pluggy.PluginManager) -> tuple[tuple[object, str], ...]:
    # Naming a distribution parses its metadata file, and every submission
    # collects the plugins; what entry points loaded is fixed once loaded.
    return tuple((plugin, f"{dist.project_name} {dist.version}") for plugin, dist in manager.list_plugin_distinfo())


def _provider(manager: pluggy.PluginManager, module) -> str:
    for plugin, provider in _distributions(manager):
        if plugin is module:
            return provider
    return "(registered in code)"


def _collect(hook_name: str, kind: str, base: type) -> dict[str, Plugin]:
    manager = plugin_manager()
    found: dict[str, Plugin] = {}
    caller = getattr(manager.hook, hook_name)
    for impl in caller.get_hookimpls():
        provider = _provider(manager, impl.plugin)
        for name, cls in (impl.function() or {}).items():
            if not _NAME.match(name):
                raise PluginError(f"{provider} registers {kind} {name!r}: names are lowercase kebab-case")
            if not (isinstance(cls, type) and issubclass(cls, base)):
                raise PluginError(f"{provider} registers {kind} {name!r} that is not a {base.__name__}")
            if name in found:
                raise PluginError(
                    f"{kind} {name!r} is provided twice, by {found[name].provider} and {provider}; uninstall one"
                )
            found[name] = Plugin(name=name, cls=cls, kind=kind, provider=provider)
    return dict(sorted(found.items()))


def podspec_mutators() -> dict[str, Plugin]:
    from .podspec.base import PodSpecMutator

    return _collect("argo_scheduler_podspec_mutators", "podspec-mutator", PodSpecMutator)


def notifiers() -> dict[str, Plugin]:
    from .notifiers.base import Notifier

    return _collect("argo_scheduler_notifiers", "notifier", Notifier)


def select(available: dict[str, Plugin], names: list[str], trait: str) -> list[Plugin]:
    """The configured plugins in order; an unknown name fails with the installed ones."""
    unknown = [name for name in names if name not in available]
    if unknown:
        installed = ", ".join(available) or "none"
        raise PluginError(
            f"c.ArgoScheduler.{trait} names {', '.join(map(repr, unknown))}, which is not installed; "
            f"installed: {installed}"
        )
    return [available[name] for name in names]
