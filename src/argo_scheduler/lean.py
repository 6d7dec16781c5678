"""jupyter-scheduler's models and ORM without its server extension, for processes that are no Jupyter server.

`import jupyter_scheduler.models` runs the package's `__init__`, which imports
its server extension: jupyter_server's application, jupyter_events and
jsonschema's format checkers (whose rfc3987_syntax compiles its grammars at
import) — about 2.4 s that the CLI and every job pod would pay for nothing.
`defer_server_extension()` registers the package without running that
`__init__`: its submodules import as usual, and the first time anything asks
the package itself for a name it does not have yet (`SchedulerApp`,
`__version__`, the extension points), the real `__init__` runs then, so a
Jupyter server that loads the extension later in the same process gets it
whole.

nbformat (which jupyter-scheduler's ORM and papermill import) imports
jsonschema, whose format checkers import `is_valid_syntax` from
rfc3987_syntax, which compiles its Lark grammars at import (most of those
2.4 s). Only a schema with an "iri" format ever calls it — no notebook
schema has one — so `defer_server_extension()` also registers that package
with a stand-in `is_valid_syntax` that runs the real package's `__init__`
on first call.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

PACKAGE = "jupyter_scheduler"
GRAMMARS = "rfc3987_syntax"
_lock = threading.RLock()


class _DeferredPackage(types.ModuleType):
    """A package registered without running its `__init__`, which runs on first need."""

    def _initialise(self) -> None:
        with _lock:
            if not self.__dict__.get("_argo_scheduler_initialised"):
                self.__dict__["_argo_scheduler_initialised"] = True
                self.__dict__["__spec__"].loader.exec_module(self)

    def __getattr__(self, name: str):
        if name.startswith("__") and name != "__version__":
            raise AttributeError(name)
        if importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
            # `from jupyter_scheduler import orm`: a submodule, no `__init__` needed.
            return importlib.import_module(f"{self.__name__}.{name}")
        self._initialise()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def _defer(name: str) -> _DeferredPackage | None:
    if name in sys.modules:
        return None
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return None  # not installed (the import that needs it says so), or no package
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _DeferredPackage
    sys.modules[name] = module
    return module


def defer_server_extension() -> None:
    """Make `import jupyter_scheduler.<module>` skip the package's server extension (and rfc3987_syntax its
    grammars until used); no-op for a package already imported."""
    with _lock:
        _defer(PACKAGE)
        grammars = _defer(GRAMMARS)
        if grammars is not None:

            def is_valid_syntax(term: str, value: str) -> bool:
                grammars._initialise()  # replaces this function with the real one
                return grammars.__dict__["is_valid_syntax"](term, value)

            grammars.__dict__["is_valid_syntax"] = is_valid_syntax
