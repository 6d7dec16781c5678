"""The same traitlets configuration the Jupyter server reads, for the CLI."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_path, jupyter_data_dir
from traitlets.config import Config
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

CONFIG_BASENAME = "jupyter_server_config"


def load_config(extra_file: str | None = None) -> Config:
    """jupyter_server_config.{json,py} from every Jupyter config dir, then `extra_file`.

    Later sources win, as in the server: system dirs first, the user's dir,
    the working directory, and finally an explicit --config file.
    """
    config = Config()
    dirs = [*reversed(jupyter_config_path()), os.getcwd()]
    for directory in dirs:
        for loader_class, suffix in ((JSONFileConfigLoader, ".json"), (PyFileConfigLoader, ".py")):
            path = Path(directory) / (CONFIG_BASENAME + suffix)
            if path.is_file():
                config.merge(loader_class(path.name, path=str(path.parent)).load_config())
    if extra_file:
        path = Path(extra_file).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"config file {extra_file} does not exist")
        loader_class = JSONFileConfigLoader if path.suffix == ".json" else PyFileConfigLoader
        config.merge(loader_class(path.name, path=str(path.parent)).load_config())
    return config


def default_db_url(config: Config) -> str:
    """jupyter-scheduler's database: the one the JupyterLab UI uses."""
    return config.get("SchedulerApp", {}).get("db_url") or f"sqlite:///{jupyter_data_dir()}/scheduler.sqlite"
