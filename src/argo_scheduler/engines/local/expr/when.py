"""Argo `when` conditions, in the small form manifests use: `A == B`, `A != B`.

Argo evaluates `when` (after substitution) with govaluate, first turning
bare words into strings so that `Failed != Succeeded` needs no quotes. This
module accepts exactly that subset: one comparison of two operands, or a
lone `true` / `false`. An operand is a quoted string ("..." or '...'), a
number, `true` / `false`, or a bare word of letters, digits, `_` and `.`.
Anything else (`&&`, `<`, `=~`, parentheses, a `-` in a bare word) is refused
with a message saying so — it is parsed here, never handed to eval().
"""

from __future__ import annotations

import re
from typing import Union

Operand = Union[str, float, bool]


class WhenError(ValueError):
    """A `when` expression outside the supported subset, or not an expression at all."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op>==|!=)
      | "(?P<dq>[^"]*)"
      | '(?P<sq>[^']*)'
      | (?P<num>[0-9]+(?:\.[0-9]+)?)(?![A-Za-z0-9_.])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)

_SUPPORTED = "only `A == B`, `A != B` or a lone true/false are supported"


def _tokens(expression: str) -> list[tuple[str, Operand]]:
    tokens: list[tuple[str, Operand]] = []
    pos = 0
    text = expression.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            rest = text[pos:].lstrip()
            raise WhenError(
                f"when {expression!r}: cannot read {rest[:20]!r}; {_SUPPORTED} "
                "(quote operands that contain other characters)"
            )
        pos = match.end()
        if match.group("op"):
            tokens.append(("op", match.group("op")))
        elif match.group("dq") is not None:
            tokens.append(("operand", match.group("dq")))
        elif match.group("sq") is not None:
            tokens.append(("operand", match.group("sq")))
        elif match.group("num") is not None:
            tokens.append(("operand", float(match.group("num"))))
        else:
            word = match.group("word")
            # govaluate keeps true/false as booleans; every other bare word
            # becomes a string (Argo rewrites variables into strings).
            tokens.append(("operand", {"true": True, "false": False}.get(word, word)))
    return tokens


def _same(left: Operand, right: Operand) -> bool:
    # govaluate compares with reflect.DeepEqual: a string never equals a number.
    # (bool is a subclass of int in Python, hence the explicit type check.)
    return type(left) is type(right) and left == right


def evaluate(expression: str) -> bool:
    """The truth of an already-substituted `when` expression."""
    tokens = _tokens(expression)
    kinds = [kind for kind, _ in tokens]
    if kinds == ["operand"] and isinstance(tokens[0][1], bool):
        return bool(tokens[0][1])
    if kinds != ["operand", "op", "operand"]:
        raise WhenError(f"when {expression!r}: {_SUPPORTED}")
    (_, left), (_, op), (_, right) = tokens
    return _same(left, right) if op == "==" else not _same(left, right)


def check(expression: str) -> None:
    """Raise WhenError unless `expression` has a supported shape (its result does not matter)."""
    evaluate(expression)
