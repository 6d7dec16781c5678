"""ArgoEnvironmentManager: the environments and compute types the UI offers.

Enable it with::

    c.SchedulerApp.environment_manager_class = "argo_scheduler.environments.ArgoEnvironmentManager"

Sources, in this order (the first to offer a name keeps it): container
images, conda-store environments, local kernelspecs.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABCMeta

from jupyter_scheduler.environments import EnvironmentManager
from jupyter_scheduler.models import RuntimeEnvironment
from traitlets import Bool, Dict, Float, List, MetaHasTraits, TraitError, Unicode, default, validate
from traitlets.config import LoggingConfigurable

from .compute import ComputeType, parse_compute_type
from .conda_store import CondaStoreError, CondaStoreSource
from .formats import DEFAULT_OUTPUT_FORMATS, check_formats, output_formats_mapping
from .images import image_environment
from .kernelspecs import kernelspec_environments
from .model import Environment, EnvironmentNotFound
from .server_config import server_config


class _ConfigurableABCMeta(MetaHasTraits, ABCMeta):
    """traitlets' metaclass and EnvironmentManager's ABCMeta, which Python will not pick between."""


class ArgoEnvironmentManager(LoggingConfigurable, EnvironmentManager, metaclass=_ConfigurableABCMeta):
    """Environments for argo_scheduler jobs: images, conda-store environments, kernelspecs."""

    images = Dict(
        config=True,
        help="""Container images offered as environments: name -> {"image"
        (required), "kernel" (default: the notebook's own), "label",
        "description", "image_pull_secret", "working_dir", "env" (dict),
        "compute_types" (names; default: all), "default_compute_type",
        "output_formats" (default: output_formats)}. Default: {} (none).

            c.ArgoEnvironmentManager.images = {"gpu-torch": {"image": "registry.example.com/ml/torch:2026.11", "kernel": "python3", "compute_types": ["gpu-1"], "default_compute_type": "gpu-1"}}
        """,
    )

    compute_types = Dict(
        config=True,
        help="""Compute types for the UI's compute type field: name ->
        {"cpu_request", "cpu_limit", "memory_request", "memory_limit",
        "gpus" (int), "gpu_resource" (default "nvidia.com/gpu"; any extended
        resource), "node_selector" (dict), "tolerations" (list of Kubernetes
        tolerations)}. Default: {} (the pod asks for no resources).

            c.ArgoEnvironmentManager.compute_types = {"small": {"cpu_request": "1", "memory_request": "2Gi"}, "gpu-1": {"cpu_request": "4", "memory_limit": "16Gi", "gpus": 1, "node_selector": {"gpu": "true"}}}
        """,
    )

    default_compute_type = Unicode(
        "",
        config=True,
        help="""Compute type of environments that name no default_compute_type.
        Default: "" (the first compute type the environment offers).

            c.ArgoEnvironmentManager.default_compute_type = "small"
        """,
    )

    output_formats = List(
        Unicode(),
        default_value=list(DEFAULT_OUTPUT_FORMATS),
        config=True,
        help="""Output formats every environment offers unless its own entry
        (images[...]["output_formats"], environment_output_formats) says
        otherwise; the UI pre-checks all of them. Any of ipynb and nbconvert's
        exporters (html, pdf, webpdf, latex, markdown, rst, asciidoc, script,
        slides): pdf needs XeLaTeX and pandoc, latex/rst/asciidoc pandoc, and
        webpdf Playwright's Chromium where the job runs. Default: ["ipynb", "html"].

            c.ArgoEnvironmentManager.output_formats = ["ipynb", "html", "pdf"]
        """,
    )

    environment_output_formats = Dict(
        config=True,
        help="""Output formats of single environments, by environment name,
        from any source (a conda-store "namespace/name", a kernelspec, an
        image). Default: {} (every environment offers output_formats).

            c.ArgoEnvironmentManager.environment_output_formats = {"analyst/reports": ["ipynb", "html", "webpdf"]}
        """,
    )

    default_environment = Unicode(
        "",
        config=True,
        help="""The environment listed first, which the UI's form preselects.
        Default: "" (images first, then conda-store environments, then
        kernelspecs, in that order).

            c.ArgoEnvironmentManager.default_environment = "python3"
        """,
    )

    include_kernelspecs = Bool(
        True,
        config=True,
        help="""Offer the kernelspecs installed next to the Jupyter server
        (what the local engine runs). Default: True.

            c.ArgoEnvironmentManager.include_kernelspecs = False
        """,
    )

    conda_store_url = Unicode(
        config=True,
        help="""conda-store's base URL (the part before /api/v1). Default:
        from $CONDA_STORE_SERVICE ("name:port", as argo-jupyter-scheduler
        read it) as http://name.$CONDA_STORE_SERVICE_NAMESPACE.svc:port/conda-store
        (namespace "dev" when unset), else "" (no conda-store environments).

            c.ArgoEnvironmentManager.conda_store_url = "http://nebari-conda-store-server.dev.svc:5000/conda-store"
        """,
    )

    @default("conda_store_url")
    def _default_conda_store_url(self) -> str:
        service = os.environ.get("CONDA_STORE_SERVICE", "")
        if not service:
            return ""
        host, _, port = service.partition(":")
        namespace = os.environ.get("CONDA_STORE_SERVICE_NAMESPACE") or "dev"
        return f"http://{host}.{namespace}.svc{':' + port if port else ''}/conda-store"

    conda_store_token_file = Unicode(
        "",
        config=True,
        help="""File holding conda-store's API token, read at each refresh (a
        mounted Secret can rotate). Default: "" (use $CONDA_STORE_TOKEN).

            c.ArgoEnvironmentManager.conda_store_token_file = "/var/run/secrets/conda-store/token"
        """,
    )

    conda_store_namespaces = List(
        Unicode(),
        config=True,
        help="""conda-store namespaces whose environments are offered. Default:
        [] (every namespace the token can see).

            c.ArgoEnvironmentManager.conda_store_namespaces = ["nebari-git", "analyst"]
        """,
    )

    conda_store_image = Unicode(
        "",
        config=True,
        help="""Image that runs conda-store environments (it must see the
        environments at conda_store_env_path, as Nebari's JupyterLab image
        does). Default: "" (the scheduler's image, ArgoScheduler.image).

            c.ArgoEnvironmentManager.conda_store_image = "quay.io/nebari/nebari-jupyterlab:2024.11.1"
        """,
    )

    conda_store_env_path = Unicode(
        "/home/conda/{namespace}/envs/{name}",
        config=True,
        help="""Where the pod sees a conda-store environment ({namespace},
        {name}); shown in the environment's metadata. Default:
        "/home/conda/{namespace}/envs/{name}" (Nebari's mount).

            c.ArgoEnvironmentManager.conda_store_env_path = "/home/conda/{namespace}/envs/{name}"
        """,
    )

    conda_store_kernel_name = Unicode(
        "conda-env-{namespace}-{name}-py",
        config=True,
        help="""Kernel that runs a conda-store environment's notebooks
        ({namespace}, {name}): the name nb_conda_kernels gives the
        environment's Python in the job's image. Default:
        "conda-env-{namespace}-{name}-py".

            c.ArgoEnvironmentManager.conda_store_kernel_name = "conda-env-{namespace}-{name}-py"
        """,
    )

    conda_store_timeout = Float(
        5.0,
        config=True,
        help="""Seconds to wait for conda-store per request. Default: 5.

            c.ArgoEnvironmentManager.conda_store_timeout = 5
        """,
    )

    cache_seconds = Float(
        30.0,
        config=True,
        help="""How long a listing is reused, so the UI's polling does not
        hammer conda-store (a submission naming an environment missing from
        it lists again). Default: 30.

            c.ArgoEnvironmentManager.cache_seconds = 30
        """,
    )

    def __init__(self, **kwargs):
        # jupyter-scheduler builds us with no arguments: fetch the server's config.
        if "config" not in kwargs and "parent" not in kwargs:
            kwargs["config"] = server_config()
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._listed: list[Environment] | None = None
        self._listed_at = 0.0
        self._errors: dict[str, str] = {}
        self._check_references()

    # ---- config checks --------------------------------------------------

    @validate("compute_types")
    def _validate_compute_types(self, proposal) -> dict:
        for name, entry in proposal["value"].items():
            try:
                parse_compute_type(name, entry)
            except ValueError as e:
                raise TraitError(f"ArgoEnvironmentManager.compute_types: {e}") from None
        return proposal["value"]

    @validate("output_formats")
    def _validate_output_formats(self, proposal) -> list:
        try:
            return list(check_formats(proposal["value"], "ArgoEnvironmentManager.output_formats"))
        except ValueError as e:
            raise TraitError(str(e)) from None

    @validate("environment_output_formats")
    def _validate_environment_output_formats(self, proposal) -> dict:
        try:
            return {
                name: list(check_formats(formats, f"ArgoEnvironmentManager.environment_output_formats[{name!r}]"))
                for name, formats in proposal["value"].items()
            }
        except ValueError as e:
            raise TraitError(str(e)) from None

    @validate("images")
    def _validate_images(self, proposal) -> dict:
        for name, entry in proposal["value"].items():
            try:
                image_environment(name, entry)
            except ValueError as e:
                raise TraitError(f"ArgoEnvironmentManager.images: {e}") from None
        return proposal["value"]

    def _check_references(self) -> None:
        """Every compute type an image or the default names exists: a typo stops the server."""
        known = set(self.compute_types)
        named = {"default_compute_type": [self.default_compute_type] if self.default_compute_type else []}
        for environment in self._image_environments():
            named[f"images[{environment.name!r}]"] = [
                *(environment.compute_types or ()),
                *([environment.default_compute_type] if environment.default_compute_type else []),
            ]
        for where, names in named.items():
            unknown = sorted(set(names) - known)
            if unknown:
                raise TraitError(
                    f"ArgoEnvironmentManager.{where} names unknown compute type(s) {', '.join(unknown)}; "
                    f"compute_types has: {', '.join(sorted(known)) or 'none'}"
                )

    # ---- sources --------------------------------------------------------

    def compute_type_objects(self) -> dict[str, ComputeType]:
        return {name: parse_compute_type(name, entry) for name, entry in self.compute_types.items()}

    def _image_environments(self) -> list[Environment]:
        return [image_environment(name, entry) for name, entry in self.images.items()]

    def _conda_store(self) -> CondaStoreSource | None:
        if not self.conda_store_url:
            return None
        return CondaStoreSource(
            url=self.conda_store_url,
            token=self._conda_store_token(),
            namespaces=tuple(self.conda_store_namespaces),
            image=self.conda_store_image or None,
            env_path_template=self.conda_store_env_path,
            kernel_name_template=self.conda_store_kernel_name,
            timeout=self.conda_store_timeout,
        )

    def _conda_store_token(self) -> str | None:
        if self.conda_store_token_file:
            try:
                with open(self.conda_store_token_file, encoding="utf-8") as f:
                    return f.read().strip() or None
            except OSError as e:
                self.log.warning("argo_scheduler: cannot read conda_store_token_file: %s", e)
                return None
        return os.environ.get("CONDA_STORE_TOKEN") or None

    def _collect(self) -> tuple[list[Environment], dict[str, str]]:
        """Every source's environments; a source that fails is logged and left out."""
        found: list[Environment] = list(self._image_environments())
        errors: dict[str, str] = {}
        conda_store = self._conda_store()
        if conda_store is not None:
            try:
                found.extend(conda_store.environments())
            except CondaStoreError as e:
                errors["conda-store"] = str(e)
        if self.include_kernelspecs:
            try:
                found.extend(kernelspec_environments())
            except Exception as e:  # a broken kernelspec dir must not hide the other sources
                errors["kernelspecs"] = f"kernelspecs could not be listed: {e}"
        for message in errors.values():
            self.log.warning("argo_scheduler: %s", message)
        unique: dict[str, Environment] = {}
        for environment in found:
            if environment.name in unique:
                self.log.warning(
                    "argo_scheduler: environment %r from %s is hidden by the one from %s",
                    environment.name, environment.source, unique[environment.name].source,
                )
                continue
            unique[environment.name] = environment
        listed = list(unique.values())
        if self.default_environment:
            if self.default_environment in unique:
                listed.sort(key=lambda e: e.name != self.default_environment)
            else:
                self.log.warning(
                    "argo_scheduler: ArgoEnvironmentManager.default_environment %r is not offered; offered: %s",
                    self.default_environment, ", ".join(unique) or "none",
                )
        return listed, errors

    def environments(self, refresh: bool = False) -> list[Environment]:
        """Every offered environment, from a listing at most cache_seconds old."""
        with self._lock:
            fresh = self._listed is not None and time.monotonic() - self._listed_at < self.cache_seconds
            if refresh or not fresh:
                self._listed, self._errors = self._collect()
                self._listed_at = time.monotonic()
            return list(self._listed)

    # ---- choosing -------------------------------------------------------

    def find(self, name: str | None) -> Environment | None:
        return next((e for e in self.environments() if e.name == name), None)

    def offered_compute_types(self, environment: Environment) -> list[str]:
        if environment.compute_types is not None:
            return list(environment.compute_types)
        return list(self.compute_types)

    def default_compute_type_of(self, environment: Environment) -> str | None:
        offered = self.offered_compute_types(environment)
        for candidate in (environment.default_compute_type, self.default_compute_type):
            if candidate and candidate in offered:
                return candidate
        return offered[0] if offered else None

    def resolve(
        self, name: str | None, compute_type: str | None, fresh: bool = False
    ) -> tuple[Environment, ComputeType | None]:
        """The environment and compute type a job runs with, or EnvironmentNotFound saying what exists.

        `fresh` lists the sources again first: a submission must not pass on
        a cached listing an environment deleted since.
        """
        environment = None if fresh else self.find(name)
        if environment is None:
            # Maybe created since the last listing; a submission may wait for one.
            environment = next((e for e in self.environments(refresh=True) if e.name == name), None)
        if environment is None:
            listed = self.environments()
            available = ", ".join(e.name for e in listed) or "none"
            message = f"environment {name!r} does not exist (any more); available: {available}"
            labelled = [e.name for e in listed if e.label == name]
            if labelled:
                # What an older form submitted for an environment whose label is not its name.
                message += f" ({name!r} is the display name of {', '.join(map(repr, labelled))}: choose it by name)"
            if self._errors:
                message += " (not listed: " + "; ".join(self._errors.values()) + ")"
            raise EnvironmentNotFound(message)
        offered = self.offered_compute_types(environment)
        chosen = compute_type or self.default_compute_type_of(environment)
        if chosen is None:
            return environment, None
        if chosen not in offered:
            raise EnvironmentNotFound(
                f"compute type {chosen!r} does not exist for environment {name!r}; "
                f"available: {', '.join(offered) or 'none'}"
            )
        return environment, self.compute_type_objects()[chosen]

    def formats_of(self, environment: Environment) -> tuple[str, ...]:
        """The output formats a job in `environment` may ask for."""
        configured = self.environment_output_formats.get(environment.name)
        if configured is not None:
            return tuple(configured)
        if environment.output_formats is not None:
            return environment.output_formats
        return tuple(self.output_formats)

    # ---- jupyter-scheduler's EnvironmentManager -------------------------

    def list_environments(self) -> list[RuntimeEnvironment]:
        return [self._runtime_environment(environment) for environment in self.environments()]

    def _runtime_environment(self, environment: Environment) -> RuntimeEnvironment:
        compute_types = self.offered_compute_types(environment)
        return RuntimeEnvironment(
            name=environment.name,
            # jupyter-scheduler's picker submits the label and shows the name, and
            # finds formats and compute types by name: only label == name works.
            # What tells environments apart goes to the description, its tooltip.
            label=environment.name,
            description=self._describe(environment, compute_types),
            file_extensions=["ipynb"],
            output_formats=list(self.formats_of(environment)),
            metadata=self._metadata(environment),
            compute_types=compute_types or None,
            default_compute_type=self.default_compute_type_of(environment),
            utc_only=False,
        )

    def _describe(self, environment: Environment, compute_types: list[str]) -> str:
        parts = [environment.description]
        if environment.label != environment.name and environment.label not in environment.description:
            parts.insert(0, environment.label)
        if environment.image and environment.image not in environment.description:
            parts.append(f"image {environment.image}")
        if environment.kernel_name and environment.source != "kernelspec":
            parts.append(f"kernel {environment.kernel_name}")
        if compute_types:
            known = self.compute_type_objects()
            parts.append("compute: " + "; ".join(known[name].summary() for name in compute_types if name in known))
        return " · ".join(parts)

    @staticmethod
    def _metadata(environment: Environment) -> dict[str, str]:
        metadata = {"source": environment.source, "label": environment.label, **environment.details}
        if environment.kernel_name:
            metadata["kernel_name"] = environment.kernel_name
        return metadata

    def manage_environments_command(self) -> str:
        return ""

    def output_formats_mapping(self) -> dict[str, str]:
        return output_formats_mapping()
