"""Names and label values for any user text."""

import hashlib
import re

import pytest

from argo_scheduler.names import annotation_text, annotation_value, check_name, dns_slug, label_value, object_name

DNS = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
TEXTS = ["Hello World", "---", "", "日本語", "Zoë's notebook (v2).ipynb", "a" * 300, "UPPER_case.ipynb", "-x-"]


@pytest.mark.parametrize("text", TEXTS, ids=[f"t{i}" for i in range(len(TEXTS))])
def test_slug_is_dns_and_never_empty(text):
    slug = dns_slug(text, 20)
    assert DNS.fullmatch(slug) and len(slug) <= 20


@pytest.mark.parametrize("text", TEXTS, ids=[f"t{i}" for i in range(len(TEXTS))])
def test_object_name_keeps_the_id(text):
    name = object_name(text, "0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d")
    assert DNS.fullmatch(name) and len(name) <= 63 and name.endswith("0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d")


def test_object_name_refuses_an_unsafe_id():
    with pytest.raises(ValueError):
        object_name("x", "not safe!")


@pytest.mark.parametrize("text", TEXTS + ["user@example.com", "a.b_c-d"], ids=[f"t{i}" for i in range(len(TEXTS) + 2)])
def test_label_value_is_valid(text):
    value = label_value(text)
    assert LABEL.fullmatch(value) and len(value) <= 63


def test_label_value_keeps_valid_text_and_disambiguates_altered_text():
    assert label_value("a.b_c-d") == "a.b_c-d"
    assert label_value("a@b") != label_value("a-b") and label_value("a@b") != label_value("a#b")


@pytest.mark.parametrize(
    "one, other",
    [
        ("Zoë", "Zoe-c6a12698"),  # label_value("Zoë") spelled out
        ("@@", "x3330e5ba"),  # label_value("@@") spelled out
        ("ana@example.com", "ana-example.com-" + label_value("ana@example.com")[-8:]),
    ],
    ids=["folded", "nothing-left", "email"],
)
def test_an_owner_named_like_another_owners_label_gets_another_label(one, other):
    # GIVEN an owner whose name had to be altered, and one named exactly like the result
    assert label_value(one) == other
    # WHEN both are made label values THEN they differ, and both are valid
    assert label_value(other) != label_value(one)
    assert all(LABEL.fullmatch(label_value(t)) and len(label_value(t)) <= 63 for t in (one, other))


def test_label_values_are_distinct_over_a_corpus_of_lookalikes():
    # GIVEN names that fold, clip or hash towards one another
    base = ["Zoë", "Zoe", "zoe", "ZOE", "Zoé", "Zoe-", "Zoe_", "Zoe.", "x", "@@", "@", "a" * 63, "a" * 64, "a" * 70]
    corpus = set(base) | {label_value(t) for t in base} | {label_value(label_value(t)) for t in base}
    # WHEN each becomes a label value THEN no two distinct names share one
    values = {}
    for text in corpus:
        assert values.setdefault(label_value(text), text) == text, (text, values[label_value(text)])


@pytest.mark.parametrize("text", ["alice", "ana.b_c-d", "u1000", "Zoë", "ana@example.com", "@@"])
def test_existing_owners_labels_stay_as_they_were(text):
    # GIVEN owners whose workflows already carry an owner label WHEN labelled again THEN the same value
    # (plain names as they are; altered ones with the slug and hash they had)
    expected = {"Zoë": "Zoe-c6a12698", "@@": "x3330e5ba",
                "ana@example.com": "ana-example.com-" + hashlib.sha256(b"ana@example.com").hexdigest()[:8]}
    assert label_value(text) == expected.get(text, text)


@pytest.mark.parametrize(
    "text", ["plain", "{{workflow.name}}", "{{=sprig.repeat(3,'x')}}", "{{", "100%", "%7B", "}}{{", "Zoë\n{"],
)
def test_annotation_values_hold_no_template_tag_and_give_the_text_back(text):
    value = annotation_value(text)
    assert "{" not in value and "}" not in value
    assert annotation_text(value) == text


@pytest.mark.parametrize(
    "value, ok",
    [
        ("jupyter-jobs", True),
        ("my.secret-1", True),
        ("a" * 253, True),
        ("a" * 254, False),
        ("Upper", False),
        ("a..b", False),
        ("a.-b", False),
        ("-a", False),
        ("x/../y", False),
        ("", False),
        (None, False),
    ],
    ids=["plain", "dotted", "longest", "too-long", "upper", "empty-label", "dash-after-dot", "leading-dash",
         "a-path", "empty", "not-a-string"],
)
def test_check_name_takes_exactly_what_kubernetes_takes_as_a_name(value, ok):
    # GIVEN a would-be object name
    # WHEN it is checked
    # THEN a DNS-1123 subdomain of at most 253 characters passes, whole, and anything else is refused naming it
    if ok:
        assert check_name(value, "namespace") == value
    else:
        with pytest.raises(ValueError, match=r"is not a valid Kubernetes namespace"):
            check_name(value, "namespace")
