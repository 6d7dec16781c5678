"""Argo's `{{...}}` tags: find them, check them, replace them once.

Argo substitutes a template's tags in one pass over the text: a value that
itself contains `{{` is written out as it is, never read as another tag. A
tag's name is trimmed of surrounding whitespace (`{{ workflow.name }}` works),
an unknown name fails with Argo's own words ("failed to resolve {{...}}"),
and `{{=...}}` expression tags are a feature this module does not implement.
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

OPEN = "{{"
CLOSE = "}}"


class TemplateError(ValueError):
    """Text that cannot be substituted."""


class UnresolvedTag(TemplateError):
    """A tag names a variable that does not exist in its scope (Argo refuses these too)."""


class UnsupportedTag(TemplateError):
    """A tag Argo understands but this module does not, like `{{=expr}}`."""


def _split(text: str) -> Iterator[tuple[str, str | None]]:
    """Yield (literal, raw tag or None) pieces of `text`, in order."""
    pos = 0
    while True:
        start = text.find(OPEN, pos)
        if start < 0:
            yield text[pos:], None
            return
        end = text.find(CLOSE, start + len(OPEN))
        if end < 0:
            # fasttemplate, which Argo uses, refuses a tag without its end.
            raise TemplateError(f"cannot find end tag {CLOSE!r} in {text!r}")
        yield text[pos:start], text[start + len(OPEN) : end]
        pos = end + len(CLOSE)


def _name(raw_tag: str) -> str:
    name = raw_tag.strip()
    if name.startswith("="):
        raise UnsupportedTag(f"expression tags like {{{{{raw_tag}}}}} are not supported")
    return name


def tag_names(text: str) -> list[str]:
    """The variable names of every tag in `text`, trimmed, in order."""
    return [_name(raw) for _, raw in _split(text) if raw is not None]


def substitute(text: str, lookup: Mapping[str, str] | Callable[[str], str | None]) -> str:
    """`text` with every tag replaced by its value, in a single pass.

    `lookup` maps a trimmed tag name to its value (a mapping, or a function
    returning None for unknown names).
    """
    get = lookup.get if isinstance(lookup, Mapping) else lookup
    out: list[str] = []
    for literal, raw in _split(text):
        out.append(literal)
        if raw is None:
            continue
        value = get(_name(raw))
        if value is None:
            raise UnresolvedTag(f"failed to resolve {{{{{raw}}}}}")
        out.append(value)
    return "".join(out)


def go_quote(text: str) -> str:
    """`text` as Go's strconv.Quote writes it, surrounding quotes included.

    Argo stores `workflow.failures` already quoted this way, so a pod receives
    the failures JSON as a quoted string literal (decode it twice); the local
    engine reproduces that exact shape.
    """
    short = {'"': '\\"', "\\": "\\\\", "\a": "\\a", "\b": "\\b", "\f": "\\f",
             "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in short:
            out.append(short[ch])
        elif ch == " " or ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)
