"""Run options from the command line: the same keys and the same check as REST and the form."""

from __future__ import annotations

import yaml


def test_a_definitions_schedule_options_reach_the_cron_workflow(cli, argo_schema_validator):
    notebook = cli.notebook("parameters.ipynb")
    result = cli("render", notebook, "--schedule", "0 6 * * *", "--option", "concurrency_policy=forbid",
                 "--option", "starting_deadline_seconds=600")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    argo_schema_validator(manifest)
    assert (manifest["spec"]["concurrencyPolicy"], manifest["spec"]["startingDeadlineSeconds"]) == ("Forbid", 600)


def test_a_refused_option_is_one_line_and_leaves_nothing(cli):
    notebook = cli.notebook("parameters.ipynb")
    # GIVEN a server without notifiers WHEN a run asks for notifications or a Slack channel
    for args in (["--notify-on", "failure"], ["--option", "notify_slack_channel=#data"], ["--option", "oops"]):
        result = cli("run", notebook, *args)
        # THEN it is refused in one line that names the field, and no job exists
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.splitlines()
        assert line.startswith("argo-scheduler: error: ") and ("notify_" in line or "--option KEY=VALUE" in line)
    assert cli.job_rows() == []
