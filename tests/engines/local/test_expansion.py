"""Kubernetes `$(VAR)` expansion, as the kubelet applies it to command, args and env."""

from __future__ import annotations

import pytest

from argo_scheduler.engines.local.expr.expansion import expand, expand_env


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(HOME)", "/home/me"),
        ("x$(HOME)y", "x/home/mey"),
        ("$(UNDEFINED)", "$(UNDEFINED)"),
        ("$(rm -rf ~); echo", "$(rm -rf ~); echo"),
        ("$$(HOME)", "$(HOME)"),
        ("cost: $$5", "cost: $5"),
        ("$5 and $x", "$5 and $x"),
        ("$(HOME", "$(HOME"),
        ("trailing $", "trailing $"),
        ("no dollars", "no dollars"),
    ],
    ids=[
        "defined", "embedded", "undefined-kept", "command-substitution-kept", "escaped-reference",
        "double-dollar-collapses", "lone-dollars-kept", "incomplete-kept", "trailing-dollar", "plain",
    ],
)
def test_expand(text, expected):
    # GIVEN a container env defining HOME
    # WHEN the kubelet's rule is applied
    # THEN only defined references and `$$` change
    assert expand(text, {"HOME": "/home/me"}) == expected


def test_env_values_see_only_earlier_entries():
    # GIVEN env entries referring to each other
    env = expand_env([("A", "a"), ("B", "$(A)-$(C)"), ("C", "c")])
    # THEN a reference to a later entry stays as written, like Kubernetes
    assert env == {"A": "a", "B": "a-$(C)", "C": "c"}
