"""Which engine `c.ArgoScheduler.engine` names: an entry point of the `argo_scheduler.engines` group, or a class path.

As JupyterHub chooses its spawner: a short name is looked up among the
installed distributions' entry points, and a dotted path names the class
itself. The built-ins (local, argo, kubernetes) are entry points of
argo-scheduler's own pyproject.toml, registered exactly as an outside engine
is::

    [project.entry-points."argo_scheduler.engines"]
    my-engine = "my_package.engine:MyEngine"

Nothing is imported until an engine is asked for: naming one costs a look
at the installed distributions' metadata, never an import of hera or the
kubernetes client.
"""

from __future__ import annotations

import re
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points

from .base import Engine, EngineError

ENTRY_POINT_GROUP = "argo_scheduler.engines"
LOCAL = "local"
# A class path: dotted Python identifiers, at least a module and a class.
_CLASS_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def installed() -> dict[str, EntryPoint]:
    """The installed engines by name, sorted; a name two distributions register is an error."""
    found: dict[str, EntryPoint] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        name = point.name.lower()
        if name in found and found[name].value != point.value:
            raise EngineError(
                f"engine {name!r} is registered twice ({found[name].value} and {point.value}); uninstall one"
            )
        found[name] = point
    return dict(sorted(found.items()))


def is_class_path(value: str) -> bool:
    return "." in value


def is_local(value: str) -> bool:
    """Whether the configured engine (normalized) is the built-in local one, told without importing any engine.

    For what must be known before an engine is made (the server's start,
    which must not load hera); with an engine at hand, ask its `runs_here`.
    """
    return value == LOCAL


def normalize(value: str) -> str:
    """The configured engine as it is looked up: a name lowercased (names are caseless), a class path as written.

    EngineError when it is neither an installed engine's name nor shaped like a class path.
    """
    value = value.strip()
    if is_class_path(value):
        if not _CLASS_PATH.match(value):
            raise EngineError(f"engine {value!r} is not a class path (package.module.Class)")
        return value
    name = value.lower()
    available = installed()
    if name not in available:
        raise EngineError(
            f"no engine named {value!r} is installed; installed: {', '.join(available) or 'none'} "
            f"(entry point group {ENTRY_POINT_GROUP!r}), or give a class path "
            "such as c.ArgoScheduler.engine = \"my_package.engine.MyEngine\""
        )
    return name


def engine_class(value: str) -> type[Engine]:
    """The Engine subclass `value` (an installed engine's name, or a class path) names; EngineError if none."""
    value = normalize(value)
    if is_class_path(value):
        module, _, attribute = value.rpartition(".")
        what = f"engine class {value!r}"
        try:
            cls = getattr(import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise EngineError(f"{what} cannot be imported: {exc}") from None
    else:
        point = installed()[value]
        what = f"engine {value!r} ({point.value})"
        try:
            cls = point.load()
        except (ImportError, AttributeError) as exc:
            raise EngineError(f"{what} cannot be loaded: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise EngineError(f"{what} is not an argo_scheduler.engines.base.Engine subclass")
    return cls
