"""The JupyterLab extension's sources (labextension/) keep the extension template's conventions.

Its behaviour is the browser tests' (tests/ui); here only what `jlpm
lint:check` enforces: ESLint, Prettier and Stylelint as the template
configures them. dev.py has installed its node_modules.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LABEXTENSION = Path(__file__).resolve().parent.parent / "labextension"
BIN = Path(sys.executable).parent


def test_the_extensions_sources_pass_eslint_prettier_and_stylelint():
    if not (LABEXTENSION / "node_modules").is_dir():
        pytest.fail(f"{LABEXTENSION / 'node_modules'} is missing: `python3 dev.py test` runs jlpm install there")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([BIN / "jlpm", "run", "lint:check"], cwd=LABEXTENSION, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
