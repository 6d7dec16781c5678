"""The rendered manifest against Argo's own JSON schema (v4.0.5, shipped in argo_schema.json).

Loaded on the first check, never at import: the file is a third of a
megabyte and jsonschema compiles it once per kind.
"""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources

INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
KIND_PREFIX = "io.argoproj.workflow.v1alpha1."
# Shown per manifest: the first few are what a user fixes first.
MAX_ERRORS = 5


def widen(schema: dict) -> dict:
    """`schema` with IntOrString as Argo reads it: schema.json says string, Argo takes integers too."""
    widened = copy.copy(schema)
    widened["definitions"] = {**schema["definitions"], INT_OR_STRING: {"type": ["string", "integer"]}}
    return widened


@functools.lru_cache(maxsize=1)
def shipped_schema() -> dict:
    """The shipped definitions, unmodified."""
    return json.loads(resources.files(__package__).joinpath("argo_schema.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4)
def _validator(kind: str):
    import jsonschema

    root = widen(shipped_schema())
    if KIND_PREFIX + kind not in root["definitions"]:
        raise ValueError(f"no schema for kind {kind!r}: only Workflow and CronWorkflow are checked")
    root["$ref"] = f"#/definitions/{KIND_PREFIX}{kind}"
    return jsonschema.Draft202012Validator(root)


def schema_errors(manifest: dict) -> list[str]:
    """What Argo's schema refuses in `manifest`, as "path: message" lines (empty when valid)."""
    validator = _validator(str(manifest.get("kind")))
    errors = sorted(validator.iter_errors(manifest), key=lambda e: [str(p) for p in e.absolute_path])
    lines = [f"{_path(e.absolute_path)}: {e.message}" for e in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        lines.append(f"and {len(errors) - MAX_ERRORS} more")
    return lines


def _path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(manifest)"
