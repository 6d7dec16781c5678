"""`argo-scheduler check NOTEBOOK`, as a user types it: each check with its outcome, exit 0 only when none failed."""

from __future__ import annotations

import json

import pytest

TOKEN = "cli-check-token"


def test_a_good_notebook_passes_every_check_and_creates_nothing(cli):
    # GIVEN a notebook with a kernel installed here, on the local engine
    notebook = cli.notebook("parameters.ipynb")
    # WHEN it is checked
    result = cli("check", notebook, "-p", "n=3")
    # THEN every check is printed with its outcome, the cluster ones skipped with why, and it exits 0
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "skipped"]
    assert lines[0] == "ok       input: name, notebook file name and parameters are acceptable"
    assert lines[2] == "ok       notebook: parameters.ipynb runs with kernel python3 of environment python3"
    assert lines[3] == "ok       output formats: ipynb: every converter is installed here"
    assert "ok       argo schema: the Workflow is valid against Argo's schema (v4.0.5)" in lines
    assert lines[-1] == (
        "skipped  resource quota: not checked: the local engine runs jobs on this machine, not in a Kubernetes namespace"
    )
    # AND nothing was created
    assert cli.job_rows() == [] and not cli.staging.exists()


@pytest.mark.parametrize(
    "args, failed, message",
    [
        (["check", "{no_kernelspec}"], "environment", "no_kernelspec.ipynb has no kernel and no --environment is given"),
        (["check", "{no_kernelspec}", "--environment", "python3", "--compute-type", "huge"], "environment",
         "compute type 'huge' does not exist for environment 'python3'; available: none"),
        (["check", "missing.ipynb"], "notebook", "notebook missing.ipynb not found"),
        (["check", "{parameters}", "--schedule", "every morning"], "manifest", "not a valid cron schedule"),
    ],
    ids=["no-kernel", "unknown-compute-type", "missing-notebook", "bad-cron"],
)
def test_a_failed_check_exits_1_and_json_says_which(cli, args, failed, message):
    paths = {"no_kernelspec": cli.notebook("no_kernelspec.ipynb"), "parameters": cli.notebook("parameters.ipynb")}
    # WHEN a notebook that would be refused is checked with --json
    result = cli(*[a.format(**paths) for a in args], "--json")
    # THEN it exits 1 with one JSON object naming the failed check and why
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    [check] = [c for c in report["checks"] if c["status"] == "failed"]
    assert check["name"] == failed and message in check["message"]


@pytest.fixture
def api_token() -> str:
    return TOKEN


def test_on_argo_the_cluster_checks_ask_the_configured_kubernetes_api(cli, kube, token_file):
    # GIVEN a deployment on Argo whose namespace lacks the database Secret and has 1 cpu left
    (cli.home / "config" / "jupyter_server_config.py").write_text(
        "c.ArgoScheduler.engine = 'argo'\n"
        "c.ArgoScheduler.namespace = 'jobs'\n"
        "c.ArgoScheduler.db_url_secret_name = 'scheduler-db'\n"
        "c.ArgoEngine.host = 'http://127.0.0.1:9'\n"
        f"c.KubernetesSecrets.host = {kube.url!r}\n"
        f"c.KubernetesSecrets.token_file = {token_file!r}\n"
        "c.ArgoEnvironmentManager.compute_types = {'big': {'cpu_request': '4'}}\n"
    )
    kube.add_quota("jobs", "team", {"requests.cpu": "8"}, {"requests.cpu": "7"})
    notebook = cli.notebook("parameters.ipynb")
    # WHEN the notebook is checked on the big compute type
    result = cli("check", notebook, "--compute-type", "big", "--json")
    # THEN the Secret and the quota checks fail with what to fix, and it exits 1
    assert result.returncode == 1, result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["secrets"]["status"] == "failed" and "Secret scheduler-db" in checks["secrets"]["message"]
    assert checks["resource quota"]["status"] == "failed"
    assert "requests.cpu: the job needs 4 but ResourceQuota team has 1 left" in checks["resource quota"]["message"]
    # AND the API was asked one LIST per kind needed, and nothing was written
    assert [(c.verb, c.resource) for c in kube.calls()] == [("list", "secrets"), ("list", "resourcequotas")]
    # WHEN the Secret exists and the quota has room THEN every check passes and it exits 0
    kube.add_secret("jobs", "scheduler-db", {"url": "postgresql://db/jobs"})
    kube.add_quota("jobs", "team", {"requests.cpu": "8"}, {"requests.cpu": "1"})
    passed = cli("check", notebook, "--compute-type", "big")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert all(line.startswith("ok ") for line in passed.stdout.splitlines()), passed.stdout
