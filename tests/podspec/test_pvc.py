"""The `pvc` mutator: claims mounted where JupyterLab sees them, named as KubeSpawner names them."""

from __future__ import annotations

import pytest
from kubernetes.client import V1HostPathVolumeSource, V1Volume, V1VolumeMount
from podspec_helpers import (
    DNS_LABEL,
    DNS_SUBDOMAIN,
    HARD_OWNER_IDS,
    HARD_OWNERS,
    assert_kubernetes_would_accept,
    job_pod,
    mutated,
    pod_dict,
    render,
    run_container,
    workflow_spec,
)
from traitlets import TraitError

from argo_scheduler.pod import main_container
from argo_scheduler.podspec.pvc import PVCPodSpecMutator

HOME_AND_ENVS = [
    {"claim_name": "claim-{username}", "mount_path": "/home/jovyan"},
    {"claim_name": "conda-store-share", "mount_path": "/opt/conda-envs", "sub_path": "envs", "read_only": True},
    {"claim_name": "jupyterhub-share", "mount_path": "/shared/{owner}", "sub_path": "home/{owner}"},
]


def claims_and_mounts(pod) -> tuple[list, list]:
    claims = [(v.name, v.persistent_volume_claim.claim_name) for v in pod.spec.volumes]
    mounts = [(m.name, m.mount_path, m.sub_path, m.read_only) for m in main_container(pod).volume_mounts]
    return claims, mounts


def test_default_mounts_the_zero_to_jupyterhub_home():
    # GIVEN the default configuration WHEN a job of "jovyan" is mutated
    pod = mutated([PVCPodSpecMutator()], owner="jovyan")
    # THEN the user's claim is mounted at /home/jovyan
    [(volume, claim)], [(name, path, sub_path, read_only)] = claims_and_mounts(pod)
    assert (claim, name, path, sub_path, read_only) == ("claim-jovyan", volume, "/home/jovyan", None, None)


@pytest.mark.parametrize(
    "owner, claim",
    [
        ("jovyan", "claim-jovyan"),
        ("ana.perez@example.com", "claim-ana-perez-example-com---3c6c5c25"),
        ("Zoë", "claim-zo---c6a12698"),
    ],
    ids=["plain", "email", "unicode"],
)
def test_username_is_kubespawners_safe_slug(owner, claim):
    # THEN the claim is the one Zero-to-JupyterHub >= 4 created for the user
    pod = mutated([PVCPodSpecMutator()], owner=owner)
    assert pod.spec.volumes[0].persistent_volume_claim.claim_name == claim


@pytest.mark.parametrize(
    "owner, claim",
    [("jovyan", "claim-jovyan"), ("ana.perez@example.com", "claim-ana-2eperez-40example-2ecom"),
     ("Zoë", "claim--5ao-c3-ab")],
    ids=["plain", "email", "unicode"],
)
def test_escaped_username_is_older_kubespawners_name(owner, claim):
    mutator = PVCPodSpecMutator(mounts=[{"claim_name": "claim-{escaped_username}", "mount_path": "/home/jovyan"}])
    assert mutated([mutator], owner=owner).spec.volumes[0].persistent_volume_claim.claim_name == claim


@pytest.mark.parametrize("owner", HARD_OWNERS, ids=HARD_OWNER_IDS)
def test_any_owner_gives_valid_claim_volume_names_and_paths(owner, argo_schema_validator):
    # GIVEN claims and paths templated with the owner
    mutator = PVCPodSpecMutator(mounts=HOME_AND_ENVS)
    # WHEN rendered
    manifest = render([mutator], owner=owner)
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    spec = workflow_spec(manifest)
    # THEN every claim name is a DNS subdomain and every volume name a DNS label
    for volume in spec["volumes"]:
        claim = volume["persistentVolumeClaim"]["claimName"]
        assert DNS_SUBDOMAIN.match(claim) and len(claim) <= 253, claim
        assert DNS_LABEL.match(volume["name"]), volume["name"]
    # AND each sub path is relative, one folder per owner, never climbing out
    for mount in run_container(manifest)["volumeMounts"]:
        sub_path = mount.get("subPath", "")
        assert not sub_path.startswith("/") and ".." not in sub_path.split("/")
        assert mount["mountPath"].startswith("/") and ".." not in mount["mountPath"].split("/")
    shared = next(m for m in run_container(manifest)["volumeMounts"] if m["mountPath"].startswith("/shared/"))
    assert shared["subPath"].count("/") == 1 and shared["mountPath"].count("/") == 2


def test_several_claims_with_sub_paths_and_read_only():
    pod = mutated([PVCPodSpecMutator(mounts=HOME_AND_ENVS)])
    claims, mounts = claims_and_mounts(pod)
    assert [c for _, c in claims] == ["claim-ana-perez-example-com---3c6c5c25", "conda-store-share", "jupyterhub-share"]
    assert [m[1:] for m in mounts] == [
        ("/home/jovyan", None, None),
        ("/opt/conda-envs", "envs", True),
        ("/shared/ana.perez@example.com", "home/ana.perez@example.com", None),
    ]


def test_one_claim_mounted_twice_is_one_volume():
    mutator = PVCPodSpecMutator(mounts=[
        {"claim_name": "jupyterhub-share", "mount_path": "/home/jovyan", "sub_path": "home/{owner}"},
        {"claim_name": "jupyterhub-share", "mount_path": "/shared", "sub_path": "shared", "read_only": True},
    ])
    claims, mounts = claims_and_mounts(mutated([mutator]))
    assert len(claims) == 1 and [m[0] for m in mounts] == [claims[0][0]] * 2


def test_mutating_twice_gives_the_same_pod():
    mutator = PVCPodSpecMutator(mounts=HOME_AND_ENVS)
    assert pod_dict(mutated([mutator], times=2)) == pod_dict(mutated([mutator]))


def test_replaces_an_earlier_mount_at_the_same_path_and_drops_its_volume():
    # GIVEN a pod where something mounted a host folder at /home/jovyan
    pod = job_pod()
    pod.spec.volumes = [V1Volume(name="old-home", host_path=V1HostPathVolumeSource(path="/srv/home"))]
    main_container(pod).volume_mounts = [V1VolumeMount(name="old-home", mount_path="/home/jovyan")]
    # WHEN the pvc mutator mounts the claim there
    mutated([PVCPodSpecMutator()], pod=pod)
    # THEN the claim is what the pod sees, and the unmounted volume is gone
    claims, mounts = claims_and_mounts(pod)
    assert [c for _, c in claims] == ["claim-ana-perez-example-com---3c6c5c25"]
    assert [(m[0], m[1]) for m in mounts] == [(claims[0][0], "/home/jovyan")]


@pytest.mark.parametrize("cron", [False, True], ids=["workflow", "cron-workflow"])
def test_rendered_manifest_is_valid_for_argo(argo_schema_validator, cron):
    manifest = render([PVCPodSpecMutator(mounts=HOME_AND_ENVS)], cron=cron)
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    # AND both the run and the failure recorder see the files
    for template in workflow_spec(manifest)["templates"]:
        if "container" in template:
            assert [m["mountPath"] for m in template["container"]["volumeMounts"]][0] == "/home/jovyan"


@pytest.mark.parametrize(
    "mounts, message",
    [
        ([{"mount_path": "/home/jovyan"}], "needs 'claim_name'"),
        ([{"claim_name": "c", "mount_path": "/x", "readonly": True}], "unknown key.*readonly"),
        ([{"claim_name": "c", "mount_path": "home"}], "must be an absolute path"),
        ([{"claim_name": "c", "mount_path": "/x", "sub_path": "../etc"}], "relative path without '..'"),
        ([{"claim_name": "c", "mount_path": "/x", "sub_path": "/abs"}], "relative path without '..'"),
        ([{"claim_name": "claim-{user}", "mount_path": "/x"}], r"uses \{user\}"),
        ([{"claim_name": "claim-{owner}", "mount_path": "/x"}], r"uses \{owner\}"),
        ([{"claim_name": "Claim_{username}", "mount_path": "/x"}], "valid Kubernetes name"),
        ([{"claim_name": "c", "mount_path": "/x", "read_only": "yes"}], "must be a bool"),
        ([{"claim_name": "c", "mount_path": "/x"}, {"claim_name": "d", "mount_path": "/x/"}], "more than once"),
        (["claim-{username}"], "expected a dict"),
        ([{"claim_name": "claim-{username", "mount_path": "/x"}], "not a valid template"),
    ],
    ids=["no-claim", "unknown-key", "relative-mount", "climbing-sub-path", "absolute-sub-path",
         "unknown-placeholder", "owner-in-claim", "invalid-claim", "non-bool", "same-path-twice", "not-a-dict",
         "broken-template"],
)
def test_a_wrong_mount_is_refused_when_the_config_loads(mounts, message):
    with pytest.raises(TraitError, match=message):
        PVCPodSpecMutator(mounts=mounts)


def test_a_job_without_owner_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="needs the job's owner"):
        mutated([PVCPodSpecMutator()], owner=None)
