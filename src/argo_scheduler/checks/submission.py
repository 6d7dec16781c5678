"""The checks of one submission, for ArgoScheduler and `argo-scheduler check`.

ArgoScheduler runs the notebook check in validate_input (before it renders)
and the manifest checks on the manifest it is about to submit; the CLI runs
them all and reports each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .formats import formats_check
from .kubernetes import cluster_checks
from .notebook import installed_kernels, notebook_check
from .report import FAILED, OK, Check

if TYPE_CHECKING:
    from ..scheduler import ArgoScheduler

SCHEMA = "argo schema"


def notebook_check_for(scheduler: "ArgoScheduler", model, input_path: str) -> Check:
    """The notebook check with what the job's environment and engine provide."""
    from jupyter_scheduler.exceptions import SchedulerError

    try:
        choice = scheduler.environment_choice(model)
    except SchedulerError:
        choice = None  # the environment check says so; the notebook is judged on its own kernel
        imposed = None
    else:
        imposed = scheduler.kernel_for(model)
    # Kernels are known here when the job runs here, or come from this
    # machine's kernelspecs; a container image brings its own.
    local = scheduler.engine == "local" or (choice is None and imposed) or (
        choice is not None and choice[0].source == "kernelspec"
    )
    return notebook_check(
        input_path, model.input_filename, imposed, model.runtime_environment_name,
        installed_kernels if local else None,
    )


def formats_check_for(scheduler: "ArgoScheduler", model) -> Check:
    """The formats check with what the job's environment offers and where it runs."""
    from jupyter_scheduler.exceptions import SchedulerError

    from ..environments import output_formats_mapping

    manager = scheduler.argo_environments()
    try:
        choice = scheduler.environment_choice(model)
    except SchedulerError:
        choice = None  # the environment check says so
    if manager is not None and choice is not None:
        offered = manager.formats_of(choice[0])
    else:
        offered = tuple(output_formats_mapping())
    return formats_check(model.output_formats, offered, model.runtime_environment_name, scheduler.engine == "local")


def schema_check(manifest: dict) -> Check:
    from .schema import schema_errors

    errors = schema_errors(manifest)
    if errors:
        return Check(SCHEMA, FAILED, f"Argo would refuse the {manifest.get('kind')}: " + "; ".join(errors))
    return Check(SCHEMA, OK, f"the {manifest.get('kind')} is valid against Argo's schema (v4.0.5)")


def manifest_checks(scheduler: "ArgoScheduler", manifest: dict) -> list[Check]:
    """Argo's schema, then what the manifest needs from the workflows' namespace."""
    engine = scheduler.get_engine()
    access, unavailable = engine.kubernetes_access()
    namespace = (manifest.get("metadata") or {}).get("namespace") or scheduler.namespace
    # The local engine resolves secretKeyRef from its own store (engines/local_secrets.py).
    stored = engine.secrets.keys if scheduler.engine == "local" else None
    return [schema_check(manifest), *cluster_checks(access, unavailable, namespace, manifest, stored)]
