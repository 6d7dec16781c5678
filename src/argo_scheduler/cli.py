"""`argo-scheduler`: run, render, inspect and stop notebook jobs from a terminal.

It reads the Jupyter server's configuration and database, so a job started
here shows in the JupyterLab scheduler UI and the other way round.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
POLL_SECONDS = 0.5


class CliError(Exception):
    """Bad input: one line on stderr, non-zero exit, nothing left behind."""


def main(argv: list[str] | None = None) -> int:
    from .lean import defer_server_extension

    # A terminal command is no Jupyter server: jupyter-scheduler's models and
    # ORM without its server extension's import chain (lean.py).
    defer_server_extension()
    parser = _parser()
    args = parser.parse_args(argv)
    from traitlets import TraitError

    from .db import DatabaseUnavailable

    try:
        return args.func(args)
    except (CliError, DatabaseUnavailable) as e:
        print(f"argo-scheduler: error: {e}", file=sys.stderr)
        unusable = isinstance(e, DatabaseUnavailable) or isinstance(e.__cause__, DatabaseUnavailable)
        return EXIT_DATABASE if unusable else EXIT_USAGE
    except TraitError as e:
        # A configured value (a config file's or an option's, such as --engine) the class refuses.
        print(f"argo-scheduler: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


_RUN_SETTING_OPTIONS = (
    ("--timeout", "timeout_seconds", "seconds the whole run may take"),
    ("--retries", "retries", "attempts after the first when the run fails"),
    ("--retry-backoff", "retry_backoff_seconds", "seconds before the first retry"),
    ("--cell-timeout", "cell_timeout_seconds", "seconds one cell may run"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="argo-scheduler", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="extra jupyter_server_config.py/.json to load last")
    common.add_argument("--db-url", help="scheduler database (default: the JupyterLab UI's, from config)")
    common.add_argument("--staging-path", help="staging folder for job files (default: from config)")
    common.add_argument(
        "--engine", metavar="NAME",
        help="where the job runs: local, argo, kubernetes, an outside engine's name or a class path (default: from config)",
    )

    job_input = argparse.ArgumentParser(add_help=False)
    job_input.add_argument("notebook", help="path of the notebook to run")
    job_input.add_argument(
        "-p", "--parameter", action="append", default=[], metavar="KEY=VALUE",
        help="notebook parameter (repeatable); 3 arrives as an int, 0.5 as a float, true/false as booleans",
    )
    job_input.add_argument(
        "--output-format", action="append", default=[], metavar="FMT",
        help="output format (repeatable): ipynb, html or any nbconvert exporter (default: ipynb)",
    )
    job_input.add_argument("--name", help="job name shown in the UI (default: the notebook's name)")
    # The job's runtime environment parameters, as the UI would send them (docs/timeouts.md).
    for option, key, what in _RUN_SETTING_OPTIONS:
        job_input.add_argument(option, dest=key, metavar="N", help=f"{what} (default: from config)")
    job_input.add_argument(
        "--notify-on", dest="notify_on", metavar="EVENTS",
        help='notify on "success", "failure", "success,failure" or "none" (default: the notifiers\' events)',
    )
    job_input.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", dest="run_options",
        help="any other run option (repeatable), e.g. notify_slack_channel=#data or concurrency_policy=Forbid",
    )
    job_input.add_argument(
        "--environment", metavar="ENV", help="environment the job runs in (default: the notebook's kernel)"
    )
    job_input.add_argument(
        "--compute-type", metavar="CT", help="compute type (default: the environment's default)"
    )

    schedule = argparse.ArgumentParser(add_help=False)
    schedule.add_argument("--schedule", metavar="CRON", help="as the CronWorkflow of a job definition")
    schedule.add_argument("--timezone", metavar="TZ", help="time zone of --schedule (default: UTC)")

    run = sub.add_parser("run", parents=[common, job_input], help="run a notebook now")
    run.add_argument("--detach", action="store_true", help="return once submitted instead of waiting")
    run.add_argument("--json", action="store_true", help="print one JSON object as the result")
    run.add_argument(
        "--follow", action="store_true", help="with --json: one JSON object per event while waiting, then the result"
    )
    run.set_defaults(func=cmd_run)

    render = sub.add_parser(
        "render", parents=[common, job_input, schedule], help="print the manifest that would be submitted"
    )
    render.set_defaults(func=cmd_render)

    check = sub.add_parser(
        "check", parents=[common, job_input, schedule], help="run the checks a submission of the notebook would pass"
    )
    check.add_argument("--json", action="store_true", help="print one JSON object with the checks")
    check.set_defaults(func=cmd_check)

    status = sub.add_parser("status", parents=[common], help="show a job's status and outputs")
    status.add_argument("job_id")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.add_argument(
        "--follow", action="store_true", help="wait for the job to end, showing its progress; exit 0 only if it COMPLETED"
    )
    status.set_defaults(func=cmd_status)

    plugins = sub.add_parser("plugins", help="list the installed PodSpecMutators and Notifiers")
    plugins.add_argument("--json", action="store_true", help="print one JSON object")
    plugins.set_defaults(func=cmd_plugins)

    stop = sub.add_parser("stop", parents=[common], help="stop a running job")
    stop.add_argument("job_id")
    stop.set_defaults(func=cmd_stop)

    agent = sub.add_parser("agent", help="fire job definitions on schedule with the local engine")
    agent.add_argument("--config", metavar="FILE", help="extra jupyter_server_config.py/.json to load last")
    agent.add_argument("--state-dir", help="the local engine's state directory (default: from config)")
    agent.add_argument("--once", action="store_true", help="fire what is due now, then exit")
    agent.set_defaults(func=cmd_agent)
    return parser


# ---- building blocks ------------------------------------------------------


def _config(args):
    from .config import load_config

    try:
        config = load_config(args.config)
    except (FileNotFoundError, SyntaxError) as e:
        raise CliError(str(e)) from e
    if args.staging_path:
        config.ArgoScheduler.staging_path = os.path.abspath(args.staging_path)
    if args.engine:
        config.ArgoScheduler.engine = args.engine
    return config


def _scheduler(args, root_dir: str, config=None, create_db: bool = True):
    from .config import default_db_url
    from .environments import ArgoEnvironmentManager
    from .scheduler import ArgoScheduler

    config = config if config is not None else _config(args)
    db_url = args.db_url or default_db_url(config)
    if create_db:
        # The server creates the tables at start; the CLI may come first, and
        # the scheduler creates them on its first query, in this folder.
        _ensure_sqlite_folder(db_url)
    return ArgoScheduler(
        root_dir=root_dir, environments_manager=ArgoEnvironmentManager(config=config), db_url=db_url, config=config
    )


def _ensure_sqlite_folder(db_url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from .db import unusable

    try:
        url = make_url(db_url)
    except (ArgumentError, ValueError):
        return  # the scheduler says so, without echoing the URL, when it opens the database
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        folder = Path(url.database).expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            why = "is a file, not a folder" if isinstance(e, FileExistsError) else f"cannot be made: {e.strerror}"
            raise unusable(url, f"its folder {folder} {why}") from None


def _notebook(path: str) -> tuple[Path, dict]:
    import nbformat

    notebook = Path(path).expanduser().resolve()
    if not notebook.is_file():
        raise CliError(f"notebook {path} not found")
    try:
        content = nbformat.read(notebook, as_version=4)
    except Exception as e:
        raise CliError(f"{path} is not a readable notebook: {e}") from e
    return notebook, content


def _root_dir(notebook: Path, config) -> str:
    # Inside the server's root_dir, paths match what the UI shows.
    configured = config.get("ServerApp", {}).get("root_dir")
    for candidate in (configured, os.getcwd()):
        if candidate:
            root = Path(candidate).expanduser().resolve()
            if root in notebook.parents:
                return str(root)
    return str(notebook.parent)


def _parameters(pairs: list[str]) -> dict[str, str]:
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise CliError(f"malformed parameter {pair!r}: use -p KEY=VALUE with KEY a Python name")
        parameters[key] = value
    return parameters


def _job_fields(args, notebook: Path, content) -> dict:
    kernel = (content.metadata.get("kernelspec") or {}).get("name", "") if content is not None else ""
    settings = {key: getattr(args, key) for _, key, _ in _RUN_SETTING_OPTIONS if getattr(args, key) is not None}
    for pair in args.run_options:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"malformed run option {pair!r}: use --option KEY=VALUE")
        settings[key.strip()] = value
    if args.notify_on is not None:
        settings["notify_on"] = args.notify_on
    return dict(
        input_filename=notebook.name,
        name=args.name or notebook.stem,
        runtime_environment_name=args.environment or kernel,
        compute_type=args.compute_type,
        runtime_environment_parameters=settings or None,
        parameters=_parameters(args.parameter),
        output_formats=args.output_format or ["ipynb"],
    )


def _no_environment(notebook: Path) -> CliError:
    return CliError(
        f"{notebook.name} has no kernel and no --environment is given: open it in JupyterLab, "
        "select a kernel and save it, or pass --environment"
    )


def _preview(args, fields: dict):
    """The job (or, with --schedule, the job definition) `run` would create, created nowhere."""
    from jupyter_scheduler.models import DescribeJob, DescribeJobDefinition
    from jupyter_scheduler.utils import get_utc_timestamp

    now = get_utc_timestamp()
    if args.schedule:
        return DescribeJobDefinition(
            job_definition_id=str(uuid.uuid4()), schedule=args.schedule, timezone=args.timezone,
            create_time=now, update_time=now, active=True, **fields,
        )
    if args.timezone:
        raise CliError("--timezone only applies with --schedule")
    job_id = str(uuid.uuid4())
    return DescribeJob(job_id=job_id, url=f"/jobs/{job_id}", create_time=now, update_time=now, **fields)


def _as_submitted(scheduler, model):
    """`model` as a submission stores and renders it: its fields checked, secret parameters taken out."""
    from .inputs import check_fields

    check_fields(model)
    parameters, _ = scheduler.split_secret_parameters(model.parameters)
    return model.copy(update={"parameters": parameters})


def _outputs(scheduler, job) -> dict[str, str]:
    paths = scheduler.get_staging_paths(job)
    return {fmt: paths[fmt] for fmt in job.output_formats if os.path.exists(paths.get(fmt, ""))}


def _report(scheduler, job, as_json: bool, waited: bool = False, event: bool = False) -> None:
    """The job's end (or state); after a wait for a job that FAILED, with the run log's last lines."""
    from jupyter_scheduler.models import Status

    outputs = _outputs(scheduler, job)
    log_path, log_tail = None, []
    if waited and job.status == Status.FAILED:
        from .follow import log_lines

        log_path, log_tail = log_lines(scheduler, job)
    if as_json:
        print(json.dumps({
            **({"event": "final"} if event else {}),
            "job_id": job.job_id,
            "status": str(job.status),
            "status_message": job.status_message,
            "outputs": outputs,
            **({"log_tail": "\n".join(log_tail)} if log_tail else {}),
        }), flush=True)
        return
    print(f"job {job.job_id}: {job.status}")
    if job.status_message:
        print(f"  {job.status_message}")
    for fmt, path in outputs.items():
        print(f"  {fmt}: {path}")
    if log_tail:
        print(f"last {len(log_tail)} lines of the run log {log_path}:", file=sys.stderr)
        for line in log_tail:
            print(f"  {line}", file=sys.stderr)


def _follow(scheduler, job_id: str, args):
    """Wait for the job's end, showing its progress as args ask (docs/cli.md); its final record."""
    from .follow import Follower

    if args.json:
        mode = "json" if args.follow else "lines"
    else:
        mode = "bar" if sys.stderr.isatty() else "lines"
    return Follower(scheduler, lambda job_id: _get_job(scheduler, job_id), mode).follow(job_id)


def _get_job(scheduler, job_id: str):
    from sqlalchemy.exc import NoResultFound

    from .db import display_url

    try:
        return scheduler.get_job(job_id, job_files=False)
    except NoResultFound:
        raise CliError(f"no job {job_id} in {display_url(scheduler.db_url)}") from None


def _scheduler_errors():
    from jupyter_scheduler.exceptions import IdempotencyTokenError, InputUriError, SchedulerError

    from .engines.base import EngineError
    from .workflow import BuildError

    return (SchedulerError, InputUriError, IdempotencyTokenError, EngineError, BuildError)


# ---- commands -------------------------------------------------------------


def cmd_run(args) -> int:
    from jupyter_scheduler.models import CreateJob, Status

    notebook, content = _notebook(args.notebook)
    fields = _job_fields(args, notebook, content)
    config = _config(args)
    root_dir = _root_dir(notebook, config)
    scheduler = _scheduler(args, root_dir, config)
    if not fields["runtime_environment_name"]:
        raise _no_environment(notebook)
    model = CreateJob(input_uri=os.path.relpath(notebook, root_dir), **fields)
    try:
        job_id = scheduler.create_job(model)
    except _scheduler_errors() as e:
        raise CliError(str(e)) from e

    if args.detach:
        if args.json:
            _report(scheduler, _get_job(scheduler, job_id), as_json=True)
        else:
            print(f"job {job_id} submitted; follow it with: argo-scheduler status {job_id}")
        return 0

    try:
        job = _follow(scheduler, job_id, args)
    except KeyboardInterrupt:
        print(f"\nstill running; follow it with: argo-scheduler status {job_id} --follow", file=sys.stderr)
        return 130
    _report(scheduler, job, args.json, waited=True, event=args.json and args.follow)
    return 0 if job.status == Status.COMPLETED else EXIT_FAILED


def cmd_render(args) -> int:
    import yaml
    from jupyter_scheduler.models import DescribeJob

    notebook, content = _notebook(args.notebook)
    scheduler = _scheduler(args, str(notebook.parent), create_db=False)
    model = _preview(args, _job_fields(args, notebook, content))
    if not model.runtime_environment_name:
        raise _no_environment(notebook)
    try:
        # Assembled as run assembles it: render shows what run would submit.
        manifest = scheduler.assemble(model, str(notebook)).manifest
    except _scheduler_errors() as e:
        raise CliError(str(e)) from e
    print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")
    return 0


def cmd_check(args) -> int:
    from .checks import FAILED, OK, SKIPPED, CheckReport
    from .checks.submission import formats_check_for, manifest_checks, notebook_check_for

    report = CheckReport()
    notebook = Path(args.notebook).expanduser().resolve()
    if not notebook.is_file():
        report.add("notebook", FAILED, f"notebook {args.notebook} not found")
        return _print_checks(report, args.json)
    try:
        import nbformat

        content = nbformat.read(notebook, as_version=4)
    except Exception:
        content = None  # the notebook check says why
    config = _config(args)
    scheduler = _scheduler(args, _root_dir(notebook, config), config, create_db=False)
    model = _preview(args, _job_fields(args, notebook, content))
    try:
        model = _as_submitted(scheduler, model)
    except _scheduler_errors() as e:
        report.add("input", FAILED, str(e))
        for name in ("environment", "notebook", "manifest"):
            report.add(name, SKIPPED, "not checked: the job's input is refused")
        return _print_checks(report, args.json)
    report.add("input", OK, "name, notebook file name and parameters are acceptable")
    try:
        if not model.runtime_environment_name:
            raise _no_environment(notebook)
        choice = scheduler.choose(model, fresh=True)
        if choice.error is not None:
            raise choice.error
    except (CliError, *_scheduler_errors()) as e:
        report.add("environment", FAILED, str(e))
        for name in ("notebook", "manifest"):
            report.add(name, SKIPPED, "not checked: the environment is unknown")
        return _print_checks(report, args.json)
    compute = f", compute type {model.compute_type}" if model.compute_type else ""
    report.add("environment", OK, f"environment {model.runtime_environment_name}{compute}")
    engine, facts = scheduler.get_engine(), choice.facts(model, str(notebook))
    report.checks.append(notebook_check_for(engine, facts))
    report.checks.append(formats_check_for(engine, facts))
    try:
        manifest = scheduler.assemble(model, validate=False, choice=choice).manifest
    except (CliError, *_scheduler_errors()) as e:
        report.add("manifest", FAILED, str(e))
        return _print_checks(report, args.json)
    report.add("manifest", OK, f"{manifest['kind']} {manifest['metadata']['name']} rendered")
    report.checks.extend(manifest_checks(engine, scheduler.namespace, manifest))
    return _print_checks(report, args.json)


def _print_checks(report, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.to_dict()))
    else:
        for check in report.checks:
            print(f"{check.status:<8} {check.name}: {check.message}")
    return 0 if report.ok else EXIT_FAILED


def cmd_status(args) -> int:
    from jupyter_scheduler.models import Status

    scheduler = _scheduler(args, os.getcwd())
    job = _get_job(scheduler, args.job_id)
    if not args.follow:
        _report(scheduler, job, args.json)
        return 0
    try:
        job = _follow(scheduler, job.job_id, args)
    except KeyboardInterrupt:
        print(f"\nstill running; follow it with: argo-scheduler status {job.job_id} --follow", file=sys.stderr)
        return 130
    _report(scheduler, job, args.json, waited=True, event=args.json)
    return 0 if job.status == Status.COMPLETED else EXIT_FAILED


def cmd_plugins(args) -> int:
    from .plugins import PluginError, notifiers, podspec_mutators

    try:
        found = {"podspec_mutators": podspec_mutators(), "notifiers": notifiers()}
    except PluginError as e:
        raise CliError(str(e)) from e
    if args.json:
        print(json.dumps({
            kind: {name: {"class": f"{p.cls.__module__}.{p.cls.__qualname__}", "provider": p.provider}
                   for name, p in plugins.items()}
            for kind, plugins in found.items()
        }))
        return 0
    for kind, trait in (("podspec_mutators", "PodSpecMutators"), ("notifiers", "Notifiers")):
        print(f"{trait} (c.ArgoScheduler.{kind}):")
        for name, plugin in found[kind].items():
            print(f"  {name:<16} {plugin.cls.__module__}.{plugin.cls.__qualname__}  [{plugin.provider}]")
        if not found[kind]:
            print("  (none installed)")
    return 0


def cmd_stop(args) -> int:
    from jupyter_scheduler.models import Status

    scheduler = _scheduler(args, os.getcwd())
    _get_job(scheduler, args.job_id)
    try:
        scheduler.stop_job(args.job_id)
    except _scheduler_errors() as e:
        raise CliError(str(e)) from e
    deadline = time.monotonic() + 60
    job = _get_job(scheduler, args.job_id)
    while job.status == Status.STOPPING and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        job = _get_job(scheduler, args.job_id)
    _report(scheduler, job, as_json=False)
    return 0 if job.status in (Status.STOPPED, Status.COMPLETED, Status.FAILED) else EXIT_FAILED


def cmd_agent(args) -> int:
    from .engines.local.agent import run_agent

    return run_agent(args.state_dir, once=args.once, config_file=args.config)


if __name__ == "__main__":
    sys.exit(main())
