"""Kubernetes' `$(VAR_NAME)` expansion in a container's command, args and env values.

The kubelet rewrites these strings before it starts a container: `$(NAME)`
becomes the value of the container's env var NAME (left as written when
there is no such var) and `$$` becomes `$` — so `$$(NAME)` is how a manifest
writes a literal `$(NAME)`. The local engine applies the same rule, so a
manifest whose user text would be altered in a real pod is altered here too,
instead of passing locally and breaking on a cluster.

A port of k8s.io/kubernetes third_party/forked/golang/expansion.Expand.
"""

from __future__ import annotations

from typing import Mapping


def expand(text: str, env: Mapping[str, str]) -> str:
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            following = text[cursor + 1 :]
            if following[0] == "$":
                # `$$` is an escaped `$`.
                out.append("$")
                advance = 1
            elif following[0] == "(":
                close = following.find(")", 1)
                if close < 0:
                    # Incomplete reference: kept as written.
                    out.append("$(")
                    advance = 1
                else:
                    name = following[1:close]
                    out.append(env[name] if name in env else f"$({name})")
                    advance = close + 1
            else:
                out.append("$" + following[0])
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    out.append(text[checkpoint:])
    return "".join(out)


def expand_env(entries: list[tuple[str, str]]) -> dict[str, str]:
    """A container's env, each value expanded against the entries defined before it."""
    env: dict[str, str] = {}
    for name, value in entries:
        env[name] = expand(value, env)
    return env
