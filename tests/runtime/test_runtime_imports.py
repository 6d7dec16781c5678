"""The job pod's runtime loads jupyter-scheduler's models and ORM, never its server extension's chain.

Which modules a real `python -m argo_scheduler.runtime run` loaded, read from the process itself:
no timing (benchmarks/ measures the time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_helpers import create_job_like_the_server, definition_spec, new_uid, read_job, without_db_env, workflow_args

MODULES_LOADED = Path(__file__).resolve().parent.parent / "modules_loaded.py"
# jupyter-scheduler's server extension → jupyter_server's application → jupyter_events →
# jsonschema's format checkers → rfc3987_syntax compiling its grammars (the 2.4 s of issue 13).
SERVER_CHAIN = ("jupyter_scheduler.extension", "jupyter_server.serverapp", "jupyter_events",
                "rfc3987_syntax.syntax_helpers", "lark")


def modules_of(module: str, *args: str, env: dict, cwd: Path | None = None) -> tuple[int, set[str], str]:
    """What `python -m MODULE ARGS` loaded: its exit code, its sys.modules at the end, its output."""
    result = subprocess.run([sys.executable, str(MODULES_LOADED), module, *args], env=env, cwd=cwd,
                            capture_output=True, text=True, timeout=240)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return report["exit"], set(report["modules"]), result.stdout + result.stderr


@pytest.mark.parametrize("database", ["sqlite"])
def test_a_pod_runtime_run_loads_no_server_chain(db_url, staging):
    # GIVEN a one-off job as the server creates it, with both output formats
    spec = create_job_like_the_server(
        definition_spec("parameters.ipynb", staging, db_url, output_formats=["ipynb", "html"]), db_url
    )
    # WHEN its pod runs it
    code, modules, output = modules_of("argo_scheduler.runtime", "run", *workflow_args(spec, new_uid()),
                                       env=without_db_env())
    # THEN it ran and recorded the job, with papermill and nbconvert
    assert code == 0, output
    assert read_job(db_url, spec.job_id).status == "COMPLETED"
    assert {"papermill", "nbconvert", "jupyter_scheduler.orm"} <= modules
    # AND without jupyter_server at all, nor the grammars jsonschema's IRI check would compile
    assert "jupyter_server" not in modules
    assert not modules.intersection(SERVER_CHAIN)

