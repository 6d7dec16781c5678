"""The notebook can be read, is valid nbformat, and runs with a kernel its environment provides."""

from __future__ import annotations

from typing import Callable

from .report import FAILED, OK, Check

NAME = "notebook"


def installed_kernels() -> set[str]:
    """The kernelspecs installed next to this process: what the local engine and kernelspec environments run."""
    from jupyter_client.kernelspec import KernelSpecManager

    return set(KernelSpecManager().find_kernel_specs())


def notebook_check(
    path: str,
    shown_as: str,
    imposed_kernel: str | None,
    environment: str | None,
    installed: Callable[[], set[str]] | None,
) -> Check:
    """Check the notebook at `path` (named `shown_as` to the user).

    `imposed_kernel` is the kernel the environment runs (None: the
    notebook's own kernelspec); `installed` lists the kernels that exist
    where the job runs, or is None when that cannot be known here (a
    container image provides them).
    """
    import nbformat

    try:
        with open(path, encoding="utf-8") as f:
            notebook = nbformat.read(f, as_version=4)
    except (OSError, ValueError) as e:
        return Check(NAME, FAILED, f"cannot read notebook {shown_as}: {e}")
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as e:
        return Check(NAME, FAILED, f"{shown_as} is not a valid notebook: {str(e).splitlines()[0]}")
    if imposed_kernel:
        kernel, whose = imposed_kernel, f"kernel {imposed_kernel} of environment {environment}"
    else:
        kernel = (notebook.metadata.get("kernelspec") or {}).get("name")
        if not kernel:
            return Check(NAME, FAILED, (
                f"{shown_as} has no kernel: open it in JupyterLab, select a kernel, save it, and "
                "submit the job again"
            ))
        whose = f"{shown_as}'s kernel {kernel}"
    if installed is not None:
        available = installed()
        if kernel not in available:
            return Check(NAME, FAILED, (
                f"{whose} is not installed where the job runs; installed: {', '.join(sorted(available)) or 'none'}"
            ))
    return Check(NAME, OK, f"{shown_as} runs with {whose}")
