"""Runtime environments and compute types offered in the scheduler UI.

`argo_scheduler.environments.ArgoEnvironmentManager` is what
`c.SchedulerApp.environment_manager_class` names; the modules here are its
sources (images, conda_store, kernelspecs), compute types, and how both
shape a job's pod (shape, imported by the scheduler when it renders).
"""

from .formats import output_formats_mapping
from .manager import ArgoEnvironmentManager
from .model import Environment, EnvironmentNotFound

__all__ = ["ArgoEnvironmentManager", "Environment", "EnvironmentNotFound", "output_formats_mapping"]
