"""In the job's pod: secrets reach the notifiers and never the notebook (its environment, parameters or outputs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
from jupyter_scheduler.orm import create_tables
from notifier_helpers import SLACK_TOKEN

from argo_scheduler.runtime.records import JobStore
from argo_scheduler.spec import DB_URL_ENV, RunSpec

DEFINITION_ID = "0b7d3a4e-5a29-4b53-8a0e-3f7f1f0c2d11"
# What the notebook can see: its environment (directly and through a subprocess) and its variables.
PROBE = """
import json, os, subprocess
print("ENV " + json.dumps(sorted(os.environ)))
print("SUBPROCESS " + json.dumps(subprocess.run(["env"], capture_output=True, text=True).stdout))
print("VARIABLES " + json.dumps(sorted(k for k in globals() if k.isupper() or k == "n")))
"""


def probe_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}), nbformat.v4.new_code_cell(PROBE)]
    nbformat.write(nb, str(path))


def test_the_kernel_sees_no_secret_and_the_notifier_gets_them(tmp_path, fake_slack):
    # GIVEN a cron run's pod: the database URL and notifier secrets in its environment, SLACK_CHANNEL a parameter
    db_path = tmp_path / "scheduler.sqlite"
    db_url = f"sqlite:///{db_path}"
    create_tables(db_url)
    staging = tmp_path / "staging"
    (staging / DEFINITION_ID).mkdir(parents=True)
    probe_notebook(staging / DEFINITION_ID / "probe.ipynb")
    spec = RunSpec(
        name="probe", input_filename="probe.ipynb", input_path=str(staging / DEFINITION_ID / "probe.ipynb"),
        staging_path=str(staging), runtime_environment_name="python3", job_definition_id=DEFINITION_ID,
        parameters={"n": "2", "SLACK_CHANNEL": "#reports"}, output_formats=["ipynb", "html"],
        notifiers=[{"name": "slack", "config": {"base_url": fake_slack.base_url, "timeout": 20}}],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGO_SCHEDULER_")}
    env.update({
        DB_URL_ENV: db_url,
        "ARGO_SCHEDULER_SECRET_DEFINITION_PARAMETER_SLACK_TOKEN": SLACK_TOKEN,
        "ARGO_SCHEDULER_SECRET_OTHER": "another-secret-value",
    })
    uid = str(uuid.uuid4())
    # WHEN the runtime runs it, as the pod's command does
    result = subprocess.run(
        [sys.executable, "-m", "argo_scheduler.runtime", "run", "--spec", spec.to_json(),
         "--workflow-name", "probe-run", "--workflow-uid", uid],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr
    # THEN the notebook's environment, and a subprocess's, have neither the secrets nor the database URL
    executed = next((staging / uid).glob("probe-*.ipynb"))
    outputs = "".join(o.get("text", "") for c in nbformat.read(str(executed), 4).cells for o in c.get("outputs", []))
    seen = json.loads(outputs.split("ENV ", 1)[1].splitlines()[0])
    assert not [k for k in seen if k.startswith("ARGO_SCHEDULER_")], seen
    assert "ARGO_SCHEDULER" not in json.loads(outputs.split("SUBPROCESS ", 1)[1].splitlines()[0])
    # AND its parameters are the notebook's own: SLACK_* addresses the notifier
    assert json.loads(outputs.split("VARIABLES ", 1)[1].splitlines()[0]) == ["n"]
    # AND no secret is in any file the run wrote, nor in what the pod printed
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SLACK_TOKEN.encode() not in data and b"another-secret-value" not in data, path
    assert SLACK_TOKEN not in result.stdout + result.stderr
    # AND the notifier got the token and the channel: the HTML output went to #reports
    assert fake_slack.methods()[-3:] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert {c.token for c in fake_slack.calls if c.method != "upload"} == {SLACK_TOKEN}
    assert fake_slack.shared[0]["channel_id"] == "C07REPORTS"
    assert fake_slack.shared[0]["initial_comment"].startswith("probe — COMPLETED in ")
    # AND the run's record lists the parameters its notebook received
    with JobStore(db_url) as store:
        record = store.get(uid)
    assert record.status.value == "COMPLETED" and record.parameters == {"n": "2"}
