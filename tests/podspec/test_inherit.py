"""The `inherit` mutator against a fake Kubernetes API serving a Zero-to-JupyterHub single-user pod."""

from __future__ import annotations

import socket

import pytest
from kubernetes.client import V1PersistentVolumeClaimVolumeSource, V1Volume, V1VolumeMount
from podspec_helpers import (
    LAB_NAMESPACE,
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
from argo_scheduler.podspec.inherit import InheritError, InheritPodSpecMutator
from argo_scheduler.kubeapi import KubeApiError

LAB_IMAGE = "quay.io/jupyter/scipy-notebook:2026-11-02"
HOME_VOLUME = "volume-ana-perez-example-com---3c6c5c25"


def env_of(pod) -> dict:
    return {e.name: e for e in main_container(pod).env or []}


def test_copies_what_makes_a_notebook_behave_as_in_jupyterlab(make_inherit):
    # GIVEN JupyterLab's pod read through the API
    mutator = make_inherit()
    # WHEN the job's pod is mutated
    pod = mutated([mutator])
    container = main_container(pod)
    # THEN the image and its pull secret are JupyterLab's
    assert container.image == LAB_IMAGE and container.image_pull_policy == "IfNotPresent"
    assert [s.name for s in pod.spec.image_pull_secrets] == ["image-pull-secret"]
    # AND the volumes come with their mounts, the service-account token excepted
    assert [v.name for v in pod.spec.volumes] == [HOME_VOLUME, "shared", "dshm"]
    assert pod.spec.volumes[0].persistent_volume_claim.claim_name == "claim-ana-perez-example-com---3c6c5c25"
    assert [(m.name, m.mount_path, m.sub_path) for m in container.volume_mounts] == [
        (HOME_VOLUME, "/home/jovyan", None),
        ("shared", "/home/jovyan/shared", "shared"),
        ("dshm", "/dev/shm", None),
    ]
    # AND scheduling and security settings are the same
    assert pod.spec.node_selector == {"hub.jupyter.org/node-purpose": "user"}
    assert [t.key for t in pod.spec.tolerations] == [
        "hub.jupyter.org/dedicated",
        "hub.jupyter.org_dedicated",
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ]
    assert pod.spec.security_context.fs_group == 100
    assert (container.security_context.run_as_user, container.security_context.run_as_group) == (1000, 100)
    assert container.security_context.allow_privilege_escalation is False


def test_env_keeps_references_and_drops_the_servers_credentials(make_inherit):
    env = env_of(mutated([make_inherit()]))
    # THEN plain values and references (Secret, field, resource) are copied
    assert env["JUPYTERHUB_USER"].value == "ana.perez@example.com"
    assert env["ANALYTICS_DB_PASSWORD"].value_from.secret_key_ref.to_dict() == {
        "name": "analytics-db", "key": "password", "optional": None,
    }
    assert env["POD_NAME"].value_from.field_ref.field_path == "metadata.name"
    # AND a resource reference names the job's container, not JupyterLab's
    assert env["NOTEBOOK_MEMORY_LIMIT"].value_from.resource_field_ref.container_name == "main"
    # AND the server's credentials stay behind, even when taken from a Secret
    for name in ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "ARGO_TOKEN"):
        assert name not in env
    # AND a secret-looking variable given by value does not enter the manifest
    assert "S3_SECRET_ACCESS_KEY" not in env


def test_never_copies_what_belongs_to_the_notebook_server(make_inherit):
    # GIVEN every category copied, the optional ones included
    mutator = make_inherit(include=["image", "env", "env_from", "volumes", "node_selector", "tolerations",
                                    "affinity", "security_context", "service_account", "resources"])
    pod = mutated([mutator])
    container = main_container(pod)
    # THEN command, args, ports, probes, lifecycle and limits are not JupyterLab's
    assert container.command is None and container.args is None
    assert container.ports is None and container.readiness_probe is None and container.lifecycle is None
    assert container.working_dir is None
    assert container.resources.limits is None
    # AND only cpu, memory requests are copied (a GPU needs limits, which are the server's)
    assert container.resources.requests == {"cpu": "500m", "memory": "1073741824"}
    # AND the pod-level server specifics stay behind
    assert pod.spec.init_containers is None and pod.spec.scheduler_name is None
    assert pod.spec.priority_class_name is None and pod.spec.node_name is None
    assert pod.spec.restart_policy == "Never"


def test_mutating_twice_gives_the_same_pod(make_inherit):
    mutator = make_inherit(include=["image", "env", "env_from", "volumes", "node_selector", "tolerations",
                                    "affinity", "security_context", "service_account", "resources"])
    assert pod_dict(mutated([mutator], times=2)) == pod_dict(mutated([mutator]))


@pytest.mark.parametrize("cron", [False, True], ids=["workflow", "cron-workflow"])
def test_rendered_manifest_is_valid_for_argo(make_inherit, argo_schema_validator, cron):
    manifest = render([make_inherit()], cron=cron)
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
    spec = workflow_spec(manifest)
    assert spec["securityContext"] == {"fsGroup": 100}
    assert run_container(manifest)["image"] == LAB_IMAGE
    # AND the builder's own variables are kept alongside the copied ones
    names = [e["name"] for e in run_container(manifest)["env"]]
    assert "JUPYTERHUB_USER" in names


def test_fills_in_and_never_overrides_what_is_already_set(make_inherit):
    # GIVEN a pod where the builder set a variable and an earlier mutator mounted the home
    pod = job_pod(env={"JUPYTERHUB_USER": "set-by-the-builder"})
    pod.spec.volumes = [V1Volume(name="home", persistent_volume_claim=V1PersistentVolumeClaimVolumeSource(
        claim_name="nfs-home"))]
    main_container(pod).volume_mounts = [V1VolumeMount(name="home", mount_path="/home/jovyan")]
    pod.spec.node_selector = {"hub.jupyter.org/node-purpose": "batch"}
    # WHEN inherit runs after them
    mutated([make_inherit()], pod=pod)
    # THEN their values stand
    assert env_of(pod)["JUPYTERHUB_USER"].value == "set-by-the-builder"
    assert [(m.name, m.mount_path) for m in main_container(pod).volume_mounts][0] == ("home", "/home/jovyan")
    assert pod.spec.node_selector == {"hub.jupyter.org/node-purpose": "batch"}
    # AND JupyterLab's home volume, which nothing mounts now, is not added
    assert HOME_VOLUME not in [v.name for v in pod.spec.volumes]
    assert "shared" in [v.name for v in pod.spec.volumes]


def test_a_volume_name_taken_by_another_volume_is_not_copied(make_inherit):
    # GIVEN the job's pod already has a different volume called "shared"
    pod = job_pod()
    pod.spec.volumes = [V1Volume(name="shared", persistent_volume_claim=V1PersistentVolumeClaimVolumeSource(
        claim_name="something-else"))]
    main_container(pod).volume_mounts = [V1VolumeMount(name="shared", mount_path="/data")]
    mutated([make_inherit()], pod=pod)
    # THEN JupyterLab's mount of its own "shared" is not pointed at the other volume
    mounts = {m.mount_path: m.name for m in main_container(pod).volume_mounts}
    assert "/home/jovyan/shared" not in mounts and mounts["/data"] == "shared"


INCLUDE_EXCLUDE = [
    (dict(exclude=["image"]), lambda pod: main_container(pod).image == "img:1" and not pod.spec.image_pull_secrets),
    (dict(exclude=["volumes"]), lambda pod: pod.spec.volumes is None and main_container(pod).volume_mounts is None),
    (dict(exclude=["env"]), lambda pod: main_container(pod).env is None),
    (dict(include=["tolerations"]), lambda pod: pod.spec.tolerations and main_container(pod).image == "img:1"
        and pod.spec.node_selector is None and pod.spec.security_context is None),
    (dict(include=["service_account"]), lambda pod: pod.spec.service_account_name == "jupyter-user"
        and pod.spec.automount_service_account_token is True),
    (dict(), lambda pod: pod.spec.service_account_name is None and pod.spec.affinity is None
        and main_container(pod).resources is None),
    (dict(include=["affinity"]), lambda pod: pod.spec.affinity.node_affinity is not None),
    (dict(include=["env"], env_include=["JUPYTERHUB_*"]), lambda pod: set(env_of(pod)) == {
        "JUPYTERHUB_ACTIVITY_URL", "JUPYTERHUB_ADMIN_ACCESS", "JUPYTERHUB_API_URL", "JUPYTERHUB_BASE_URL",
        "JUPYTERHUB_CLIENT_ID", "JUPYTERHUB_HOST", "JUPYTERHUB_OAUTH_ACCESS_SCOPES",
        "JUPYTERHUB_OAUTH_CALLBACK_URL", "JUPYTERHUB_SERVER_NAME", "JUPYTERHUB_SERVICE_PREFIX",
        "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_USER"}),
    (dict(include=["env"], env_exclude=["*_URL", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN"]),
     lambda pod: "JUPYTERHUB_API_URL" not in env_of(pod) and "ARGO_TOKEN" in env_of(pod)),
    (dict(include=["env"], env_value_exclude=[]), lambda pod: "S3_SECRET_ACCESS_KEY" in env_of(pod)
        and "JUPYTERHUB_API_TOKEN" not in env_of(pod)),
]


@pytest.mark.parametrize(
    "traits, check",
    INCLUDE_EXCLUDE,
    ids=["exclude-image", "exclude-volumes", "exclude-env", "include-only-tolerations", "include-service-account",
         "defaults-skip-sa-affinity-resources", "include-affinity", "env-include-pattern", "env-exclude-replaced",
         "env-value-exclude-off"],
)
def test_include_and_exclude_choose_what_is_copied(make_inherit, argo_schema_validator, traits, check):
    mutator = make_inherit(**traits)
    pod = mutated([mutator])
    assert check(pod)
    argo_schema_validator(render([mutator]))


@pytest.mark.parametrize("trait", ["include", "exclude"], ids=["include", "exclude"])
def test_an_unknown_category_is_refused_when_configured(trait):
    with pytest.raises(TraitError, match="choose from image, env"):
        InheritPodSpecMutator(**{trait: ["image", "volume_mounts"]})


def test_a_burst_of_submissions_reads_the_pod_once(make_inherit, kube):
    # GIVEN a prepared mutator WHEN five more submissions prepare it
    mutator = make_inherit()
    for _ in range(5):
        mutator.prepare()
    # THEN the API was asked once, with the bearer token
    assert kube.pod_reads() == 1
    pod_path = f"/api/v1/namespaces/{LAB_NAMESPACE}/pods/jupyter-ana-perez-example-com---3c6c5c25"
    assert kube.requests()[0].path == pod_path
    assert kube.requests()[0].authorization.startswith("Bearer ")


def test_without_a_cache_every_submission_reads_again(make_inherit, kube):
    mutator = make_inherit(cache_seconds=0)
    mutator.prepare()
    assert kube.pod_reads() == 2


def test_mutate_before_prepare_says_so(make_inherit):
    with pytest.raises(InheritError, match="prepare"):
        mutated([make_inherit(prepare=False)])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda kube, tmp: dict(token_file=str(_write(tmp, "wrong-token"))), "401 Unauthorized"),
        (lambda kube, tmp: dict(token_file=""), "401 Unauthorized"),
        (lambda kube, tmp: dict(pod_name="jupyter-bob"), r"pod jhub/jupyter-bob was not found \(404\).*pod_name"),
        (lambda kube, tmp: dict(namespace="other") , r"not found \(404\)"),
        (lambda kube, tmp: kube.forbid(namespace=LAB_NAMESPACE) or {}, r"403 Forbidden.*`get` on `pods`"),
        (lambda kube, tmp: dict(host=f"http://127.0.0.1:{_closed_port()}"), "cannot reach the Kubernetes API at"),
        (lambda kube, tmp: dict(token_file=str(tmp / "missing")), "cannot read the API token file"),
        (lambda kube, tmp: dict(host="", kubeconfig=str(tmp / "missing-kubeconfig")), "kubeconfig"),
        (lambda kube, tmp: dict(container_name="lab"), r"no container 'lab' \(it has notebook\)"),
    ],
    ids=["wrong-token", "no-token", "no-such-pod", "other-namespace", "forbidden", "unreachable",
         "token-file-missing", "kubeconfig-missing", "no-such-container"],
)
def test_prepare_fails_with_a_message_to_act_on(make_inherit, kube, tmp_path, setup, message):
    traits = setup(kube, tmp_path)
    with pytest.raises((KubeApiError, InheritError), match=message):
        make_inherit(**traits)


def test_outside_a_cluster_without_configuration_prepare_says_what_to_set(monkeypatch):
    # GIVEN no service account, no kubeconfig, no host
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    mutator = InheritPodSpecMutator(pod_name="jupyter-ana", namespace="jhub")
    with pytest.raises(KubeApiError, match="c.InheritPodSpecMutator.kubeconfig"):
        mutator.prepare()


def test_pod_name_and_namespace_default_from_the_pods_environment(monkeypatch):
    monkeypatch.setenv("HOSTNAME", "jupyter-ana")
    monkeypatch.setenv("POD_NAMESPACE", "jhub")
    mutator = InheritPodSpecMutator()
    assert (mutator.pod_name, mutator.namespace) == ("jupyter-ana", "jhub")


def test_a_failed_read_is_not_cached(make_inherit, kube, token_file, tmp_path):
    # GIVEN a mutator whose token is wrong
    mutator = make_inherit(prepare=False, token_file=str(_write(tmp_path, "wrong")))
    with pytest.raises(KubeApiError):
        mutator.prepare()
    # WHEN the token is fixed THEN the next submission reads and works
    mutator.token_file = token_file
    mutator.prepare()
    assert main_container(mutated([mutator])).image == LAB_IMAGE


def test_a_variable_jupyterlab_sets_twice_is_copied_once_with_the_last_value(make_inherit, kube, singleuser_pod):
    singleuser_pod = {**singleuser_pod, "spec": {**singleuser_pod["spec"]}}
    [container] = singleuser_pod["spec"]["containers"]
    container = {**container, "env": container["env"] + [{"name": "JUPYTERHUB_USER", "value": "later"}]}
    singleuser_pod["spec"]["containers"] = [container]
    kube.add_pod(singleuser_pod)
    env = main_container(mutated([make_inherit()])).env
    assert [e.value for e in env if e.name == "JUPYTERHUB_USER"] == ["later"]


def _write(tmp_path, text: str):
    path = tmp_path / f"token-{text}"
    path.write_text(text)
    return path



def test_warns_when_workflows_run_in_another_namespace(kube, token_file, singleuser_pod, make_scheduler, caplog):
    # GIVEN a server whose workflows run in a namespace other than JupyterLab's
    from traitlets.config import Config

    config = Config()
    config.ArgoScheduler.podspec_mutators = ["inherit"]
    config.ArgoScheduler.namespace = "jupyter-jobs"
    config.InheritPodSpecMutator.host = kube.url
    config.InheritPodSpecMutator.token_file = token_file
    config.InheritPodSpecMutator.namespace = LAB_NAMESPACE
    config.InheritPodSpecMutator.pod_name = singleuser_pod["metadata"]["name"]
    scheduler = make_scheduler(config)
    # WHEN jobs are built THEN one warning says the references must exist there too
    with caplog.at_level("WARNING"):
        scheduler.build_context()
        scheduler.build_context()
    warnings = [r.getMessage() for r in caplog.records if "InheritPodSpecMutator" in r.getMessage()]
    assert len(warnings) == 1 and "'jupyter-jobs'" in warnings[0] and "'jhub'" in warnings[0]
