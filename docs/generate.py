#!/usr/bin/env python3
"""Generate docs/configuration.md from the traits of every configurable class.

    python docs/generate.py          # rewrite docs/configuration.md
    python docs/generate.py --check  # exit 1 if it is out of date

tests/test_docs.py runs the check, so the reference cannot drift from the code.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
import textwrap
from pathlib import Path

from traitlets.config import Configurable

OUTPUT = Path(__file__).resolve().parent / "configuration.md"
HEADER = """# Configuration reference

Generated from the traits by `python docs/generate.py`; do not edit by hand.
Set these in `jupyter_server_config.py` (the `argo-scheduler` CLI reads the
same files, plus `--config FILE`).
"""


def configurable_classes() -> list[type[Configurable]]:
    """Every Configurable defined in argo_scheduler, in module order."""
    import argo_scheduler

    found: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(argo_scheduler.__path__, "argo_scheduler."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Configurable) and obj.__module__ == module.__name__:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


def own_config_traits(cls) -> dict:
    return {
        name: trait
        for name, trait in cls.class_own_traits(config=True).items()
        if not name.startswith("_")
    }


def inherited_config_traits(cls, documented) -> dict[type, list[str]]:
    """The config traits `cls` takes from a base documented here (ClusterEngine's), by that base."""
    found: dict[type, list[str]] = {}
    for name in sorted(cls.class_trait_names(config=True)):
        if name.startswith("_") or name in own_config_traits(cls):
            continue
        owner = next((base for base in cls.__mro__[1:] if name in own_config_traits(base)), None)
        if owner in documented:
            found.setdefault(owner, []).append(name)
    return found


def render() -> str:
    parts = [HEADER]
    classes = configurable_classes()
    documented = {cls for cls in classes if own_config_traits(cls)}
    for cls in classes:
        traits = own_config_traits(cls)
        inherited = inherited_config_traits(cls, documented)
        if not traits and not inherited:
            continue
        parts.append(f"\n## {cls.__name__}\n\n`{cls.__module__}.{cls.__qualname__}`\n")
        doc = inspect.getdoc(cls)
        if doc:
            parts.append(f"\n{doc.splitlines()[0]}\n")
        for base, names in inherited.items():
            listed = ", ".join(f"`{name}`" for name in names)
            parts.append(
                f"\nAlso takes the traits of [{base.__name__}](#{base.__name__.lower()}): {listed}; "
                f"`c.{cls.__name__}.<trait>` sets one for this class alone, `c.{base.__name__}.<trait>` "
                f"for every class built on {base.__name__}.\n"
            )
        for name in sorted(traits):
            help_text = textwrap.dedent(traits[name].help or "").strip()
            # traitlets keeps the first line flush and the rest indented.
            first, _, rest = help_text.partition("\n")
            body = first + ("\n" + textwrap.dedent(rest) if rest else "")
            parts.append(f"\n### `{cls.__name__}.{name}`\n\n{type(traits[name]).__name__}. {body}\n")
    return "".join(parts)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is out of date: run python docs/generate.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
