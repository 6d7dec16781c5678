"""`python -m argo_scheduler.runtime run|record-failure …`: the job pod's entry point.

Arguments arrive as argv from the workflow's container template, never
through a shell. Exit status: `run` exits 0 only when the job COMPLETED, so
Argo's phase matches the record; `record-failure` exits 0 unless the record
could not be written. 2 means the pod was given something unusable.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from ..lean import defer_server_extension

# Before anything imports jupyter_scheduler: a job pod is no Jupyter server.
defer_server_extension()

from sqlalchemy.exc import DBAPIError, SQLAlchemyError  # noqa: E402

from ..spec import RunSpec  # noqa: E402
from . import secrets  # noqa: E402
from .notifying import for_notebook, pod_notifiers  # noqa: E402
from .records import DatabaseNotConfigured, JobVanished  # noqa: E402
from .runlog import LOG_LINE_FORMAT  # noqa: E402

log = logging.getLogger("argo_scheduler.runtime")

EXIT_UNUSABLE = 2
EXIT_NOT_RECORDED = 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m argo_scheduler.runtime", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def workflow_command(name: str, help: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help)
        command.add_argument("--spec", required=True, help="the run spec JSON (argo_scheduler.spec.RunSpec)")
        command.add_argument("--workflow-name", required=True)
        command.add_argument("--workflow-uid", required=True)
        return command

    run = workflow_command("run", "run the job's notebook and record the outcome")
    run.add_argument("--cell-timeout", type=int, default=None, help="seconds one cell may run (papermill's execution_timeout)")
    run.add_argument("--retry-number", type=int, default=0, help="Argo's {{retries}}: 0 for the first attempt")
    run.add_argument("--retry-limit", type=int, default=0, help="the retryStrategy's limit: attempts after the first")
    record = workflow_command("record-failure", "exit handler: record a workflow that did not succeed")
    record.add_argument("--workflow-status", required=True, help="Argo's {{workflow.status}}")
    record.add_argument("--workflow-failures", default="", help="Argo's {{workflow.failures}} JSON")
    record.add_argument("--timeout-seconds", type=int, default=None, help="the workflow's activeDeadlineSeconds")
    return parser


def _execute(args: argparse.Namespace, spec: RunSpec, db_url: str | None) -> int:
    # The spec's URL wins over the environment's, as resolve_db_url decides.
    db_url = spec.db_url or db_url
    if args.command == "run":
        # Imported here: papermill and nbconvert are for `run` only, and the
        # exit handler's pod should start quickly.
        from .attempts import Attempt
        from .job import run_job

        result = run_job(
            for_notebook(spec),
            workflow_name=args.workflow_name,
            workflow_uid=args.workflow_uid,
            db_url=db_url,
            notifiers=pod_notifiers(spec),
            attempt=Attempt.from_retries(args.retry_number, args.retry_limit),
            cell_timeout=args.cell_timeout,
            own_process_tree=True,
        )
        return result.exit_code
    from .failure import record_failure

    record_failure(
        spec,
        workflow_name=args.workflow_name,
        workflow_uid=args.workflow_uid,
        workflow_status=args.workflow_status,
        workflow_failures=args.workflow_failures,
        timeout_seconds=args.timeout_seconds,
        db_url=db_url,
        notifiers=pod_notifiers(spec),
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    # First of all: the notebook's kernel inherits this process's environment,
    # so secrets (notifiers' and the database URL) leave it before anything starts.
    secrets.withdraw()
    db_url = secrets.take_db_url()
    args = build_parser().parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=LOG_LINE_FORMAT)
    try:
        spec = RunSpec.from_json(args.spec)
    except (ValueError, TypeError) as error:
        log.error("Invalid run spec: %s", error)
        return EXIT_UNUSABLE
    try:
        return _execute(args, spec, db_url)
    except (ValueError, DatabaseNotConfigured) as error:
        log.error("%s", error)
        return EXIT_UNUSABLE
    except JobVanished as error:
        log.error("%s", error)
        return EXIT_NOT_RECORDED
    except DBAPIError as error:
        # The driver's own message: sqlalchemy's adds the statement and its
        # parameters, which may hold a user's secrets.
        log.error("Cannot record the job: %s", error.orig)
        return EXIT_NOT_RECORDED
    except SQLAlchemyError as error:
        log.error("Cannot record the job: %s", error)
        return EXIT_NOT_RECORDED


if __name__ == "__main__":
    sys.exit(main())
