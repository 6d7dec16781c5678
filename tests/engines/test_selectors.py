"""Label selectors, as the local engine filters runs with them."""

from __future__ import annotations

import pytest

from argo_scheduler.engines.selectors import SelectorError, matches, parse

LABELS = {"argo-scheduler/job-id": "abc", "app.kubernetes.io/managed-by": "argo-scheduler"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("argo-scheduler/job-id=abc", True),
        ("argo-scheduler/job-id==abc", True),
        ("argo-scheduler/job-id=abc,app.kubernetes.io/managed-by=argo-scheduler", True),
        (" argo-scheduler/job-id = abc , app.kubernetes.io/managed-by=argo-scheduler ", True),
        ("argo-scheduler/job-id=abd,app.kubernetes.io/managed-by=argo-scheduler", False),
        ("argo-scheduler/job-id!=abc", False),
        ("argo-scheduler/job-definition-id!=x", True),
        ("argo-scheduler/job-id", True),
        ("!argo-scheduler/job-id", False),
        ("!argo-scheduler/job-definition-id", True),
        ("argo-scheduler/job-id in (x, abc)", True),
        ("argo-scheduler/job-id in (x,y),app.kubernetes.io/managed-by=argo-scheduler", False),
        ("argo-scheduler/job-id notin (x,y)", True),
        ("", True),
    ],
    ids=[
        "equal", "double-equal", "two-requirements", "spaces", "one-of-two-fails", "not-equal",
        "not-equal-missing-label", "exists", "not-exists-false", "not-exists-true", "in",
        "in-and-equal", "notin", "empty-matches-all",
    ],
)
def test_selector_matches(selector, expected):
    assert matches(LABELS, parse(selector)) is expected


@pytest.mark.parametrize(
    "selector",
    ["a=b=c", "a in b", "=x", "a>1", "a in (b c)"],
    ids=["two-equals", "in-without-parentheses", "no-key", "greater-than", "space-in-set"],
)
def test_invalid_selectors_are_refused(selector):
    with pytest.raises(SelectorError):
        parse(selector)
