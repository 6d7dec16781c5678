"""The import paths from before the cluster engines became a package still name the same things.

Configuration, entry points of older installs and plugins name
`argo_scheduler.engines.argo.ArgoEngine`, `…engines.kubernetes.KubernetesEngine`,
`…engines.argo_secrets.KubernetesSecrets` and import `…engines.objects`'
helpers; each old module is a thin re-export of the one in engines/cluster/.
"""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint

import pytest
from traitlets.utils.importstring import import_item

OLD_PATHS = {
    "argo": ("argo_scheduler.engines.argo", "argo_scheduler.engines.cluster.argo",
             ["ArgoEngine", "ArgoNotFound", "ArgoServerError", "bearer", "normalise_host"]),
    "kubernetes": ("argo_scheduler.engines.kubernetes", "argo_scheduler.engines.cluster.kubernetes",
                   ["KubernetesApiError", "KubernetesEngine", "KubernetesNotFound"]),
    "objects": ("argo_scheduler.engines.objects", "argo_scheduler.engines.cluster.objects",
                ["ADMISSION_DENIED", "BACKOFF_MAX", "SUBMISSION_ERROR", "TRANSIENT_STATUSES", "check_names",
                 "cron_state", "managed_selector", "prepare", "replacement"]),
    "argo_secrets": ("argo_scheduler.engines.argo_secrets", "argo_scheduler.engines.cluster.secrets",
                     ["GRANT", "KubernetesSecrets"]),
}


@pytest.mark.parametrize("old, new, names", OLD_PATHS.values(), ids=OLD_PATHS.keys())
def test_an_old_module_path_names_the_same_objects(old, new, names):
    # GIVEN a module path of before the move, and the module that holds its names now
    moved = importlib.import_module(new)
    for name in names:
        # WHEN a configuration (a class path) or a plugin (an import) names something through it
        # THEN it is the very object the engines use now
        assert import_item(f"{old}.{name}") is getattr(moved, name), name


ENTRY_POINTS = {
    "argo": ("argo_scheduler.engines.argo:ArgoEngine", "argo_scheduler.engines.cluster.argo.ArgoEngine"),
    "kubernetes": ("argo_scheduler.engines.kubernetes:KubernetesEngine",
                   "argo_scheduler.engines.cluster.kubernetes.KubernetesEngine"),
}


@pytest.mark.parametrize("value, cls", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_an_entry_point_an_older_install_registered_loads_the_engine(value, cls):
    # GIVEN the entry point value an install from before the move wrote into its metadata
    point = EntryPoint(name=value.split(":")[1], value=value, group="argo_scheduler.engines")
    # WHEN it is loaded as the registry loads engines THEN it is the engine class of today
    assert point.load() is import_item(cls)
