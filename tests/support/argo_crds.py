"""Argo's CRDs, as the Kubernetes API server validates objects against them (with fieldValidation=Strict).

Every Workflow and CronWorkflow the fake API server (fake_kube_api.py)
stores is checked against the openAPIV3Schema of Argo's own CRDs
(../shared/argo/argoproj.io_*.yaml), so what the kubernetes engine sends is
checked against the real contract: schema violations are 422 Invalid,
unknown fields 400 "strict decoding error" (stricter than a real server
asked without fieldValidation=Strict, which would prune them silently; the
engine asks for Strict).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

ARGO_SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "argo"
CRD_FILES = {"workflows": "argoproj.io_workflows.yaml", "cronworkflows": "argoproj.io_cronworkflows.yaml"}
KINDS = {"workflows": "Workflow", "cronworkflows": "CronWorkflow"}
API_VERSION = "argoproj.io/v1alpha1"

_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
_QUALIFIED_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
# ObjectMeta is `type: object` in the CRDs: the API server validates it itself.
OBJECT_META = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 253, "pattern": _DNS_SUBDOMAIN},
        "generateName": {"type": "string"},
        "namespace": {"type": "string", "pattern": _DNS_SUBDOMAIN},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": _QUALIFIED_KEY, "maxLength": 317},
            "additionalProperties": {"type": "string", "maxLength": 63, "pattern": _LABEL_VALUE},
        },
        "annotations": {
            "type": "object",
            "propertyNames": {"pattern": _QUALIFIED_KEY},
            "additionalProperties": {"type": "string"},
        },
        "resourceVersion": {"type": "string"},
        "uid": {"type": "string"},
        "generation": {"type": "integer"},
        "creationTimestamp": {"type": ["string", "null"]},
        "finalizers": {"type": "array", "items": {"type": "string"}},
        "ownerReferences": {"type": "array"},
        "managedFields": {"type": "array"},
    },
}




class Invalid(Exception):
    """What the API server answers for an object its CRD refuses: `status` and a message, as in a Status."""

    def __init__(self, status: int, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.details = details


def _strict(node: Any) -> Any:
    """The CRD schema as JSON Schema that refuses unknown fields, as fieldValidation=Strict does.

    Objects with `properties` get additionalProperties: false unless they say
    x-kubernetes-preserve-unknown-fields; x-kubernetes-int-or-string without
    its anyOf gets one.
    """
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: (_strict(v) if k in ("items", "additionalProperties", "anyOf", "allOf", "oneOf") else v)
            for k, v in node.items()}
    if "properties" in node:
        node["properties"] = {k: _strict(v) for k, v in node["properties"].items()}
        if not node.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in node:
            node["additionalProperties"] = False
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return node


@functools.lru_cache(maxsize=None)
def crd_validator(plural: str):
    """A validator for the openAPIV3Schema of Argo's CRD for `plural` (read once per test run)."""
    import jsonschema

    path = ARGO_SPECS / CRD_FILES[plural]
    if not path.exists():
        raise RuntimeError(f"Argo's CRD is missing at {path}: the tests need ../shared/argo beside the repo")
    crd = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    [version] = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema = _strict(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = OBJECT_META
    return jsonschema.Draft4Validator(schema)


def _field(path) -> str:
    """A JSON path as Kubernetes writes it in errors: spec.templates[0].container."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def validate(plural: str, obj: dict) -> None:
    """Raise the Invalid a real API server would answer for `obj` (with fieldValidation=Strict)."""
    kind = KINDS[plural]
    errors = sorted(crd_validator(plural).iter_errors(obj), key=lambda e: list(e.absolute_path))
    name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName")
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    if unknown:
        fields = []
        for e in unknown:
            extra = set(e.instance) - set(e.schema.get("properties") or {})
            where = _field(e.absolute_path)
            fields += [f'unknown field "{where + "." if where else ""}{f}"' for f in sorted(extra)]
        raise Invalid(400, f"strict decoding error: {', '.join(fields)}")
    if errors:
        causes = "; ".join(
            f"{_field(e.absolute_path) or '<root>'}: Invalid value: {e.message}" for e in errors[:5]
        )
        raise Invalid(422, f'{kind}.argoproj.io "{name}" is invalid: {causes}', {"kind": kind, "name": name})
