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


def test_every_hook_is_documented_in_writing_a_plugin():
    from argo_scheduler import hookspecs

    guide = (DOCS / "writing-a-plugin.md").read_text()
    hooks = [name for name in vars(hookspecs) if name.startswith("argo_scheduler_")]
    assert hooks
    for hook in hooks:
        assert f"`{hook}()`" in guide, f"hook {hook} is not documented in docs/writing-a-plugin.md"


def _builtin_plugins():
    from argo_scheduler.plugins import notifiers, podspec_mutators

    found = {**podspec_mutators(), **notifiers()}
    return sorted(name for name, plugin in found.items() if plugin.provider.startswith("argo-scheduler "))


@pytest.mark.parametrize("name", _builtin_plugins(), ids=_builtin_plugins())
def test_every_built_in_plugin_has_a_page_with_a_config_snippet(name):
    page = DOCS / "plugins" / f"{name}.md"
    assert page.exists(), f"built-in plugin {name!r} has no docs/plugins/{name}.md"
    assert f'"{name}"' in page.read_text(), f"docs/plugins/{name}.md shows no config selecting {name!r}"


@pytest.mark.parametrize("group", ["argo_scheduler", "argo_scheduler.engines"], ids=["plugins", "engines"])
def test_every_entry_point_of_the_distribution_is_documented(group):
    from importlib.metadata import distribution

    pyproject = (DOCS.parent / "pyproject.toml").read_text()
    guide = (DOCS / "writing-a-plugin.md").read_text()
    engines = (DOCS / "engines.md").read_text()
    points = [ep for ep in distribution("argo-scheduler").entry_points if ep.group == group]
    assert points
    for ep in points:
        assert ep.name in pyproject and ep.group in guide
        # An engine's name is what c.ArgoScheduler.engine takes: engines.md shows each.
        assert group != "argo_scheduler.engines" or f"`{ep.name}`" in engines, ep.name


def test_every_image_and_page_the_docs_link_exists():
    # GIVEN every relative link of the docs and the README (screenshots included)
    pages = [*DOCS.rglob("*.md"), DOCS.parent / "README.md"]
    missing = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            # THEN what it links to is in the repository
            if not (page.parent / target).exists():
                missing.append(f"{page.relative_to(DOCS.parent)} -> {target}")
    assert not missing, missing
