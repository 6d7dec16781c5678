"""Kubernetes' name and label-value rules, written once, and the names and label values derived from user text.

Any user name, notebook name or parameter must yield a valid object name
(DNS-1123 subdomain label) and label value; the original goes in an
annotation (annotation_value). When text has to be altered, a short hash of
the original is appended so that two different inputs never collapse onto
the same value.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata

LABEL_MAX = 63
SUBDOMAIN_MAX = 253
# Argo appends "-<10-digit timestamp>" to a CronWorkflow's name for each run
# and refuses CronWorkflow names longer than 52 characters.
CRON_NAME_MAX = 52
_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
# A DNS-1123 subdomain (dot-separated DNS-1123 labels): what Kubernetes
# accepts as an object name or a namespace, as its IsDNS1123Subdomain does.
DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*$")
# A label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends, or empty.
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_DIGEST_LENGTH = 8
# What label_value makes of text it alters: a slug, a dash and the digest, or
# "x" and the digest when nothing of the text is left for a slug.
_ALTERED = re.compile(r"(-|^x)[0-9a-f]{%d}$" % _DIGEST_LENGTH)
# Argo reads `{{` as a template tag wherever it substitutes; `%` is escaped
# too, so that the escaping stays reversible (and so injective).
_ANNOTATION_ESCAPES = {"%": "%25", "{": "%7B", "}": "%7D"}


def is_dns1123_subdomain(text: str, max_length: int = SUBDOMAIN_MAX) -> bool:
    """Whether Kubernetes would take `text` as a name: a DNS-1123 subdomain of at most `max_length` characters."""
    return isinstance(text, str) and len(text) <= max_length and bool(DNS1123_SUBDOMAIN.match(text))


def is_label_value(text: str) -> bool:
    """Whether Kubernetes would take `text` as a label value."""
    return isinstance(text, str) and len(text) <= LABEL_MAX and bool(LABEL_VALUE.match(text))


def check_name(value: object, what: str = "name") -> str:
    """`value`, if Kubernetes would take it as an object's `what` (name, namespace, Secret name); ValueError if not.

    Names are pasted into URL paths and file paths, so anything else could
    address another endpoint or another folder.
    """
    if not isinstance(value, str) or not is_dns1123_subdomain(value):
        raise ValueError(f"{value!r} is not a valid Kubernetes {what} (lowercase letters, digits, '-' and '.').")
    return value


def _digest(text: str, length: int = _DIGEST_LENGTH) -> str:
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


def job_workflow_name(input_filename: str, job_id: str) -> str:
    """The Workflow name of a one-off job: derivable from the job record alone."""
    return object_name(os.path.splitext(input_filename)[0], job_id)


def cron_workflow_name(input_filename: str, job_definition_id: str) -> str:
    """The CronWorkflow name of a job definition: derivable from its record alone."""
    return object_name(os.path.splitext(input_filename)[0], job_definition_id, CRON_NAME_MAX)


def label_value(text: str | None) -> str:
    """A valid Kubernetes label value for `text` (empty string for None), distinct for distinct texts.

    Text that is already a valid label value is kept as is, so selectors on
    plain user names stay readable; anything else becomes a slug, a dash and
    a hash of the original. Valid text that ends the way an altered value
    ends (a dash, or a leading "x", and 8 hexadecimal digits: `Zoe-c6a12698`)
    is altered too, so it can never equal the label of another text (`Zoë`).
    Two altered texts share a value only if their hashes collide: a label is
    a selector, and who owns a workflow is decided by its owner annotation
    (annotation_value), compared exactly.
    """
    if not text:
        return ""
    if is_label_value(text) and not _ALTERED.search(text):
        return text
    digest = _digest(text)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", _ascii_fold(text))
    slug = slug[: LABEL_MAX - len(digest) - 1].strip("-_.")
    return f"{slug}-{digest}" if slug else f"x{digest}"


def annotation_value(text: str) -> str:
    """`text` as an annotation value Argo never reads as a template: `%`, `{` and `}` percent-escaped.

    Argo substitutes `{{...}}` in a workflow's spec — pod metadata and
    workflowMetadata included — so user text placed there must hold no `{{`.
    Text without those three characters is kept as is; the escaping is
    reversible (annotation_text), so distinct texts stay distinct.
    """
    return "".join(_ANNOTATION_ESCAPES.get(ch, ch) for ch in text)


def annotation_text(value: str) -> str:
    """The text annotation_value escaped."""
    for ch, escaped in _ANNOTATION_ESCAPES.items():
        if ch != "%":
            value = value.replace(escaped, ch)
    return value.replace("%25", "%")


def owner_annotation(owner: str) -> str:
    """The owner annotation's value on the workflows of `owner`: compared exactly, never a selector."""
    return annotation_value(owner)
