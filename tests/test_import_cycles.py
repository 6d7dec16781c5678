"""No module of the package imports, at load, a module that imports it back.

Read from the source (module-level imports, `if TYPE_CHECKING:` blocks left
out): a cycle works or breaks depending on which module is imported first,
so a run of the suite cannot be trusted to show it.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

import argo_scheduler

PACKAGE = Path(argo_scheduler.__file__).parent


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_at_load(name: str, is_package: bool, tree: ast.Module, known: set[str]) -> set[str]:
    """The package's modules that `name` imports at module level."""
    found: set[str] = set()
    statements: list[ast.stmt] = []
    for node in tree.body:
        # `if TYPE_CHECKING:` (and any `if`) is not taken as loaded; a try's body is.
        statements.extend(node.body if isinstance(node, ast.Try) else [node])
    for node in statements:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return (found & known) - {name}


def import_graph(root: Path) -> dict[str, set[str]]:
    files = {module_name(root, path): path for path in root.rglob("*.py")}
    known = set(files)
    return {
        name: imported_at_load(name, path.name == "__init__.py", ast.parse(path.read_text()), known)
        for name, path in files.items()
    }


def first_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return error.args[1]
    return None


def test_the_package_has_no_import_cycle():
    # GIVEN every module of argo_scheduler and what it imports at load
    graph = import_graph(PACKAGE)
    assert len(graph) > 50, "the package's modules were not found"
    # WHEN the imports are ordered
    # THEN they can be: no module waits on itself
    assert first_cycle(graph) is None


@pytest.mark.parametrize(
    "files, cycle",
    [
        ({"a.py": "from . import b\n", "b.py": "from .a import thing\n"}, True),
        ({"a.py": "from .b import thing\n", "b.py": "from typing import TYPE_CHECKING\n"
          "if TYPE_CHECKING:\n    from .a import other\n"}, False),
        ({"a.py": "from .sub import c\n", "sub/__init__.py": "", "sub/c.py": "from ..a import x\n"}, True),
    ],
    ids=["two-modules", "type-checking-only", "through-a-subpackage"],
)
def test_the_check_reports_a_cycle_exactly_when_there_is_one(tmp_path, files, cycle):
    # GIVEN a small package with or without a cycle
    root = tmp_path / "pkg"
    for relative, text in {"__init__.py": "", **files}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    # WHEN its imports are ordered
    found = first_cycle(import_graph(root))
    # THEN a cycle is reported exactly when there is one
    assert (found is not None) is cycle, found
