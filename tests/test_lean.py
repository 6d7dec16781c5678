"""lean.defer_server_extension: what it defers still works whole the moment something needs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

CASES = {
    # A Jupyter server loading the extension after the CLI's deferral gets all of it.
    "server-extension": (
        "import jupyter_scheduler.orm, sys\n"
        "assert 'jupyter_scheduler.extension' not in sys.modules\n"
        "import jupyter_scheduler\n"
        "[point] = jupyter_scheduler._jupyter_server_extension_points()\n"
        "from jupyter_scheduler import SchedulerApp, __version__\n"
        "assert point['app'] is SchedulerApp and __version__\n"
    ),
    # jsonschema's IRI format check, the one user of rfc3987_syntax, still tells good from bad.
    "iri-format": (
        "import sys\n"
        "from jsonschema import Draft7Validator, FormatChecker\n"
        "assert 'rfc3987_syntax.syntax_helpers' not in sys.modules\n"
        "iri = Draft7Validator({'format': 'iri'}, format_checker=FormatChecker())\n"
        "assert iri.is_valid('https://example.com/r\\u00e9sum\\u00e9') and not iri.is_valid('no iri at all')\n"
        "assert 'rfc3987_syntax.syntax_helpers' in sys.modules\n"
    ),
    # A submodule asked of the package by name is that submodule, without the extension.
    "submodule-by-name": (
        "import sys\n"
        "from jupyter_scheduler import models\n"
        "assert models.Status.COMPLETED and 'jupyter_scheduler.extension' not in sys.modules\n"
    ),
}


@pytest.mark.parametrize("code", CASES.values(), ids=CASES.keys())
def test_what_is_deferred_works_when_needed(code):
    prelude = "from argo_scheduler.lean import defer_server_extension\ndefer_server_extension()\n"
    result = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_an_already_imported_package_is_left_alone():
    code = ("import jupyter_scheduler, sys\nfrom argo_scheduler.lean import defer_server_extension\n"
            "before = sys.modules['jupyter_scheduler']\ndefer_server_extension()\n"
            "assert sys.modules['jupyter_scheduler'] is before and type(before).__name__ == 'module'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
