"""argo_scheduler: jupyter-scheduler's UI in front, Argo Workflows behind."""

from ._version import __version__

__all__ = ["__version__", "ArgoScheduler", "hookimpl"]


def _jupyter_server_extension_points():
    """argo_scheduler's handlers under /argo-scheduler/ (docs/http.md), for the lab extension and clients."""
    return [{"module": "argo_scheduler"}]


def _load_jupyter_server_extension(serverapp):
    # The handlers (and through them jupyter_server and tornado) load here,
    # when the server starts, not when argo_scheduler is imported.
    from .handlers import load

    load(serverapp)


def __getattr__(name):
    # The Jupyter server imports this package at start-up; hera, the
    # kubernetes client and the scheduler load only when first used.
    if name == "ArgoScheduler":
        from .scheduler import ArgoScheduler

        return ArgoScheduler
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'argo_scheduler' has no attribute {name!r}")
