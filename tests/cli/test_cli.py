"""`argo-scheduler` end to end, as a user types it, on the local engine."""

from __future__ import annotations

import json

import pytest
import yaml


def test_run_succeeds_with_typed_parameters_and_every_output(cli):
    # GIVEN a notebook that asserts the types of its parameters
    notebook = cli.notebook("parameters.ipynb")
    # WHEN run with parameters of each type and two output formats
    result = cli(
        "run", notebook, "-p", "n=3", "-p", "rate=0.5", "-p", "flag=true", "-p", "label=it's; $(x)",
        "--output-format", "ipynb", "--output-format", "html", "--json",
    )
    # THEN it exits 0 with one JSON object saying COMPLETED and where the outputs are
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "COMPLETED", report
    assert set(report["outputs"]) == {"ipynb", "html"}
    executed = json.loads(open(report["outputs"]["ipynb"]).read())
    printed = "".join(
        "".join(o.get("text", "")) for c in executed["cells"] for o in c.get("outputs", []) if c["cell_type"] == "code"
    )
    line = next(l for l in printed.splitlines() if l.startswith("PARAMETERS "))
    seen = json.loads(line.removeprefix("PARAMETERS "))
    assert seen == {"n": ["int", 3], "rate": ["float", 0.5], "flag": ["bool", True], "label": ["str", "it's; $(x)"]}
    # AND the job is in the database the JupyterLab UI reads, with its owner's name
    [row] = cli.job_rows()
    assert row.job_id == report["job_id"] and row.status == "COMPLETED"


def test_run_of_a_failing_notebook_exits_non_zero_and_says_why(cli):
    notebook = cli.notebook("divide_by_zero.ipynb")
    result = cli("run", notebook, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "FAILED"
    assert "ZeroDivisionError: division by zero" in report["status_message"]
    # AND the partial output notebook is kept
    assert "ipynb" in report["outputs"]


def test_detached_run_then_status(cli):
    notebook = cli.notebook("parameters.ipynb")
    # WHEN submitted with --detach THEN it returns at once with the job id
    report = cli.json("run", notebook, "--detach")
    assert report["status"] in ("IN_PROGRESS", "COMPLETED")
    # AND status follows it to the end
    assert cli.wait(report["job_id"])["status"] == "COMPLETED"
    human = cli("status", report["job_id"])
    assert human.returncode == 0 and "COMPLETED" in human.stdout


def test_stop_a_running_job(cli):
    notebook = cli.notebook("sleep.ipynb")
    report = cli.json("run", notebook, "--detach", "-p", "seconds=600")
    job_id = report["job_id"]
    # WHEN the job is running and the user stops it
    result = cli("stop", job_id)
    # THEN it ends STOPPED
    assert result.returncode == 0, result.stderr
    assert cli.wait(job_id)["status"] == "STOPPED"


def test_render_prints_a_schema_valid_manifest(cli, argo_schema_validator):
    notebook = cli.notebook("parameters.ipynb")
    for extra in ([], ["--schedule", "0 6 * * 1-5", "--timezone", "Europe/Paris"]):
        result = cli("render", notebook, "-p", "n=3", *extra)
        assert result.returncode == 0, result.stderr
        argo_schema_validator(yaml.safe_load(result.stdout))
    # AND rendering writes nothing
    assert cli.job_rows() == []


def test_render_carries_timeouts_and_retries(cli, argo_schema_validator):
    # GIVEN a notebook WHEN rendered with a timeout, retries and a per-cell timeout
    notebook = cli.notebook("parameters.ipynb")
    result = cli("render", notebook, "--timeout", "600", "--retries", "2", "--retry-backoff", "5", "--cell-timeout", "60")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    argo_schema_validator(manifest)
    # THEN the manifest has the deadline and the run template's retry strategy
    assert manifest["spec"]["activeDeadlineSeconds"] == 600
    [run] = [t for t in manifest["spec"]["templates"] if t["name"] == "run"]
    assert run["retryStrategy"] == {"limit": 2, "retryPolicy": "Always", "backoff": {"duration": "5", "factor": 2}}
    assert run["container"]["args"][-6:-4] == ["--cell-timeout", "60"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "missing.ipynb"], "not found"),
        (["run", "{no_kernelspec}"], "has no kernel"),
        (["run", "{parameters}", "-p", "n"], "malformed parameter"),
        (["run", "{parameters}", "-p", "1x=3"], "malformed parameter"),
        (["run", "{parameters}", "--output-format", "docx"], "output format(s) docx not offered"),
        (["render", "{parameters}", "--schedule", "every morning"], "not a valid cron schedule"),
        (["render", "{parameters}", "--schedule", "0 6 * * *", "--timezone", "Mars/Base"], "not a known time zone"),
        (["status", "00000000-0000-0000-0000-000000000000"], "no job"),
        (["run", "{parameters}", "--config", "missing_config.py"], "does not exist"),
        (["run", "{parameters}", "--retries", "many"], "retries must be a whole number of retries, got 'many'"),
        (["render", "{parameters}", "--timeout", "-3"], "timeout_seconds must be between 0"),
    ],
    ids=["missing-notebook", "no-kernelspec", "no-equals", "bad-key", "unknown-format", "bad-cron", "bad-timezone",
         "unknown-job", "missing-config", "bad-retries", "negative-timeout"],
)
def test_bad_input_is_one_clear_line_and_leaves_nothing_behind(cli, args, message):
    # GIVEN notebooks in the working folder
    paths = {"no_kernelspec": cli.notebook("no_kernelspec.ipynb"), "parameters": cli.notebook("parameters.ipynb")}
    # WHEN the command is given bad input
    result = cli(*[a.format(**paths) for a in args])
    # THEN one line on stderr says what is wrong, and the exit status is non-zero
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    # AND no job record, staging folder or run was left behind
    assert cli.job_rows() == []
    assert not cli.staging.exists() or not any(cli.staging.iterdir())
    assert not (cli.home / "data" / "argo_scheduler" / "local" / "runs").exists() or not any(
        (cli.home / "data" / "argo_scheduler" / "local" / "runs").iterdir()
    )


def test_cli_reads_the_servers_configuration_and_a_config_file(cli):
    # GIVEN the server's config in the Jupyter config dir, and an extra file
    (cli.home / "config" / "jupyter_server_config.py").write_text(
        f"c.SchedulerApp.db_url = 'sqlite:///{cli.home}/server.sqlite'\n"
        "c.ArgoScheduler.image = 'registry.example.com/nb:server'\n"
        "c.ArgoScheduler.namespace = 'from-server-config'\n"
    )
    extra = cli.home / "extra.py"
    extra.write_text("c.ArgoScheduler.image = 'registry.example.com/nb:extra'\n")
    notebook = cli.notebook("parameters.ipynb")
    # WHEN a manifest is rendered
    manifest = yaml.safe_load(cli("render", notebook).stdout)
    # THEN it follows the server's config
    assert manifest["metadata"]["namespace"] == "from-server-config"
    assert manifest["spec"]["templates"][0]["container"]["image"] == "registry.example.com/nb:server"
    assert f"{cli.home}/server.sqlite" in manifest["spec"]["arguments"]["parameters"][0]["value"]
    # AND --config is loaded last
    manifest = yaml.safe_load(cli("render", notebook, "--config", extra).stdout)
    assert manifest["spec"]["templates"][0]["container"]["image"] == "registry.example.com/nb:extra"


def test_run_on_an_outside_engine_named_on_the_command_line(cli):
    # GIVEN a notebook, and the example plugin's engine installed by pip (tests/outside_plugin)
    notebook = cli.notebook("parameters.ipynb")
    # WHEN it is run with --engine naming that engine
    result = cli("run", notebook, "-p", "n=3", "--engine", "team-local", "--json")
    # THEN the job completes there: its workflow carries the label only that engine puts on
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "COMPLETED", report
    [manifest] = (cli.home / "data" / "argo_scheduler" / "local" / "runs").glob("*/manifest.json")
    assert json.loads(manifest.read_text())["metadata"]["labels"]["example.com/team"] == "data"
