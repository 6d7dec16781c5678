"""`argo-scheduler run` loads jupyter-scheduler's models, ORM and scheduler, never its server extension's chain.

Which modules a real `argo-scheduler run` loaded, read from the process itself: no timing
(benchmarks/ measures the time).
"""

from __future__ import annotations


from support.modules_loaded import SERVER_CHAIN, modules_of


def test_a_cli_run_loads_no_server_chain(cli):
    # GIVEN a notebook in a fresh Jupyter home
    cli.notebook("parameters.ipynb")
    # WHEN `argo-scheduler run` runs it on the local engine to the end
    code, modules, output = modules_of("argo_scheduler.cli", "run", "parameters.ipynb", "-p", "n=3", "--json",
                                       env=cli.env, cwd=cli.home / "work")
    # THEN the job COMPLETED
    assert code == 0, output
    assert '"status": "COMPLETED"' in output
    # AND the CLI loaded jupyter-scheduler's ORM and scheduler but not the server extension's chain
    # (jupyter-scheduler's Scheduler base class imports two small jupyter_server modules, utils and
    # transutils; its application is another matter), nor the notebook's executor
    assert {"jupyter_scheduler.orm", "jupyter_scheduler.scheduler"} <= modules
    assert not modules.intersection(SERVER_CHAIN)
    assert "papermill" not in modules
