"""Every configurable trait is documented, and the reference is current."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATE = _generator()
TRAITS = [
    (cls, name, trait)
    for cls in GENERATE.configurable_classes()
    for name, trait in GENERATE.own_config_traits(cls).items()
]


def test_there_are_configurable_traits_to_check():
    assert len(TRAITS) >= 5


@pytest.mark.parametrize(
    "cls, name, trait", TRAITS, ids=[f"{cls.__name__}.{name}" for cls, name, _ in TRAITS]
)
def test_trait_help_states_the_default_and_shows_a_config_line(cls, name, trait):
    # GIVEN a configurable trait THEN its help states the default and shows how to set it
    help_text = trait.help or ""
    assert re.search(r"\bDefault\b", help_text), f"{cls.__name__}.{name}: help must state the default"
    assert f"c.{cls.__name__}.{name} = " in help_text, f"{cls.__name__}.{name}: help must show c.{cls.__name__}.{name} = …"


def test_configuration_reference_is_generated_from_the_current_traits():
    # WHEN the reference is rendered THEN docs/configuration.md matches it
    assert (DOCS / "configuration.md").read_text() == GENERATE.render(), (
        "docs/configuration.md is out of date: run python docs/generate.py"
    )
