"""Every installed PodSpecMutator and Notifier — built-in or not — keeps the plugin contract."""

from __future__ import annotations

import copy
import json
import re

import pytest
from traitlets.config import Config

from argo_scheduler.notifiers.base import Notifier
from argo_scheduler.plugins import notifiers, podspec_mutators
from argo_scheduler.pod import PodContext, make_pod
from argo_scheduler.podspec.base import PodSpecMutator
from argo_scheduler.spec import RunSpec

MUTATORS = podspec_mutators()
NOTIFIERS = notifiers()
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
JOB = RunSpec(
    name="report", input_filename="report.ipynb", input_path="/home/jovyan/.staging/j/report.ipynb",
    staging_path="/home/jovyan/.staging", job_id="0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d",
    owner="ana.perez@example.com", db_url="sqlite:////home/jovyan/.local/share/jupyter/scheduler.sqlite",
)


def _config_traits(cls):
    return {name: trait for name, trait in cls.class_traits(config=True).items()}


@pytest.mark.parametrize("name", list(MUTATORS) + list(NOTIFIERS), ids=list(MUTATORS) + list(NOTIFIERS))
def test_name_class_and_documented_traits(name):
    plugin = MUTATORS.get(name) or NOTIFIERS[name]
    # THEN the name is kebab-case and the class is a <Variant><Role>
    assert KEBAB.match(name)
    role = "PodSpecMutator" if plugin.kind == "podspec-mutator" else "Notifier"
    assert issubclass(plugin.cls, PodSpecMutator if role == "PodSpecMutator" else Notifier)
    assert plugin.cls.__name__.endswith(role) and plugin.cls.__name__ != role
    # AND every configurable trait says its default and how to set it
    for trait_name, trait in _config_traits(plugin.cls).items():
        owner = next(c for c in plugin.cls.__mro__ if trait_name in c.__dict__)
        assert "Default" in (trait.help or ""), f"{owner.__name__}.{trait_name} help must state its default"
        assert f"c.{owner.__name__}.{trait_name} = " in trait.help, f"{owner.__name__}.{trait_name} needs a config line"


@pytest.mark.parametrize("name", list(MUTATORS), ids=list(MUTATORS))
def test_mutators_are_idempotent(name):
    mutator = MUTATORS[name].cls()
    try:
        mutator.prepare()
    except Exception as error:
        # Mutators that read a cluster cannot prepare here; they must say why,
        # and their own suite proves idempotence against a fake API.
        assert str(error), f"{name}.prepare() failed without a message"
        return
    once = make_pod(PodContext(image="img:1", labels={"app.kubernetes.io/managed-by": "argo-scheduler"}))
    mutator.mutate(once, JOB)
    twice = copy.deepcopy(once)
    mutator.mutate(twice, JOB)
    assert twice.to_dict() == once.to_dict()


@pytest.mark.parametrize("name", list(NOTIFIERS), ids=list(NOTIFIERS))
def test_notifier_config_travels_to_the_pod_as_json(name):
    cls = NOTIFIERS[name].cls
    server_half = cls()
    config = server_half.pod_config()
    # THEN the pod half is rebuilt from JSON with the same settings
    pod_half = cls(config=Config({cls.__name__: json.loads(json.dumps(config))}))
    assert pod_half.pod_config() == config
    # AND it listens to the events it was configured for
    assert pod_half.wants({"status": "COMPLETED"}) == ("success" in pod_half.events)
    assert pod_half.wants({"status": "FAILED"}) == ("failure" in pod_half.events)
