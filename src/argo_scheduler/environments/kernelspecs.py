"""Environments from the kernelspecs installed here: what the local engine can run."""

from __future__ import annotations

from .model import Environment


def kernelspec_environments() -> list[Environment]:
    from jupyter_client.kernelspec import KernelSpecManager

    environments = []
    for name, info in sorted(KernelSpecManager().get_all_specs().items()):
        spec = info.get("spec", {})
        display = spec.get("display_name", name)
        environments.append(
            Environment(
                name=name,
                label=display,
                description=f"Kernel {display} ({spec.get('language', '')})",
                source="kernelspec",
                kernel_name=name,
            )
        )
    return environments
