"""The agent that fires the local engine's CronWorkflows: `python -m argo_scheduler.engines.local.agent --state-dir DIR`.

Argo's cron controller, for one machine. Started detached by
agent_control.ensure_agent(), one per state directory (its lock); this
module is the process itself.

Each pass (every `poll_interval` seconds), for every cron:
- history limits: finished runs beyond successfulJobsHistoryLimit /
  failedJobsHistoryLimit (Failed and Error count as failed) are deleted,
  oldest first, through LocalEngine.delete — run state only, never job
  records or staging folders;
- unless suspended, the latest scheduled time in (countFrom or the last one
  handled, now] is handled once: skipped when past startingDeadlineSeconds,
  skipped under Forbid while a run of the cron is not finished, and under
  Replace the unfinished runs are stopped (Argo's stop) first; then the run
  is submitted through LocalEngine.submit. Its name is deterministic, so a
  time fired before a crash is recognised, never fired twice.

An agent started by ensure_agent() (`--exit-when-idle`) exits once its state
directory has no cron left, so that deleting the last job definition leaves
no agent behind; `argo-scheduler agent` keeps running.

Missed times (the agent was not running) fire once, not once each: only the
latest, as Kubernetes CronJobs do — Argo itself would fire it only with a
startingDeadlineSeconds. Scheduled times before a cron's creation, last
update or last resume never fire.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from traitlets import Float, Instance
from traitlets.config import LoggingConfigurable

from . import cron as local_cron
from ..base import DONE_PHASES, ERROR, FAILED, SUCCEEDED, EngineError, WorkflowNotFound, WorkflowState
from .agent_control import PID_FILE, AgentLock, agent_running, ensure_agent, stop_agent
from .engine import LocalEngine
from .rundir import process_identity, read_json, rfc3339, write_json

__all__ = ["LocalAgent", "main", "run_agent", "AgentLock", "agent_running", "ensure_agent", "stop_agent"]

EXIT_ALREADY_RUNNING = 1
EXIT_USAGE = 2


class LocalAgent(LoggingConfigurable):
    """Fires the local engine's CronWorkflows on schedule, from a process of its own."""

    poll_interval = Float(
        1.0,
        config=True,
        help=(
            "Seconds between two passes of the local engine's cron agent over the job "
            "definitions' schedules: a run starts at most this late. Default: 1. "
            "Example: c.LocalAgent.poll_interval = 5"
        ),
    )

    engine = Instance(LocalEngine)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._stopping = False
        # Log a broken cron once, not once a second.
        self._reported: dict[str, str] = {}

    def stop(self) -> None:
        """Make serve() return after the pass under way (safe to call from a signal handler)."""
        self._stopping = True

    def serve(self, lock: AgentLock | None = None, exit_when_idle: bool = False) -> None:
        """Pass over the crons until stopped; with `exit_when_idle`, until no cron is left."""
        self.log.info("agent: firing the crons of %s every %s s", self.engine.crons_dir, self.poll_interval)
        while not self._stopping:
            started = time.monotonic()
            if lock is not None and not lock.still_ours():
                self.log.warning("agent: %s is gone, so is the state directory: exiting", lock.path)
                return
            if exit_when_idle and lock is not None and not self._has_crons() and self._let_go(lock):
                self.log.info("agent: no cron left in %s: exiting", self.engine.crons_dir)
                return
            try:
                self.run_once()
            except Exception:  # one bad pass must not end the schedules for good
                self.log.exception("agent: pass failed")
            while not self._stopping and time.monotonic() - started < self.poll_interval:
                time.sleep(min(0.2, self.poll_interval))
        self.log.info("agent: stopped")

    def _has_crons(self) -> bool:
        try:
            return any(local_cron.is_cron_name(p.name) for p in self.engine.crons_dir.iterdir())
        except FileNotFoundError:
            return False

    def _let_go(self, lock: AgentLock) -> bool:
        """Release the lock if no cron is left; True if this agent is to exit.

        The cron is looked for again once the lock is free: a cron created
        meanwhile was created before its creator's ensure_agent() looked at
        the lock, so either that call saw the lock free and started an agent,
        or this agent sees the cron here and carries on.
        """
        lock.release()
        if not self._has_crons():
            return True
        for _ in range(5):
            if lock.acquire():
                return False
            time.sleep(0.05)
        # Another agent (or a starter's lock probe, which then starts one) has it.
        return True

    def run_once(self, now: datetime | None = None) -> list[str]:
        """One pass over every cron at time `now` (default: the clock); the names of the runs it started."""
        now = now or datetime.now(timezone.utc)
        try:
            names = sorted(p.name for p in self.engine.crons_dir.iterdir() if local_cron.is_cron_name(p.name))
        except FileNotFoundError:
            return []
        if not names:
            return []
        # One listing for all crons, not one per cron.
        runs: dict[str, list[WorkflowState]] = {}
        for state in self.engine.status(label_selector=local_cron.CRON_WORKFLOW_LABEL).values():
            runs.setdefault(state.labels[local_cron.CRON_WORKFLOW_LABEL], []).append(state)
        fired = []
        for name in names:
            try:
                started = self._tend(local_cron.CronDir(self.engine.crons_dir / name), runs.get(name, []), now)
            except Exception:
                self.log.exception("agent: cron %s failed this pass", name)
                continue
            if started:
                fired.append(started)
        return fired

    def _tend(self, cron_dir: local_cron.CronDir, runs: list[WorkflowState], now: datetime) -> str | None:
        manifest = read_json(cron_dir.manifest)
        if manifest is None:  # being created or deleted
            return None
        try:
            plan = local_cron.parse(manifest)
        except EngineError as exc:
            if self._reported.get(cron_dir.name) != str(exc):
                self._reported[cron_dir.name] = str(exc)
                self.log.error("agent: cron %s cannot run here: %s", cron_dir.name, exc)
            return None
        self._reported.pop(cron_dir.name, None)
        self._enforce_history(plan, runs)
        if plan.suspend:
            return None
        cron, state = read_json(cron_dir.cron) or {}, read_json(cron_dir.state) or {}
        since = max(float(cron.get("countFrom") or 0), float(state.get("handledThrough") or 0))
        due = local_cron.latest_due(plan.schedules, plan.timezone, datetime.fromtimestamp(since, timezone.utc), now)
        if due is None:
            return None
        name = local_cron.run_name(plan.name, due)
        if any(run.name == name for run in runs):
            # Fired by an earlier pass that ended before recording it.
            self._record(cron_dir, state, due, fired=True)
            return None
        if local_cron.past_deadline(plan, due, now):
            self.log.warning(
                "agent: cron %s: skipped %s, more than startingDeadlineSeconds (%s) ago",
                plan.name, rfc3339(due), plan.starting_deadline_seconds,
            )
            self._record(cron_dir, state, due, fired=False)
            return None
        active = [run.name for run in runs if run.phase not in DONE_PHASES]
        if active and plan.concurrency_policy == local_cron.FORBID:
            self.log.info(
                "agent: cron %s: skipped %s, concurrencyPolicy Forbid and %s still running",
                plan.name, rfc3339(due), ", ".join(active),
            )
            self._record(cron_dir, state, due, fired=False)
            return None
        if active and plan.concurrency_policy == local_cron.REPLACE:
            for old in active:
                self.log.info("agent: cron %s: stopping %s, concurrencyPolicy Replace", plan.name, old)
                try:
                    self.engine.stop(old)
                except WorkflowNotFound:
                    pass
        try:
            self.engine.submit(local_cron.run_manifest(plan, due))
        except EngineError as exc:
            # Argo's 409: the name exists, so this time was fired already.
            if name not in self.engine.status([name]):
                self.log.error("agent: cron %s: could not start the run of %s: %s", plan.name, rfc3339(due), exc)
                self._record(cron_dir, state, due, fired=False, error=str(exc))
                return None
        self.log.info("agent: cron %s: started %s for %s", plan.name, name, rfc3339(due))
        self._record(cron_dir, state, due, fired=True)
        return name

    def _record(self, cron_dir: local_cron.CronDir, state: dict, due: datetime, fired: bool, error: str | None = None) -> None:
        new = dict(state, handledThrough=due.timestamp(), lastError=error)
        if fired:
            new["lastScheduledTime"] = rfc3339(due)
        try:
            write_json(cron_dir.state, new)
        except FileNotFoundError:
            pass  # the cron was deleted meanwhile

    def _enforce_history(self, plan: local_cron.CronPlan, runs: list[WorkflowState]) -> None:
        for phases, limit in (
            ({SUCCEEDED}, plan.successful_jobs_history_limit),
            ({FAILED, ERROR}, plan.failed_jobs_history_limit),
        ):
            finished = sorted(
                (run for run in runs if run.phase in phases),
                key=lambda run: (run.finished_at or run.started_at or 0, run.name),
                reverse=True,
            )
            for run in finished[limit:]:
                try:
                    self.engine.delete(run.name)
                except WorkflowNotFound:
                    continue
                self.log.info("agent: cron %s: deleted %s (history limit %d)", plan.name, run.name, limit)


def run_agent(
    state_dir: str | None = None, once: bool = False, config_file: str | None = None, exit_when_idle: bool = False
) -> int:
    """The agent process: take the lock, then serve (or one pass with `once`); the exit status."""
    from ...config import load_config

    try:
        config = load_config(config_file)
    except (FileNotFoundError, SyntaxError) as exc:
        print(f"argo-scheduler agent: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    log = logging.getLogger("argo_scheduler.agent")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    engine = LocalEngine(config=config, log=log, **({"state_dir": state_dir} if state_dir else {}))
    agent = LocalAgent(config=config, log=log, engine=engine)
    lock = AgentLock(engine.state_dir)
    # A few tries: agent_running() probes hold the lock for an instant, and
    # an agent starting in that instant must not take the probe for an agent.
    for _ in range(5):
        if lock.acquire():
            break
        time.sleep(0.05)
    else:
        holder = read_json(Path(engine.state_dir) / PID_FILE) or {}
        print(
            f"argo-scheduler agent: another agent (pid {holder.get('pid', 'unknown')}) already fires "
            f"the crons of {engine.state_dir}; not starting a second one",
            file=sys.stderr,
        )
        return EXIT_ALREADY_RUNNING
    pid_file = Path(engine.state_dir) / PID_FILE
    try:
        write_json(pid_file, process_identity(os.getpid()) or {"pid": os.getpid(), "createTime": 0.0})
        if once:
            agent.run_once()
        else:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, lambda *_: agent.stop())
            agent.serve(lock, exit_when_idle=exit_when_idle)
    finally:
        if (read_json(pid_file) or {}).get("pid") == os.getpid():
            pid_file.unlink(missing_ok=True)
        lock.release()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m argo_scheduler.engines.local.agent", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--state-dir", help="the local engine's state directory (default: c.LocalEngine.state_dir)")
    parser.add_argument("--once", action="store_true", help="one pass over the crons, then exit")
    parser.add_argument("--config", metavar="FILE", help="extra jupyter_server_config.py/.json to load last")
    parser.add_argument(
        "--exit-when-idle", action="store_true", help="exit once the state directory has no cron left"
    )
    args = parser.parse_args(argv)
    return run_agent(args.state_dir, once=args.once, config_file=args.config, exit_when_idle=args.exit_when_idle)


if __name__ == "__main__":
    sys.exit(main())
