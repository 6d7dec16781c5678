"""Kubernetes label selectors, for engines that filter runs themselves.

Supports what Kubernetes supports: comma-separated requirements, each
`key=value`, `key==value`, `key!=value`, `key`, `!key`, `key in (a,b)` or
`key notin (a,b)`; every requirement must hold. Like Kubernetes, `!=` and
`notin` also match runs that do not have the label at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

_KEY = r"[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?"
_EQUALITY = re.compile(rf"^\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*$")
_SET = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s*\(([^()]*)\)\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*$")
_SET_VALUE = re.compile(rf"^{_VALUE}$")


class SelectorError(ValueError):
    """Text that is not a label selector."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "in", "notin", "exists" or "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "!exists":
            return self.key not in labels
        if self.operator == "in":
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values


def _split_top_level(text: str) -> list[str]:
    # Commas separate requirements, except inside the parentheses of `in (a,b)`.
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse(selector: str) -> list[Requirement]:
    """The requirements of `selector`; an empty selector matches everything."""
    if not selector.strip():
        return []
    requirements = []
    for part in _split_top_level(selector):
        if m := _EQUALITY.match(part):
            op = "notin" if m.group(2) == "!=" else "in"
            requirements.append(Requirement(m.group(1), op, frozenset({m.group(3)})))
        elif m := _SET.match(part):
            values = [v.strip() for v in m.group(3).split(",")]
            if not all(_SET_VALUE.match(v) for v in values):
                raise SelectorError(f"invalid value in label selector requirement {part.strip()!r}")
            requirements.append(Requirement(m.group(1), m.group(2), frozenset(values)))
        elif m := _EXISTS.match(part):
            requirements.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
        else:
            raise SelectorError(
                f"cannot read {part.strip()!r} in label selector {selector!r}: expected "
                "key=value, key!=value, key, !key, key in (a,b) or key notin (a,b)"
            )
    return requirements


def matches(labels: Mapping[str, str], requirements: list[Requirement]) -> bool:
    return all(r.matches(labels) for r in requirements)
