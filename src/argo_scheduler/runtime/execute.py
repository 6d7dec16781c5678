"""Execute a notebook with papermill and convert the result with nbconvert."""

from __future__ import annotations

import logging
import os
import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import nbconvert
import nbformat
import papermill
from jupyter_client.kernelspec import NoSuchKernel
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.engines import NBClientEngine, papermill_engines
from papermill.exceptions import PapermillExecutionError
from papermill.iorw import load_notebook_node

from .parameters import coerce_parameters, declared_types
from .progress import Progress
from .records import TERMINATED_MESSAGE

log = logging.getLogger(__name__)


ENGINE_NAME = "argo_scheduler"


class ProgressEngine(NBClientEngine):
    """papermill's nbclient engine, telling a Progress which cell starts.

    papermill's execution manager is told of each cell's start by the
    engine's client (`nb_man.cell_start(cell, index)`); this engine only
    listens to that call on its own manager instance and executes exactly
    as papermill's default engine does.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, progress: Progress | None = None, **kwargs):
        if progress is not None:
            cells = len(nb_man.nb.cells)
            progress.start(cells)
            cell_start = nb_man.cell_start

            def started(cell, cell_index=None, **more):
                cell_start(cell, cell_index, **more)
                if cell_index is not None:
                    progress.cell(cell_index, cells)

            nb_man.cell_start = started
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
        finally:
            if progress is not None:
                progress.finish()


papermill_engines.register(ENGINE_NAME, ProgressEngine)


class NotebookFailed(Exception):
    """The run failed for a reason the user can act on; str() is the job's status message."""


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM while the notebook was running.

    Not an Exception, so that no `except Exception` between the signal and
    the runtime (nbclient, papermill) swallows it; a KeyboardInterrupt in
    particular, because asyncio re-raises only KeyboardInterrupt and
    SystemExit out of a task. The signal lands in whichever task is running:
    any other BaseException raised inside one of nbclient's side tasks (the
    poller that checks every second that the kernel is alive) would be kept
    on that task, and the cell would run on as if no signal had come.
    """


def kernel_for(nb: nbformat.NotebookNode, requested: str | None) -> str:
    if requested:
        return requested
    name = nb.metadata.get("kernelspec", {}).get("name")
    if not name:
        raise NotebookFailed(
            "The notebook has no kernel (metadata.kernelspec.name is missing) and the job "
            "names none: open it in JupyterLab, select a kernel, save it, and schedule it again."
        )
    return name


def error_message(error: BaseException) -> str:
    """A failure the user did not write, as the status message names it.

    An OSError keeps its errno and file ("OSError: [Errno 28] No space left on
    device: '/…/report.ipynb'"): a full disk or a read-only staging folder is
    something the user can act on only if the status says so.
    """
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def cell_error_message(error: PapermillExecutionError) -> str:
    what = f"{error.ename}: {error.evalue}" if error.evalue else error.ename
    return f"{what} (in cell In [{error.exec_count}])"


def cell_timeout_message(output_path: str, seconds: int) -> str:
    """Which cell ran past the per-cell timeout, read from the partly executed notebook."""
    where = "a cell"
    try:
        nb = nbformat.read(output_path, as_version=4)
        counts = [c.get("execution_count") for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
        if counts:
            where = f"cell In [{max(counts)}]"
    except (OSError, ValueError):
        pass
    return f"CellTimeoutError: {where} ran longer than the per-cell timeout of {seconds} s (cell_timeout_seconds)"


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` while the notebook runs.

    Kubernetes stops a pod with SIGTERM and kills it a grace period later.
    Python as PID 1 would ignore the signal; raising instead stops the
    kernel, keeps the partly executed notebook and leaves time to write the
    outputs and the record. Signals can only be handled in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        # A second SIGTERM must not cut short the kernel's shutdown that the
        # first one starts; SIGKILL remains the backstop.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_notebook(
    input_path: str,
    output_path: str,
    parameters: Mapping[str, Any],
    kernel_name: str | None,
    cwd: str,
    cell_timeout: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Execute `input_path` into `output_path`; raise NotebookFailed with the reason if the run fails.

    papermill saves the output notebook as cells run, so a failed run still
    leaves the cells executed so far, the failing one with its traceback.
    `cell_timeout` (seconds) fails the run when one cell runs longer;
    `progress` hears of each cell as it starts.
    """
    # Read the way papermill reads it (it fills in the metadata its helpers expect).
    nb = load_notebook_node(input_path)
    kernel = kernel_for(nb, kernel_name)
    typed = coerce_parameters(parameters, declared_types(nb, kernel))
    for name, value in typed.items():
        log.info("Parameter %s: %s", name, type(value).__name__)
    log.info("Running %s with kernel %s", os.path.basename(input_path), kernel)
    try:
        with _sigterm_interrupts():
            papermill.execute_notebook(
                input_path,
                output_path,
                parameters=typed,
                kernel_name=kernel,
                cwd=cwd,
                log_output=True,
                progress_bar=False,
                execution_timeout=cell_timeout or None,
                engine_name=ENGINE_NAME,
                progress=progress,
            )
    except PapermillExecutionError as error:
        log.error("The notebook failed:\n%s", nbconvert.filters.strip_ansi("\n".join(error.traceback)))
        raise NotebookFailed(cell_error_message(error)) from error
    except NoSuchKernel as error:
        raise NotebookFailed(
            f"No kernel named {kernel!r} in the job's environment ({error}); "
            "pick an environment that provides it."
        ) from error
    except CellTimeoutError as error:
        raise NotebookFailed(cell_timeout_message(output_path, cell_timeout or 0)) from error
    except DeadKernelError as error:
        raise NotebookFailed(
            f"The kernel died while running the notebook, often from running out of memory: {error}"
        ) from error
    except Terminated as error:
        log.error("Received SIGTERM: stopping the kernel")
        raise NotebookFailed(TERMINATED_MESSAGE) from error


def write_outputs(executed_path: str, targets: Mapping[str, str], cwd: str) -> dict[str, str]:
    """Convert the executed notebook into each format of `targets` (format -> path).

    `cwd` is the folder the notebook ran in, where exporters resolve relative
    paths. Returns format -> reason for each format that could not be
    written; one failing (unknown name, missing pandoc or TeX) does not keep
    the others from being written.
    """
    try:
        nb = nbformat.read(executed_path, as_version=4)
    except Exception as error:
        # An executed notebook cut short (a full disk) cannot be converted.
        reason = f"the executed notebook could not be read: {error_message(error)}"
        log.error("No output written: %s", reason)
        return {fmt: reason for fmt in targets}
    failures: dict[str, str] = {}
    for fmt, path in targets.items():
        resources = {"metadata": {"name": os.path.splitext(os.path.basename(path))[0], "path": cwd}}
        try:
            exporter = nbconvert.get_exporter(fmt)()
            body, _ = exporter.from_notebook_node(nb, resources=resources)
            if isinstance(body, bytes):
                with open(path, "wb") as out:
                    out.write(body)
            else:
                with open(path, "w", encoding="utf-8") as out:
                    out.write(body)
        # Exporters fail in many ways (ValueError for an unknown name,
        # PandocMissing, OSError for a missing xelatex, template errors);
        # whichever it is, it is this format's failure only.
        except Exception as error:
            reason = error_message(error)
            failures[fmt] = reason
            log.error("Could not write the %s output: %s", fmt, reason)
        else:
            log.info("Wrote %s", path)
    return failures
