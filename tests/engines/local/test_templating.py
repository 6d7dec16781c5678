"""Argo `{{...}}` substitution: one pass, trimmed names, Argo's refusal for unknown names."""

from __future__ import annotations

import json

import pytest

from argo_scheduler.engines.local.expr.templating import (
    TemplateError,
    UnresolvedTag,
    UnsupportedTag,
    go_quote,
    substitute,
    tag_names,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{workflow.name}}", "wf-1"),
        ("--name={{workflow.name}}!", "--name=wf-1!"),
        ("{{ workflow.name }}", "wf-1"),
        ("{{workflow.name}}/{{inputs.parameters.x}}", "wf-1/a b"),
        ("no tags at all }}", "no tags at all }}"),
        ("", ""),
    ],
    ids=["whole", "embedded", "whitespace-trimmed", "two-tags", "lone-closer", "empty"],
)
def test_substitute_replaces_tags(text, expected):
    # GIVEN a scope with two variables
    scope = {"workflow.name": "wf-1", "inputs.parameters.x": "a b"}
    # WHEN the text is substituted
    # THEN every tag is replaced by its value and nothing else changes
    assert substitute(text, scope) == expected


def test_values_are_not_rescanned():
    # GIVEN a value that looks like a tag itself
    scope = {"workflow.parameters.spec": "{{workflow.name}}", "workflow.name": "wf-1"}
    # WHEN it is substituted
    # THEN it arrives as written: substitution is a single pass
    assert substitute("{{workflow.parameters.spec}}", scope) == "{{workflow.name}}"


def test_unknown_variable_is_refused_in_argos_words():
    # GIVEN a tag no scope defines
    # WHEN it is substituted
    # THEN it fails like Argo does
    with pytest.raises(UnresolvedTag, match=r"failed to resolve \{\{workflow\.nope\}\}"):
        substitute("x {{workflow.nope}}", {"workflow.name": "wf"})


def test_unterminated_tag_is_refused():
    with pytest.raises(TemplateError, match="end tag"):
        tag_names("{{workflow.name")


def test_expression_tags_are_unsupported():
    with pytest.raises(UnsupportedTag):
        tag_names("{{=sprig.upper(workflow.name)}}")


def test_tag_names_lists_trimmed_names():
    assert tag_names("a {{ x.y }} b {{z}}") == ["x.y", "z"]


@pytest.mark.parametrize(
    "text",
    ['[{"message":"Error (exit code 1)"}]', "null", 'tab\tnew\nline "q" back\\slash', "Zoë 日本 🎉"],
    ids=["failures-json", "null", "escapes", "unicode"],
)
def test_go_quote_is_a_json_string_literal(text):
    # GIVEN text as Argo quotes `workflow.failures` (strconv.Quote)
    # WHEN the quoted form is read as a JSON string
    # THEN the original text comes back (printable unicode is kept as is, like Go)
    quoted = go_quote(text)
    assert quoted.startswith('"') and quoted.endswith('"')
    assert json.loads(quoted) == text
    assert "日本" in go_quote("日本")
