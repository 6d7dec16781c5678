"""The Jupyter server's configuration, for objects jupyter-scheduler builds without it.

SchedulerApp calls `environment_manager_class()` with no arguments, so the
manager fetches the config itself: from the running ServerApp when there is
one (everything the server was given: files, command line, pytest-jupyter's
config), else from the same files the server and the CLI read.
"""

from __future__ import annotations

import sys

from traitlets.config import Config


def server_config() -> Config:
    # Only look for a ServerApp if one can exist: the CLI need not import
    # jupyter_server's app just to learn there is none.
    if "jupyter_server.serverapp" in sys.modules:
        from jupyter_server.serverapp import ServerApp

        if ServerApp.initialized():
            return ServerApp.instance().config
    from ..config import load_config

    return load_config()
