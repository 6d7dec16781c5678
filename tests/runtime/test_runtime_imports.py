"""The job pod's runtime loads jupyter-scheduler's models and ORM, never its server extension's chain.

Which modules a real `python -m argo_scheduler.runtime run` loaded, read from the process itself:
no timing (benchmarks/ measures the time).
"""

from __future__ import annotations

import pytest
from runtime_helpers import create_job_like_the_server, definition_spec, new_uid, read_job, without_db_env, workflow_args

from support.modules_loaded import SERVER_CHAIN, modules_of


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

