"""Regenerate the notebook fixtures in this folder: `python tests/notebooks/build.py`.

The .ipynb files are committed so tests (and other suites) read them as
plain files; this script is how they were made, so a change to one is a
change here first.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

PYTHON3 = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def parameters_cell(source: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"tags": ["parameters"]})


def typed_parameters() -> nbformat.NotebookNode:
    # Prints one JSON line describing what each parameter arrived as, then
    # asserts the declared types, so a run fails if coercion goes wrong.
    return new_notebook(
        metadata=PYTHON3,
        cells=[
            parameters_cell('n = 1\nrate = 0.1\nflag = False\nlabel = "default"'),
            new_code_cell(
                "import json\n"
                "seen = {name: [type(globals()[name]).__name__, globals()[name]]\n"
                '        for name in ("n", "rate", "flag", "label", "extra") if name in globals()}\n'
                'print("PARAMETERS " + json.dumps(seen, sort_keys=True))'
            ),
            new_code_cell(
                "assert type(n) is int, type(n)\n"
                "assert type(rate) is float, type(rate)\n"
                "assert type(flag) is bool, type(flag)\n"
                "assert type(label) is str, type(label)"
            ),
            new_code_cell("n * rate"),
        ],
    )


def divide_by_zero() -> nbformat.NotebookNode:
    return new_notebook(
        metadata=PYTHON3,
        cells=[
            new_code_cell('print("before the failure")'),
            new_code_cell("1 / 0"),
            new_code_cell('print("never printed")'),
        ],
    )


def no_kernelspec() -> nbformat.NotebookNode:
    return new_notebook(metadata={}, cells=[new_code_cell('print("hello")')])


def sleep() -> nbformat.NotebookNode:
    return new_notebook(
        metadata=PYTHON3,
        cells=[
            new_markdown_cell("Sleeps for `seconds`: a run that is still going when a test stops it."),
            parameters_cell("seconds = 60"),
            new_code_cell('print("sleeping", flush=True)'),
            new_code_cell("import time\ntime.sleep(seconds)"),
            new_code_cell('print("woke up")'),
        ],
    )


def fails_first_time() -> nbformat.NotebookNode:
    # A run that fails until the file `marker` exists, creating it as it
    # fails: its first attempt fails, a second one succeeds.
    return new_notebook(
        metadata=PYTHON3,
        cells=[
            new_markdown_cell("Fails on its first run (no `marker` file yet) and succeeds on the next."),
            parameters_cell('marker = "marker"'),
            new_code_cell(
                "import os\n"
                "first_time = not os.path.exists(marker)\n"
                "if first_time:\n"
                "    open(marker, \"w\").close()"
            ),
            new_code_cell("1 / 0 if first_time else None"),
            new_code_cell('print("second time lucky")'),
        ],
    )


def spawns_daemon() -> nbformat.NotebookNode:
    # Starts a child that leaves the kernel's session (setsid) and would
    # sleep for ten minutes, with `token` in its command line so that a test
    # can look for it; then sleeps `seconds` itself.
    return new_notebook(
        metadata=PYTHON3,
        cells=[
            new_markdown_cell("Leaves a process of its own behind, in a session of its own, then sleeps."),
            parameters_cell('token = "daemon"\nseconds = 0'),
            new_code_cell(
                "import subprocess, sys\n"
                "daemon = subprocess.Popen([sys.executable, '-c', "
                "'import os, time; os.setsid(); time.sleep(600)', token])\n"
                'print("daemon started", daemon.pid, flush=True)'
            ),
            new_code_cell("import time\ntime.sleep(seconds)"),
            new_code_cell('print("woke up")'),
        ],
    )


def steps() -> nbformat.NotebookNode:
    # Six code cells that each take `pause` seconds: a run whose progress
    # (cell i of N) can be watched moving, and that prints as it goes.
    return new_notebook(
        metadata=PYTHON3,
        cells=[
            new_markdown_cell("Takes `pause` seconds per step, printing each."),
            parameters_cell("pause = 1.0"),
            *[new_code_cell(f'import time\nprint("step {i}", flush=True)\ntime.sleep(pause)') for i in range(1, 6)],
        ],
    )


FIXTURES = {
    "parameters.ipynb": typed_parameters,
    "divide_by_zero.ipynb": divide_by_zero,
    "no_kernelspec.ipynb": no_kernelspec,
    "sleep.ipynb": sleep,
    "fails_first_time.ipynb": fails_first_time,
    "spawns_daemon.ipynb": spawns_daemon,
    "steps.ipynb": steps,
}


def main() -> None:
    for filename, build in FIXTURES.items():
        nb = build()
        # Stable cell ids, so regenerating an unchanged fixture changes no file.
        for index, cell in enumerate(nb.cells):
            cell.id = f"{filename.removesuffix('.ipynb').replace('_', '-')}-{index}"
        nbformat.validate(nb)
        nbformat.write(nb, HERE / filename)


if __name__ == "__main__":
    main()
