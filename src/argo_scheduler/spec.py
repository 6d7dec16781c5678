"""The run spec: the one JSON parameter a job's pod receives.

It is the whole contract between the server that builds a workflow and the
runtime that executes inside the pod. It carries no secret: a database URL
with a password travels as a Secret reference in the pod's environment
(`ARGO_SCHEDULER_DB_URL`), never in here.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SPEC_VERSION = 1

# The env var the pod reads the database URL from when the spec has none.
DB_URL_ENV = "ARGO_SCHEDULER_DB_URL"


@dataclass(frozen=True)
class RunSpec:
    """What the pod needs to run one notebook job and record it.

    `job_id` is None for runs spawned by a CronWorkflow: the pod then derives
    the job id from the workflow's uid and creates the job record itself.
    """

    name: str
    input_filename: str
    # The notebook to execute: the job's own staging copy for a one-off job,
    # the definition's staging copy for a cron run.
    input_path: str
    # Root of jupyter-scheduler's staging area; a job's files live in
    # <staging_path>/<job_id>/.
    staging_path: str
    runtime_environment_name: str = ""
    job_id: str | None = None
    job_definition_id: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    output_formats: list[str] = field(default_factory=list)
    kernel_name: str | None = None
    db_url: str | None = None
    owner: str | None = None
    compute_type: str | None = None
    runtime_environment_parameters: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    # [{"name": plugin name, "config": {trait: value}}]: the notifiers the pod
    # runs after the record is written, as the server configured them.
    notifiers: list[dict[str, Any]] = field(default_factory=list)
    version: int = SPEC_VERSION

    def to_json(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True, ensure_ascii=True)
        # On its way to the pod's argv the text is read twice: by Argo, which
        # substitutes `{{...}}`, then by Kubernetes, which expands `$(VAR)`
        # from the container's env (a Secret's value included) and turns `$$`
        # into `$`. Outside strings JSON emits neither `{{` nor `$`, so writing
        # them inside strings as unicode escapes makes user text inert to both
        # while json.loads still returns it exactly.
        return text.replace("$", "\\u0024").replace("{{", "{\\u007b")

    @classmethod
    def from_json(cls, text: str) -> "RunSpec":
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("run spec must be a JSON object")
        version = data.get("version", SPEC_VERSION)
        if version > SPEC_VERSION:
            raise ValueError(
                f"run spec version {version} is newer than this argo_scheduler "
                f"understands ({SPEC_VERSION}); upgrade argo_scheduler in the job image"
            )
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
