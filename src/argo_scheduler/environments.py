"""Runtime environments offered in the scheduler UI's dropdown.

This first source is the local kernelspecs (what the local engine can run);
container images, conda-store environments and compute types build on it.
"""

from __future__ import annotations

from jupyter_scheduler.environments import EnvironmentManager
from jupyter_scheduler.models import RuntimeEnvironment

# nbconvert exporters that make no sense as a job output.
_NOT_OUTPUTS = {"custom", "notebook", "qtpdf", "qtpng"}


def output_formats_mapping() -> dict[str, str]:
    """Every output format a job may ask for, with its label: ipynb plus nbconvert's exporters."""
    from nbconvert.exporters import get_export_names

    mapping = {"ipynb": "Notebook"}
    labels = {"html": "HTML", "pdf": "PDF", "webpdf": "PDF (web)", "latex": "LaTeX", "rst": "reStructuredText"}
    for name in get_export_names():
        if name not in _NOT_OUTPUTS:
            mapping[name] = labels.get(name, name.capitalize())
    return mapping


class ArgoEnvironmentManager(EnvironmentManager):
    """Environments for argo_scheduler jobs: the kernelspecs installed here."""

    def list_environments(self) -> list[RuntimeEnvironment]:
        from jupyter_client.kernelspec import KernelSpecManager

        formats = list(output_formats_mapping())
        environments = []
        for name, info in sorted(KernelSpecManager().get_all_specs().items()):
            spec = info.get("spec", {})
            environments.append(
                RuntimeEnvironment(
                    name=name,
                    label=spec.get("display_name", name),
                    description=f"Kernel {spec.get('display_name', name)} ({spec.get('language', '')})",
                    file_extensions=["ipynb"],
                    output_formats=formats,
                    metadata={"kernel_name": name},
                    compute_types=None,
                    default_compute_type=None,
                    utc_only=False,
                )
            )
        return environments

    def manage_environments_command(self) -> str:
        return ""

    def output_formats_mapping(self) -> dict[str, str]:
        return output_formats_mapping()
