"""`{username}` and friends: a job owner's name as it appears in claim names and paths.

The claims and folders a job pod mounts were made by JupyterHub's
KubeSpawner, so `{username}` must expand exactly as KubeSpawner expands it
or the pod waits forever for a claim that does not exist. KubeSpawner has
two schemes: "safe" (KubeSpawner >= 7, Zero-to-JupyterHub >= 4) keeps a name
that is already a valid object name and otherwise writes a slug plus a hash;
"escape" (older releases) hex-escapes every character but lowercase letters
and digits. Both results are DNS-1123 labels, hence also safe path segments.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable

# Placeholders a template may use, and what each expands to.
PLACEHOLDERS = {
    "username": "the owner as KubeSpawner >= 7 names it (Zero-to-JupyterHub >= 4)",
    "escaped_username": "the owner as KubeSpawner < 7 names it (Zero-to-JupyterHub < 4)",
    "owner": "the owner as typed, with '/', '\\', '%', '{', '}' and control characters percent-encoded (paths only)",
}
# `owner` keeps '.', '@', capitals and non-ASCII letters, so it can name a
# folder but never a Kubernetes object.
OBJECT_NAME_PLACEHOLDERS = ("username", "escaped_username")

_OBJECT_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ESCAPE_SAFE = frozenset(string.ascii_lowercase + string.digits)
_HASH_LENGTH = 8
_SAFE_MAX = 32


def kubespawner_safe_slug(name: str) -> str:
    """KubeSpawner's "safe" slug: the name itself when valid, else `<slug>---<hash>`."""
    # "--" is reserved for KubeSpawner's "{user}--{server}" joins.
    if "--" not in name and _OBJECT_NAME.match(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    room = _SAFE_MAX - (_HASH_LENGTH + 3)
    slug = _NOT_ALNUM.sub("-", name.lower()).lstrip("-")[:room].rstrip("-")
    if slug and slug[0] not in string.ascii_lowercase:
        slug = "x-" + slug[: room - 2]
    return f"{slug or 'x'}---{digest}"


def kubespawner_escaped(name: str) -> str:
    """KubeSpawner's legacy "escape" scheme: '-' plus the hex of each UTF-8 byte of other characters."""
    parts = []
    for char in name:
        if char in _ESCAPE_SAFE:
            parts.append(char)
        else:
            parts.extend("-%X" % byte for byte in char.encode("utf-8"))
    return "".join(parts).lower()


def path_segment(name: str) -> str:
    """The owner as one folder name: injective, so two owners never share a folder.

    Braces are encoded too: the path lands in the workflow's spec, where
    Argo would read `{{` as a template tag.
    """
    encoded = "".join(
        "".join("%%%02X" % b for b in c.encode("utf-8")) if c in "/\\%{}" or not c.isprintable() else c
        for c in name
    )
    # "." and ".." would name the parent folders instead.
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def template_fields(template: str) -> set[str]:
    """The placeholder names a `str.format` template uses (ValueError if malformed)."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def check_template(template: str, where: str, allowed: Iterable[str] = PLACEHOLDERS) -> None:
    """Refuse a template with unknown placeholders when the config loads, not at the first job."""
    allowed = tuple(allowed)
    try:
        fields = template_fields(template)
    except ValueError as e:
        raise ValueError(f"{where} {template!r} is not a valid template: {e}") from None
    unknown = sorted(f for f in fields if f not in allowed)
    if unknown:
        raise ValueError(
            f"{where} {template!r} uses {', '.join('{' + f + '}' for f in unknown)}; "
            f"it may use {', '.join('{' + f + '}' for f in allowed)}"
        )


def expand(template: str, owner: str | None, where: str) -> str:
    """`template` with the owner's placeholders filled in."""
    fields = template_fields(template)
    if not fields:
        return template
    if not owner:
        raise ValueError(f"{where} {template!r} needs the job's owner, and the job has none")
    values = {
        "username": kubespawner_safe_slug(owner),
        "escaped_username": kubespawner_escaped(owner),
        "owner": path_segment(owner),
    }
    return template.format(**{f: values[f] for f in fields})
