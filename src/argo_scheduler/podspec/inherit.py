"""The `inherit` mutator: the job's pod dressed like the running JupyterLab pod.

What the Nebari workflow controller does from a webhook, done here before
the workflow exists: `prepare()` reads JupyterLab's own pod through the
Kubernetes API (once per `cache_seconds`), and `mutate()` copies the parts
that make a notebook behave as it does in JupyterLab — image, env, volumes
and their mounts, scheduling, security context — into the job's pod.

Never copied: what belongs to the notebook server rather than to the code
it runs — command, args, ports, probes, lifecycle hooks, init containers,
resource limits, the scheduler name — and the service-account token volume,
which Kubernetes mounts itself. Copying only fills in: anything the builder
or an earlier mutator set (a variable, a mount path, a field) is kept.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from traitlets import Float, List, TraitError, Unicode, default, validate

from .base import PodSpecMutator
from .edit import add_env, mount_paths
from ..kubeapi import SERVICE_ACCOUNT_DIR, Action, ApiAccess, call

if TYPE_CHECKING:
    from kubernetes.client import V1Container, V1Pod

    from ..spec import RunSpec

# What can be copied, and what is by default.
CATEGORIES = (
    "image",
    "env",
    "env_from",
    "volumes",
    "node_selector",
    "tolerations",
    "affinity",
    "security_context",
    "service_account",
    "resources",
)
DEFAULT_CATEGORIES = ("image", "env", "volumes", "node_selector", "tolerations", "security_context")
# Requests that describe a share of a node; extended resources (GPUs) need
# equal limits, which are the notebook server's to set, not the job's.
COPIED_REQUESTS = ("cpu", "memory", "ephemeral-storage")

NAMESPACE_FILE = SERVICE_ACCOUNT_DIR + "/namespace"
# KubeSpawner's name for the notebook server's container.
KUBESPAWNER_CONTAINER = "notebook"


class InheritError(RuntimeError):
    """The JupyterLab pod cannot be used as the model of the job's pod."""


@dataclass(frozen=True)
class _Source:
    key: tuple
    read_at: float
    pod: "V1Pod"
    container: "V1Container"


class InheritPodSpecMutator(PodSpecMutator):
    """Copies image, env, volumes, scheduling and security settings from the running JupyterLab pod."""

    pod_name = Unicode(
        config=True,
        help="""Name of the JupyterLab pod to copy. Default: $HOSTNAME (a pod's
        host name is its name).

            c.InheritPodSpecMutator.pod_name = "jupyter-ana"
        """,
    )

    @default("pod_name")
    def _default_pod_name(self) -> str:
        return os.environ.get("HOSTNAME", "")

    namespace = Unicode(
        config=True,
        help=f"""Namespace of the JupyterLab pod. Default: the service account's
        namespace ({NAMESPACE_FILE}), else $POD_NAMESPACE.

            c.InheritPodSpecMutator.namespace = "jupyterhub"
        """,
    )

    @default("namespace")
    def _default_namespace(self) -> str:
        try:
            with open(NAMESPACE_FILE, encoding="utf-8") as f:
                return f.read().strip()
        except OSError:
            return os.environ.get("POD_NAMESPACE", "")

    container_name = Unicode(
        "",
        config=True,
        help="""The container of the JupyterLab pod to copy. Default: "" —
        KubeSpawner's "notebook" when the pod has it, else the first container.

            c.InheritPodSpecMutator.container_name = "notebook"
        """,
    )

    kubeconfig = Unicode(
        "",
        config=True,
        help="""A kubeconfig file to reach the Kubernetes API with, for a server
        running outside the cluster. Default: "" (the in-cluster service
        account, or `host` when set).

            c.InheritPodSpecMutator.kubeconfig = "/home/ana/.kube/config"
        """,
    )

    host = Unicode(
        "",
        config=True,
        help="""URL of the Kubernetes API, used instead of the in-cluster
        configuration: `kubectl proxy` (no token needed) or a test server;
        kubeconfig wins when both are set. Default: "" (in-cluster).

            c.InheritPodSpecMutator.host = "http://127.0.0.1:8001"
        """,
    )

    token_file = Unicode(
        "",
        config=True,
        help="""File holding the bearer token sent to `host`; it is read at each
        fetch, so a rotated token is picked up. Default: "" (no token).

            c.InheritPodSpecMutator.token_file = "/var/run/secrets/tokens/api"
        """,
    )

    request_timeout = Float(
        10.0,
        config=True,
        help="""Seconds to wait for the Kubernetes API when reading the
        JupyterLab pod. Default: 10.

            c.InheritPodSpecMutator.request_timeout = 10
        """,
    )

    cache_seconds = Float(
        30.0,
        config=True,
        help="""How long the JupyterLab pod, once read, is reused, so a burst of
        submissions reads it once; 0 reads it for every submission. Default: 30.

            c.InheritPodSpecMutator.cache_seconds = 30
        """,
    )

    include = List(
        Unicode(),
        default_value=list(DEFAULT_CATEGORIES),
        config=True,
        help=f"""What to copy, from:
        {json.dumps(list(CATEGORIES))}.
        "image" brings imagePullSecrets along; "volumes" copies the volumes
        with the container's mounts of them; "security_context" the pod's and
        the container's; "service_account" the service account name and
        automountServiceAccountToken; "resources" only the cpu, memory and
        ephemeral-storage requests, never limits. Default:
        {json.dumps(list(DEFAULT_CATEGORIES))}
        — not "service_account" (Argo's executor needs its own RBAC on the
        pod's service account, and the job should not get JupyterLab's API
        rights), "resources" (a batch job's needs differ; compute types set
        them), "env_from" (whole Secrets, unfiltered) or "affinity".

            c.InheritPodSpecMutator.include = ["image", "env", "volumes", "service_account"]
        """,
    )

    exclude = List(
        Unicode(),
        default_value=[],
        config=True,
        help="""What not to copy, from the same names as `include`; applied after it.
        Default: [].

            c.InheritPodSpecMutator.exclude = ["image"]
        """,
    )

    env_include = List(
        Unicode(),
        default_value=["*"],
        config=True,
        help="""Names (shell-style patterns, case-sensitive) of the variables to
        copy. Default: ["*"].

            c.InheritPodSpecMutator.env_include = ["CONDA_*", "MY_APP_*"]
        """,
    )

    env_exclude = List(
        Unicode(),
        default_value=["JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "JUPYTERHUB_*TOKEN*", "ARGO_TOKEN"],
        config=True,
        help="""Names (shell-style patterns) of variables never copied, even
        from a Secret: the credentials of the notebook server, because the job
        must not act as the server. Default: ["JUPYTERHUB_API_TOKEN",
        "JPY_API_TOKEN", "JUPYTERHUB_*TOKEN*", "ARGO_TOKEN"].

            c.InheritPodSpecMutator.env_exclude = ["JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "AWS_*"]
        """,
    )

    env_value_exclude = List(
        Unicode(),
        default_value=["*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*API_KEY*", "*ACCESS_KEY*", "*PRIVATE_KEY*"],
        config=True,
        help="""Names (shell-style patterns) of variables not copied when
        JupyterLab's pod gives them by value: a secret must not be written into
        the workflow, where Argo stores and shows it. The same variables taken
        from a Secret (valueFrom) are copied, as references. Default:
        ["*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*API_KEY*",
        "*ACCESS_KEY*", "*PRIVATE_KEY*"].

            c.InheritPodSpecMutator.env_value_exclude = []
        """,
    )

    @validate("include", "exclude")
    def _known_categories(self, proposal):
        unknown = [c for c in proposal["value"] if c not in CATEGORIES]
        if unknown:
            raise TraitError(
                f"c.InheritPodSpecMutator.{proposal['trait'].name} names {', '.join(map(repr, unknown))}; "
                f"choose from {', '.join(CATEGORIES)}"
            )
        return proposal["value"]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._source: _Source | None = None
        self._warned: set[str] = set()

    @property
    def categories(self) -> list[str]:
        return [c for c in CATEGORIES if c in self.include and c not in self.exclude]

    # ---- prepare: the only I/O ---------------------------------------------

    def prepare(self) -> None:
        if not self.pod_name:
            raise InheritError("c.InheritPodSpecMutator.pod_name is not set and $HOSTNAME is empty")
        if not self.namespace:
            raise InheritError(
                f"c.InheritPodSpecMutator.namespace is not set, {NAMESPACE_FILE} is missing and "
                "$POD_NAMESPACE is empty"
            )
        access = ApiAccess(
            self.kubeconfig, self.host, self.token_file, self.request_timeout, settings="c.InheritPodSpecMutator"
        )
        key = (access, self.namespace, self.pod_name, self.container_name)
        # Held while reading: concurrent submissions wait for one read
        # instead of each reading the pod.
        with self._lock:
            source = self._source
            if source and source.key == key and time.monotonic() - source.read_at < self.cache_seconds:
                return
            pod = _read_pod(access, self.namespace, self.pod_name)
            self._source = _Source(key, time.monotonic(), pod, self._source_container(pod))
        self._warn_about_namespaces()

    def _source_container(self, pod: "V1Pod") -> "V1Container":
        containers = list(pod.spec.containers or [])
        wanted = self.container_name or KUBESPAWNER_CONTAINER
        for container in containers:
            if container.name == wanted:
                return container
        if not self.container_name and containers:
            return containers[0]
        names = ", ".join(c.name for c in containers) or "none"
        raise InheritError(
            f"pod {self.namespace}/{self.pod_name} has no container {wanted!r} (it has {names}): "
            "set c.InheritPodSpecMutator.container_name"
        )

    def _warn_about_namespaces(self) -> None:
        # Claims, Secrets, ConfigMaps and service accounts are namespaced: the
        # copies point at objects that must exist where the workflows run.
        workflows = getattr(self.parent, "namespace", None)
        referencing = {"env", "env_from", "volumes", "service_account"} & set(self.categories)
        if workflows and workflows != self.namespace and referencing:
            message = (
                f"InheritPodSpecMutator: JupyterLab runs in namespace {self.namespace!r} but workflows in "
                f"{workflows!r}; the claims, Secrets, ConfigMaps and service account its copied "
                f"{', '.join(sorted(referencing))} refer to must exist in {workflows!r} too"
            )
            if message not in self._warned:
                self._warned.add(message)
                self.log.warning(message)

    # ---- mutate: pure --------------------------------------------------------

    def mutate(self, pod: "V1Pod", job: "RunSpec") -> None:
        from ..pod import main_container

        source = self._source
        if source is None:
            raise InheritError("InheritPodSpecMutator.mutate() needs prepare() first, to read the JupyterLab pod")
        model, lab = source.pod, source.container
        categories = self.categories
        container = main_container(pod)
        if "image" in categories:
            self._copy_image(pod, model, lab)
        if "env" in categories:
            add_env(pod, self._env(lab))
        if "env_from" in categories:
            env_from = list(container.env_from or [])
            env_from += [copy.deepcopy(e) for e in lab.env_from or [] if e not in env_from]
            container.env_from = env_from or None
        if "volumes" in categories:
            self._copy_volumes(pod, model, lab)
        if "node_selector" in categories and model.spec.node_selector:
            pod.spec.node_selector = {**model.spec.node_selector, **(pod.spec.node_selector or {})}
        if "tolerations" in categories:
            tolerations = list(pod.spec.tolerations or [])
            tolerations += [copy.deepcopy(t) for t in model.spec.tolerations or [] if t not in tolerations]
            pod.spec.tolerations = tolerations or None
        if "affinity" in categories and pod.spec.affinity is None and model.spec.affinity is not None:
            pod.spec.affinity = copy.deepcopy(model.spec.affinity)
        if "security_context" in categories:
            pod.spec.security_context = _fill(pod.spec.security_context, model.spec.security_context)
            container.security_context = _fill(container.security_context, lab.security_context)
        if "service_account" in categories:
            if pod.spec.service_account_name is None:
                pod.spec.service_account_name = model.spec.service_account_name
            if pod.spec.automount_service_account_token is None:
                pod.spec.automount_service_account_token = model.spec.automount_service_account_token
        if "resources" in categories:
            self._copy_requests(container, lab)

    def _copy_image(self, pod: "V1Pod", model: "V1Pod", lab: "V1Container") -> None:
        from ..pod import main_container

        container = main_container(pod)
        container.image = lab.image
        if lab.image_pull_policy:
            container.image_pull_policy = lab.image_pull_policy
        secrets = list(pod.spec.image_pull_secrets or [])
        secrets += [copy.deepcopy(s) for s in model.spec.image_pull_secrets or [] if s not in secrets]
        pod.spec.image_pull_secrets = secrets or None

    def _env(self, lab: "V1Container") -> list:
        from ..pod import MAIN_CONTAINER

        # Kubernetes lets a later entry of a name win; keep first positions so
        # `$(VAR)` references to earlier variables still resolve.
        chosen: dict[str, Any] = {}
        for var in lab.env or []:
            chosen[var.name] = var
        copied = []
        for name, var in chosen.items():
            if not _matches(name, self.env_include) or _matches(name, self.env_exclude):
                continue
            if var.value_from is None and _matches(name, self.env_value_exclude):
                continue
            var = copy.deepcopy(var)
            field = var.value_from.resource_field_ref if var.value_from else None
            if field is not None and field.container_name == lab.name:
                field.container_name = MAIN_CONTAINER
            copied.append(var)
        return copied

    def _copy_volumes(self, pod: "V1Pod", model: "V1Pod", lab: "V1Container") -> None:
        from ..pod import main_container

        container = main_container(pod)
        ours = {v.name: v for v in pod.spec.volumes or []}
        taken_paths = mount_paths(pod)
        token_volumes = _service_account_token_volumes(model, lab)
        volumes, mounts = list(pod.spec.volumes or []), list(container.volume_mounts or [])
        for volume in model.spec.volumes or []:
            if volume.name in token_volumes:
                continue
            if volume.name in ours and ours[volume.name] != volume:
                continue  # the name is another volume's: its mounts would read the wrong files
            wanted = [m for m in lab.volume_mounts or [] if m.name == volume.name and m.mount_path not in taken_paths]
            if not wanted:
                continue  # a volume nothing mounts would still have to attach
            if volume.name not in ours:
                volumes.append(copy.deepcopy(volume))
                ours[volume.name] = volume
            for mount in wanted:
                mounts.append(copy.deepcopy(mount))
                taken_paths.add(mount.mount_path)
        pod.spec.volumes = volumes or None
        container.volume_mounts = mounts or None

    def _copy_requests(self, container: "V1Container", lab: "V1Container") -> None:
        from kubernetes.client import V1ResourceRequirements

        theirs = (lab.resources.requests if lab.resources else None) or {}
        resources = container.resources or V1ResourceRequirements()
        requests = dict(resources.requests or {})
        limits = resources.limits or {}
        for name in COPIED_REQUESTS:
            # A request above the job's own limit would be refused.
            if name in theirs and name not in requests and name not in limits:
                requests[name] = theirs[name]
        if requests:
            resources.requests = requests
            container.resources = resources


def _read_pod(access: ApiAccess, namespace: str, name: str) -> "V1Pod":
    api = access.core()
    return call(
        access,
        Action("get", "pods", namespace, name),
        lambda: api.read_namespaced_pod(name, namespace, _request_timeout=access.timeout),
        not_found=(
            "set c.InheritPodSpecMutator.pod_name and c.InheritPodSpecMutator.namespace to JupyterLab's pod "
            "(defaults: $HOSTNAME and the service account's namespace)"
        ),
    )


def _matches(name: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _service_account_token_volumes(model: "V1Pod", lab: "V1Container") -> set[str]:
    """Volumes of the API token Kubernetes injects (`kube-api-access-*`): it injects its own into the job's pod."""
    names = {m.name for m in lab.volume_mounts or [] if m.mount_path.rstrip("/") == SERVICE_ACCOUNT_DIR}
    for volume in model.spec.volumes or []:
        sources = volume.projected.sources if volume.projected else None
        if volume.name.startswith("kube-api-access-") or any(s.service_account_token for s in sources or []):
            names.add(volume.name)
    return names


def _fill(ours, theirs):
    """`ours` with its unset fields taken from `theirs` (a copy of `theirs` when `ours` is None)."""
    if theirs is None:
        return ours
    if ours is None:
        return copy.deepcopy(theirs)
    for attribute in ours.openapi_types:
        if getattr(ours, attribute) is None and getattr(theirs, attribute) is not None:
            setattr(ours, attribute, copy.deepcopy(getattr(theirs, attribute)))
    return ours
