"""Kubernetes-safe names and label values derived from user text.

Any user name, notebook name or parameter must yield a valid object name
(DNS-1123 subdomain label) and label value; the original goes in an
annotation. When text has to be altered, a short hash of the original is
appended so that two different inputs never collapse onto the same value.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

LABEL_MAX = 63
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def _digest(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _ascii_fold(text: str) -> str:
    # "Zoë" -> "Zoe": keeps names readable instead of turning them into dashes.
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def dns_slug(text: str, max_length: int) -> str:
    """Lowercase DNS-1123 label made of `text`, at most `max_length` characters.

    Never empty: falls back to a hash of the text. The result is a readable
    prefix, not unique on its own — callers append an id for uniqueness.
    """
    slug = _NOT_DNS.sub("-", _ascii_fold(text).lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)[:max_length].strip("-")
    return slug or ("x" + _digest(text))[:max_length]


def object_name(prefix_text: str, unique_id: str, max_length: int = LABEL_MAX) -> str:
    """`<slug of prefix_text>-<unique_id>`, DNS-1123 and at most `max_length`.

    `unique_id` (a job id, a definition id) must itself be DNS-safe; it is kept
    whole because it is what makes the name unique.
    """
    unique_id = unique_id.lower()
    if _NOT_DNS.search(unique_id):
        raise ValueError(f"unique_id must be DNS-1123 safe, got {unique_id!r}")
    room = max_length - len(unique_id) - 1
    if room < 1:
        return unique_id[:max_length]
    return f"{dns_slug(prefix_text, room)}-{unique_id}"


def label_value(text: str | None) -> str:
    """A valid Kubernetes label value for `text` (empty string for None).

    Text that is already a valid label value is kept as is, so selectors on
    plain user names stay readable; anything else becomes a slug plus a hash
    of the original.
    """
    if not text:
        return ""
    if len(text) <= LABEL_MAX and _LABEL_VALUE_RE.match(text):
        return text
    digest = _digest(text)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", _ascii_fold(text))
    slug = slug[: LABEL_MAX - len(digest) - 1].strip("-_.")
    return f"{slug}-{digest}" if slug else f"x{digest}"
