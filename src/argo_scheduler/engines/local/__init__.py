"""The local engine: Argo's Workflows and CronWorkflows run on this machine.

engine.py     LocalEngine, the Engine the scheduler talks to
manifest.py   what of a Workflow the local engine runs, checked before anything starts
cron.py       CronWorkflows: checked, stored, and when each is due
runner.py     the detached process that runs one workflow (`python -m argo_scheduler.engines.local.runner`)
rundir.py     the files of one run, shared by the engine and its runner
secrets.py    the Secret store (files under the state directory)
agent.py      the process that fires the CronWorkflows (`python -m argo_scheduler.engines.local.agent`)
expr/         Argo's expression languages: {{…}} templating, `when`, $(VAR) expansion

`argo_scheduler.engines.local.LocalEngine` is the class path configuration
and plugins have always named; it loads on first use, so that the runner and
the agent, which start as submodules of this package, do not import the
engine (and traitlets) before they need it.
"""

from __future__ import annotations

__all__ = ["LocalEngine"]


def __getattr__(name):
    if name == "LocalEngine":
        from .engine import LocalEngine

        return LocalEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
