"""`{username}` expands as KubeSpawner names a user's claims; `{owner}` is one folder per owner."""

from __future__ import annotations

import pytest

from argo_scheduler.podspec.usernames import (
    check_template,
    expand,
    kubespawner_escaped,
    kubespawner_safe_slug,
    path_segment,
)

# KubeSpawner's own expected slugs (its tests/test_slugs.py): the claim a
# Zero-to-JupyterHub >= 4 hub made is found only if these match exactly.
KUBESPAWNER_SAFE = [
    ("jupyter-alex", "jupyter-alex"),
    ("jupyter-Alex", "jupyter-alex---3a1c285c"),
    ("jupyter-üni", "jupyter-ni---a5aaf5dd"),
    ("endswith-", "endswith---165f1166"),
    ("-start", "start---f587e2dc"),
    ("username--servername", "username-servername---d957f1de"),
    ("start---f587e2dc", "start-f587e2dc---cc5bb9c9"),
    ("x" * 63, "x" * 63),
    ("x" * 64, "xxxxxxxxxxxxxxxxxxxxx---7ce10097"),
    ("", "x---e3b0c442"),
]


@pytest.mark.parametrize(
    "name, slug", KUBESPAWNER_SAFE,
    ids=["valid", "capital", "non-ascii", "trailing-dash", "leading-dash", "double-dash", "hash-like", "x63", "x64",
         "empty"],
)
def test_safe_slug_matches_kubespawner(name, slug):
    assert kubespawner_safe_slug(name) == slug


@pytest.mark.parametrize(
    "name, escaped",
    [("jovyan", "jovyan"), ("user@email.com", "user-40email-2ecom"), ("Zoë", "-5ao-c3-ab"), ("a-b", "a-2db")],
    ids=["plain", "email", "unicode", "dash"],
)
def test_escaped_matches_kubespawners_legacy_scheme(name, escaped):
    assert kubespawner_escaped(name) == escaped


@pytest.mark.parametrize(
    "owner, segment",
    [("ana.perez@example.com", "ana.perez@example.com"), ("Zoë", "Zoë"), ("a/b", "a%2Fb"), ("a%2Fb", "a%252Fb"),
     ("..", "%2E%2E"), (".", "%2E"), ("tab\there", "tab%09here")],
    ids=["email", "unicode", "slash", "percent", "dotdot", "dot", "control"],
)
def test_owner_is_one_folder_and_distinct_owners_stay_distinct(owner, segment):
    assert path_segment(owner) == segment
    assert "/" not in path_segment(owner)


def test_expand_fills_every_placeholder():
    text = expand("{username}|{escaped_username}|{owner}", "Ana.Perez@example.com", "test")
    assert text == "ana-perez-example-com---5f4b85d5|-41na-2e-50erez-40example-2ecom|Ana.Perez@example.com"


def test_a_template_without_placeholders_needs_no_owner():
    assert expand("/srv/envs", None, "test") == "/srv/envs"


@pytest.mark.parametrize(
    "template, allowed, message",
    [("claim-{user}", ("username",), r"uses \{user\}; it may use \{username\}"),
     ("claim-{username", ("username",), "not a valid template"),
     ("{0}", ("username",), r"uses \{0\}")],
    ids=["unknown", "unclosed", "positional"],
)
def test_a_bad_template_is_refused(template, allowed, message):
    with pytest.raises(ValueError, match=message):
        check_template(template, "c.X.y", allowed)
