"""Any subset of the built-in mutators, in any order, renders a workflow Argo and Kubernetes accept."""

from __future__ import annotations

import itertools

import pytest
from podspec_helpers import assert_kubernetes_would_accept, mutated, pod_dict, render

from argo_scheduler.podspec.hostpath import HostPathPodSpecMutator
from argo_scheduler.podspec.nebari import NebariPodSpecMutator
from argo_scheduler.podspec.pvc import PVCPodSpecMutator

NAMES = ("nebari", "pvc", "hostpath", "inherit")
SUBSETS = [c for n in range(len(NAMES) + 1) for c in itertools.combinations(NAMES, n)]
# Each subset in the listed order and reversed: the overlapping ones (pvc,
# hostpath and inherit all mount at /home/jovyan here) meet in both orders.
CASES = sorted({order for subset in SUBSETS for order in (subset, tuple(reversed(subset)))})


@pytest.fixture
def built_ins(make_inherit):
    def make(name: str):
        if name == "inherit":
            return make_inherit()
        if name == "pvc":
            return PVCPodSpecMutator(mounts=[
                {"claim_name": "claim-{username}", "mount_path": "/home/jovyan"},
                {"claim_name": "conda-store-share", "mount_path": "/opt/envs", "read_only": True},
            ])
        if name == "hostpath":
            return HostPathPodSpecMutator(mounts=[
                {"host_path": "/srv/jupyter/{username}", "mount_path": "/home/jovyan"},
                {"host_path": "/dev/shm", "mount_path": "/dev/shm", "type": ""},
            ])
        return NebariPodSpecMutator()

    return make


@pytest.mark.parametrize("order", CASES, ids=["+".join(c) or "none" for c in CASES])
@pytest.mark.parametrize("cron", [False, True], ids=["workflow", "cron"])
def test_every_combination_renders_a_valid_manifest(order, cron, built_ins, argo_schema_validator):
    mutators = [built_ins(name) for name in order]
    # WHEN a job (or a definition) is rendered with them in this order
    manifest = render(mutators, cron=cron)
    # THEN Argo's schema accepts it, and nothing in it clashes for Kubernetes
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    # AND the chain as a whole is idempotent
    assert pod_dict(mutated(mutators, times=2)) == pod_dict(mutated(mutators))
