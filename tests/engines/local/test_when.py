"""`when` expressions: the govaluate subset Argo manifests use, parsed, never eval()ed."""

from __future__ import annotations

import pytest

from argo_scheduler.engines.local.expr.when import WhenError, evaluate


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Failed != Succeeded", True),
        ("Succeeded != Succeeded", False),
        ("Succeeded == Succeeded", True),
        ('"Failed" != "Succeeded"', True),
        ('"Succeeded" != "Succeeded"', False),
        ("'Error' == 'Error'", True),
        ('Succeeded == "Succeeded"', True),
        ('"two words" == "two words"', True),
        ('"" == ""', True),
        ("1 == 1.0", True),
        ('1 == "1"', False),
        ("true", True),
        ("false", False),
        ("true == true", True),
        ("  Failed   !=Succeeded  ", True),
    ],
    ids=[
        "bare-ne-true", "bare-ne-false", "bare-eq", "quoted-ne", "quoted-ne-false",
        "single-quotes", "mixed-quoting", "spaces-in-quotes", "empty-strings",
        "numbers-compare-as-numbers", "number-is-not-string", "lone-true", "lone-false",
        "booleans", "odd-spacing",
    ],
)
def test_supported_expressions(expression, expected):
    # GIVEN an already-substituted expression in the supported subset
    # WHEN it is evaluated
    # THEN it gives govaluate's answer
    assert evaluate(expression) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "a == b && c == d",
        "a || b",
        "1 < 2",
        "a =~ b",
        "(a == b)",
        "my-step == x",
        "a == b == c",
        "Succeeded",
        "",
        "__import__('os').system('x') == 1",
        '"unterminated == x',
    ],
    ids=[
        "and", "or", "less-than", "regex", "parentheses", "dash-in-bare-word",
        "chained", "lone-word", "empty", "python-code", "unterminated-quote",
    ],
)
def test_anything_else_is_refused(expression):
    # GIVEN an expression outside the subset
    # WHEN it is evaluated
    # THEN it is refused with a message naming what is supported
    with pytest.raises(WhenError, match="supported"):
        evaluate(expression)
