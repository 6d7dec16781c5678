"""The checks of one submission, for ArgoScheduler and `argo-scheduler check`.

They take what they judge: the engine the job goes to (what it runs where,
what it stores), the workflows' namespace, the manifest, and the notebook's
facts as the submission chose them — never the scheduler. ArgoScheduler runs
the notebook and formats checks before it renders and the manifest checks
on the manifest it is about to submit; the CLI runs them all and reports each.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engines.base import Engine
from .formats import formats_check
from .kubernetes import cluster_checks
from .notebook import installed_kernels, notebook_check
from .report import FAILED, OK, Check

SCHEMA = "argo schema"


@dataclass(frozen=True)
class NotebookFacts:
    """What the notebook and formats checks judge of one submission."""

    path: str
    shown_as: str
    environment: str | None
    # The kernel the environment runs; None: the notebook's own kernelspec.
    imposed_kernel: str | None
    # The environment's kernels are this machine's kernelspecs, wherever the job runs.
    kernels_from_here: bool
    output_formats: tuple[str, ...]
    offered_formats: tuple[str, ...] | None


def notebook_check_for(engine: Engine, facts: NotebookFacts) -> Check:
    """The notebook check; kernels are known here when the job runs here or comes with this machine's kernelspecs."""
    local = engine.runs_here or facts.kernels_from_here
    return notebook_check(
        facts.path, facts.shown_as, facts.imposed_kernel, facts.environment, installed_kernels if local else None,
    )


def formats_check_for(engine: Engine, facts: NotebookFacts) -> Check:
    """The formats check: offered by the job's environment, and makeable where it runs."""
    return formats_check(facts.output_formats, facts.offered_formats, facts.environment, engine.runs_here)


def schema_check(manifest: dict) -> Check:
    from .schema import schema_errors

    errors = schema_errors(manifest)
    if errors:
        return Check(SCHEMA, FAILED, f"Argo would refuse the {manifest.get('kind')}: " + "; ".join(errors))
    return Check(SCHEMA, OK, f"the {manifest.get('kind')} is valid against Argo's schema (v4.0.5)")


def manifest_checks(engine: Engine, namespace: str, manifest: dict) -> list[Check]:
    """Argo's schema, then what the manifest needs from the workflows' namespace (or the engine's own Secrets)."""
    access, unavailable = engine.kubernetes_access()
    namespace = (manifest.get("metadata") or {}).get("namespace") or namespace
    return [
        schema_check(manifest),
        *cluster_checks(access, unavailable, namespace, manifest, engine.stored_secret_keys()),
    ]
