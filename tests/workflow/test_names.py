"""Names and label values for any user text."""

import re

import pytest

from argo_scheduler.names import dns_slug, label_value, object_name

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
