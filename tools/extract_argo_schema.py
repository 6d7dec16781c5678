#!/usr/bin/env python3
"""Extract the Workflow and CronWorkflow definitions of Argo's JSON schema, with all they $ref.

    python tools/extract_argo_schema.py [SCHEMA]   # default: ../shared/argo/schema.json

Writes src/argo_scheduler/checks/argo_schema.json, which the submission
checks validate manifests against at run time (an installed package has no
../shared). The definitions are copied unmodified; the IntOrString widening
happens when the schema is loaded (checks/schema.py).
tests/checks/test_schema_check.py fails when the shipped copy drifts from
the full schema.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "argo" / "schema.json"
TARGET = ROOT / "src" / "argo_scheduler" / "checks" / "argo_schema.json"
KINDS = ("io.argoproj.workflow.v1alpha1.Workflow", "io.argoproj.workflow.v1alpha1.CronWorkflow")
PREFIX = "#/definitions/"


def references(node) -> set[str]:
    """Names of the definitions `node` refers to directly."""
    found = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            found.add(ref[len(PREFIX):])
        for value in node.values():
            found |= references(value)
    elif isinstance(node, list):
        for value in node:
            found |= references(value)
    return found


def closure(definitions: dict, roots=KINDS) -> set[str]:
    """`roots` and every definition reachable from them."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(references(definitions[name]) - seen)
    return seen


def extract(schema: dict) -> dict:
    names = closure(schema["definitions"])
    return {
        "$id": schema["$id"],
        "$schema": schema["$schema"],
        "definitions": {name: schema["definitions"][name] for name in sorted(names)},
    }


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else SOURCE
    TARGET.write_text(json.dumps(extract(json.loads(source.read_text())), indent=1, sort_keys=True) + "\n")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
