"""The local engine: run the rendered Argo Workflow on this machine.

The embedded default when no Argo is configured, and the harness that
proves the pod-side code end to end: it executes the very manifest the
builder renders for Argo (see manifest.py for what it honours, ignores and
refuses), each run in a detached runner process (runner.py) that survives
the Jupyter server. All state lives in files under `state_dir` (see
rundir.py), so any process — the server, the CLI, a test — sees the same
runs.

Semantics, matching Argo where Argo has an answer:
- submit() validates everything first and starts nothing on refusal; a name
  already in use is refused (Argo: 409 AlreadyExists); generateName gets
  five random characters appended, as Kubernetes does.
- status() of unknown names leaves them out of the answer (as a list call
  would). A run whose runner died is reported as Error, once every process
  of the run is gone: whoever finds the runner dead first kills what it left
  (the steps die with the runner; their orphans are found by the run's
  environment marker), then records the Error, so that nothing still
  running can record a different end afterwards.
- stop() is Argo's Stop: the running step's process group is terminated
  (SIGTERM, then SIGKILL after `stop_grace_seconds`), the workflow fails with
  "Stopped with strategy 'Stop'" and the exit handler still runs. It returns
  at once; the run reaches its end shortly after. A finished run: no-op.
- A container whose command is `python` (or `python3`) runs on the engine's
  own interpreter (sys.executable), whose directory also comes first on the
  step's PATH; the step's environment is this process's plus the
  container's env entries.
- delete() is Argo's delete: a running run is ended without its exit handler
  (like deleting a Workflow deletes its pods), then its directory is
  removed. It waits for the runner to be gone before removing anything.
- stop() and delete() of an unknown name raise EngineError (Argo: 404).
- Secrets (put_secret/delete_secret) are files readable only by their
  owner under `secrets/` (secrets.py); a container's env
  `valueFrom.secretKeyRef` reads them when its step starts, and a missing
  required one fails the step as a pod's CreateContainerConfigError would.
- CronWorkflows are checked (cron.py) and stored under `crons/`; the
  agent (agent.py, started by ensure_agent()) fires them through submit().
  Scheduled times before a cron's creation, last update or last resume
  never fire.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from traitlets import Float, Unicode, default

from ... import processes
from .. import selectors
from . import agent_control, cron as local_cron, manifest as local_manifest
from .secrets import SECRETS_DIR, SecretStore
from ..base import DONE_PHASES, ERROR, PENDING, Engine, EngineError, WorkflowNotFound, WorkflowState
from .rundir import (
    RUN_MARKER,
    RUNS_DIR,
    RunDir,
    is_alive,
    now_ms,
    process_identity,
    read_json,
    request,
    rfc3339,
    write_json,
)

DEFAULT_NAMESPACE = "default"
RUNNER_EXITED = "local runner exited unexpectedly (see runner.log in the run's directory)"
RUNNER_NEVER_STARTED = "local runner never started (see runner.log in the run's directory)"
# How long a run may sit without a recorded runner before it counts as lost:
# only a submit() killed between starting the runner and recording it leaves
# one, and a runner that starts writes state long before this.
RUNNER_START_TIMEOUT_MS = 60_000
# Kubernetes' alphabet for generateName suffixes (no vowels, no look-alikes).
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class LocalEngine(Engine):
    """Runs workflows as processes on this machine, detached from the Jupyter server."""

    runs_here = True

    state_dir = Unicode(
        config=True,
        help=(
            "Directory holding the local engine's runs: one folder per workflow with its "
            "manifest, state and logs. Default: <jupyter data dir>/argo_scheduler/local "
            "(jupyter_core.paths.jupyter_data_dir()). "
            "Example: c.LocalEngine.state_dir = '/home/jovyan/.local/share/argo_scheduler/local'"
        ),
    )

    @default("state_dir")
    def _default_state_dir(self) -> str:
        from jupyter_core.paths import jupyter_data_dir

        return os.path.join(jupyter_data_dir(), "argo_scheduler", "local")

    stop_grace_seconds = Float(
        30.0,
        config=True,
        help=(
            "Seconds a stopped or deleted step gets between SIGTERM and SIGKILL, like a "
            "pod's terminationGracePeriodSeconds. Default: 30. "
            "Example: c.LocalEngine.stop_grace_seconds = 10"
        ),
    )

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        # Runners started by this process: polled so that they do not linger
        # as zombies after they end (they are never waited for).
        self._children: list[subprocess.Popen] = []

    # -- paths --------------------------------------------------------------

    @property
    def runs_dir(self) -> Path:
        return Path(self.state_dir) / RUNS_DIR

    def _run_dir(self, name: str) -> RunDir:
        """The directory of an existing run, or EngineError."""
        if local_manifest.is_workflow_name(name):
            run_dir = RunDir(self.runs_dir / name)
            if run_dir.run.exists():
                return run_dir
        raise WorkflowNotFound(f"workflow {name!r} not found in the local engine's {self.runs_dir}")

    def _reap(self) -> None:
        self._children = [p for p in self._children if p.poll() is None]

    # -- submit -------------------------------------------------------------

    def submit(self, manifest: dict) -> WorkflowState:
        self._reap()
        plan = local_manifest.parse(manifest)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        run_dir = self._claim(plan)
        try:
            uid, labels = self._start(run_dir, plan, manifest)
        except BaseException:
            shutil.rmtree(run_dir.path, ignore_errors=True)
            raise
        self.log.info("local engine: started workflow %s in %s", run_dir.name, run_dir.path)
        return WorkflowState(name=run_dir.name, phase=PENDING, labels=labels, uid=uid)

    def _claim(self, plan: local_manifest.WorkflowPlan) -> RunDir:
        """Create the run's directory: creating it is what makes the name ours."""
        if plan.name is not None:
            path = self.runs_dir / plan.name
            try:
                path.mkdir()
            except FileExistsError:
                raise EngineError(
                    f"workflow {plan.name!r} already exists in the local engine; "
                    "delete it first or submit under another name"
                ) from None
            return RunDir(path)
        prefix = plan.generate_name[: local_manifest.NAME_MAX - 5]
        for _ in range(20):
            name = prefix + "".join(random.choices(_SUFFIX_ALPHABET, k=5))
            if not local_manifest.is_workflow_name(name):
                raise EngineError(
                    f"invalid manifest: metadata.generateName {plan.generate_name!r} does not "
                    "make a lowercase DNS-1123 name"
                )
            try:
                (self.runs_dir / name).mkdir()
                return RunDir(self.runs_dir / name)
            except FileExistsError:
                continue
        raise EngineError(f"could not generate a free name from {plan.generate_name!r}")

    def _start(
        self, run_dir: RunDir, plan: local_manifest.WorkflowPlan, manifest: dict
    ) -> tuple[str, dict[str, str]]:
        uid = str(uuid.uuid4())
        created = datetime.now(timezone.utc)
        stored = copy.deepcopy(dict(manifest))
        stored["metadata"] = dict(stored.get("metadata") or {}, name=run_dir.name)
        try:
            write_json(run_dir.manifest, stored)
        except TypeError as exc:
            raise EngineError(f"invalid manifest: not JSON data ({exc})") from None
        write_json(run_dir.run, {
            "name": run_dir.name,
            "uid": uid,
            "namespace": plan.namespace or DEFAULT_NAMESPACE,
            "creationTimestamp": rfc3339(created),
            "createdAt": int(created.timestamp() * 1000),
            "labels": plan.labels,
            "annotations": plan.annotations,
            "stopGraceSeconds": self.stop_grace_seconds,
            "ttlStrategy": dataclasses.asdict(plan.ttl) if plan.ttl else None,
        })
        write_json(run_dir.state, {"name": run_dir.name, "uid": uid, "phase": PENDING, "nodes": {}})
        run_dir.logs.mkdir()
        with open(run_dir.runner_log, "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "argo_scheduler.engines.local.runner", str(run_dir.path)],
                cwd=run_dir.path,
                env={**os.environ, RUN_MARKER: uid},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: no signal meant for the server (Ctrl-C,
                # a terminal hang-up, a process-group kill) reaches the run.
                start_new_session=True,
                close_fds=True,
            )
        self._children.append(proc)
        identity = process_identity(proc.pid) or {"pid": proc.pid, "createTime": 0.0}
        write_json(run_dir.runner, identity)
        return uid, plan.labels

    # -- status -------------------------------------------------------------

    def status(
        self, names: Iterable[str] | None = None, label_selector: str | None = None
    ) -> dict[str, WorkflowState]:
        try:
            requirements = selectors.parse(label_selector or "")
        except selectors.SelectorError as exc:
            raise EngineError(str(exc)) from None
        self._reap()
        if names is None:
            try:
                candidates = sorted(p.name for p in self.runs_dir.iterdir())
            except FileNotFoundError:
                candidates = []
        else:
            candidates = list(dict.fromkeys(names))
        result: dict[str, WorkflowState] = {}
        for name in candidates:
            if not local_manifest.is_workflow_name(name):
                continue
            state = self._read(RunDir(self.runs_dir / name), requirements)
            if state is not None:
                result[name] = state
        return result

    def _runner_alive(self, run_dir: RunDir, run: dict) -> bool:
        identity = read_json(run_dir.runner)
        if identity is None:
            # submit() is still starting it — or died while doing so.
            return now_ms() - int(run.get("createdAt", 0)) < RUNNER_START_TIMEOUT_MS
        return is_alive(identity)

    def _read(self, run_dir: RunDir, requirements: list[selectors.Requirement]) -> WorkflowState | None:
        run = read_json(run_dir.run)
        if run is None:  # being created or deleted, or not a run
            return None
        labels = run.get("labels") or {}
        if not selectors.matches(labels, requirements):
            return None
        state = read_json(run_dir.state) or {}
        if state.get("phase") not in DONE_PHASES and not self._runner_alive(run_dir, run):
            # It may have written its last state between our two reads.
            state = read_json(run_dir.state) or state
            if state.get("phase") not in DONE_PHASES:
                state = self._settle_lost(run_dir, run, state)
        if self._expired(run, state):
            # As Argo's TTL controller: a finished run is gone once its time is up.
            self._end_orphans(run_dir)
            shutil.rmtree(run_dir.path, ignore_errors=True)
            self.log.info("local engine: deleted workflow %s, finished longer ago than its ttlStrategy", run_dir.name)
            return None
        return WorkflowState(
            name=run["name"],
            phase=state.get("phase", PENDING),
            message=state.get("message"),
            started_at=state.get("startedAt"),
            finished_at=state.get("finishedAt"),
            labels=dict(labels),
            uid=run.get("uid"),
            annotations=dict(run.get("annotations") or {}),
        )

    @staticmethod
    def _expired(run: dict, state: dict) -> bool:
        ttl, finished = run.get("ttlStrategy"), state.get("finishedAt")
        if not ttl or state.get("phase") not in DONE_PHASES or finished is None:
            return False
        seconds = local_manifest.TimeToLive(**ttl).seconds(state["phase"])
        return seconds is not None and now_ms() >= int(finished) + seconds * 1000

    def _settle_lost(self, run_dir: RunDir, run: dict, state: dict) -> dict:
        """Record the end of a run whose runner is gone, once nothing of the run is left running.

        Until its processes are gone, a step could still record an outcome
        of its own after this one: they are killed first (SIGKILL — nobody
        is left to record what a graceful stop would lead to).
        """
        self._end_orphans(run_dir)
        lost = RUNNER_EXITED if read_json(run_dir.runner) is not None else RUNNER_NEVER_STARTED
        state = dict(state, phase=ERROR, message=lost, finishedAt=state.get("finishedAt") or now_ms())
        try:
            write_json(run_dir.state, state)
        except FileNotFoundError:
            pass  # deleted meanwhile
        self.log.warning("local engine: workflow %s: %s", run_dir.name, lost)
        return state

    def wait(self, name: str, timeout: float = 60.0, poll_interval: float = 0.1) -> WorkflowState:
        """Poll until run `name` is done; TimeoutError if it is not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.status([name]).get(name)
            if state is None:
                raise WorkflowNotFound(f"workflow {name!r} not found in the local engine's {self.runs_dir}")
            if state.done:
                return state
            if time.monotonic() >= deadline:
                raise TimeoutError(f"workflow {name!r} is still {state.phase} after {timeout} s")
            time.sleep(poll_interval)

    def wait_for_end(self, name: str, timeout: float) -> None:
        """Wait on the run's runner process: return when it exits, or after `timeout` seconds."""
        import psutil

        try:
            run_dir = self._run_dir(name)
        except WorkflowNotFound:
            time.sleep(timeout)
            return
        identity = read_json(run_dir.runner)
        if not is_alive(identity):
            # Ended (or not started yet: submit() records the runner right after starting it).
            if (read_json(run_dir.state) or {}).get("phase") not in DONE_PHASES:
                time.sleep(min(timeout, 0.1))
            return
        try:
            psutil.Process(int(identity["pid"])).wait(timeout)
        except (psutil.TimeoutExpired, psutil.Error, ChildProcessError):
            pass
        self._reap()

    def record(self, name: str) -> dict[str, Any]:
        """Everything known about run `name`: run.json merged with state.json (nodes included)."""
        run_dir = self._run_dir(name)
        record = dict(read_json(run_dir.run) or {})
        record.update(read_json(run_dir.state) or {})
        state = self._read(run_dir, [])
        if state is not None:
            record.update(phase=state.phase, message=state.message)
        return record

    def logs(self, name: str) -> dict[str, str]:
        """Each started step's combined stdout and stderr, by node name."""
        run_dir = self._run_dir(name)
        out = {}
        for node in (read_json(run_dir.state) or {}).get("nodes", {}).values():
            if node.get("log"):
                try:
                    out[node["name"]] = (run_dir.path / node["log"]).read_text(errors="replace")
                except FileNotFoundError:
                    out[node["name"]] = ""
        return out

    # -- stop / delete ------------------------------------------------------

    def stop(self, name: str) -> None:
        run_dir = self._run_dir(name)
        run = read_json(run_dir.run) or {}
        if (read_json(run_dir.state) or {}).get("phase") in DONE_PHASES:
            return
        if not self._runner_alive(run_dir, run):
            # Nobody will record a stop; at least end what the lost runner left running.
            self._end_orphans(run_dir)
            return
        request(run_dir.stop_request)

    def delete(self, name: str) -> None:
        run_dir = self._run_dir(name)
        identity = read_json(run_dir.runner)
        if is_alive(identity):
            request(run_dir.abort_request)
            grace = float((read_json(run_dir.run) or {}).get("stopGraceSeconds", self.stop_grace_seconds))
            if not self._wait_gone(identity, grace + 10.0):
                # Unresponsive runner: kill it; its step is handled below.
                try:
                    os.kill(int(identity["pid"]), signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._wait_gone(identity, 5.0)
        self._end_orphans(run_dir)
        shutil.rmtree(run_dir.path, ignore_errors=True)
        self.log.info("local engine: deleted workflow %s", name)

    def _wait_gone(self, identity: dict, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._reap()
            if not is_alive(identity):
                return True
            time.sleep(0.05)
        return not is_alive(identity)

    def _end_orphans(self, run_dir: RunDir) -> None:
        """Kill every process a dead runner left behind: those carrying the run's marker."""
        uid = (read_json(run_dir.run) or {}).get("uid")
        if not uid:
            return
        left = processes.end(processes.marked(RUN_MARKER, uid))
        if left:
            self.log.error(
                "local engine: workflow %s: processes %s would not die", run_dir.name, [p.pid for p in left]
            )

    # -- Secrets ------------------------------------------------------------

    @property
    def secrets(self) -> SecretStore:
        return SecretStore(Path(self.state_dir) / SECRETS_DIR)

    def kubernetes_access(self):
        return None, "the local engine runs jobs on this machine, not in a Kubernetes namespace"

    def stored_secret_keys(self):
        return self.secrets.keys

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        self.secrets.put(name, data)
        self.log.info("local engine: stored Secret %s (keys: %s)", name, ", ".join(sorted(data)))

    def delete_secret(self, name: str) -> None:
        self.secrets.delete(name)

    # -- CronWorkflows (fired by the agent) --------------------------------

    @property
    def crons_dir(self) -> Path:
        return Path(self.state_dir) / local_cron.CRONS_DIR

    def _cron_dir(self, name: str) -> local_cron.CronDir:
        """The directory of an existing cron, or WorkflowNotFound."""
        if local_cron.is_cron_name(name):
            cron_dir = local_cron.CronDir(self.crons_dir / name)
            if cron_dir.manifest.exists():
                return cron_dir
        raise WorkflowNotFound(f"cronworkflow {name!r} not found in the local engine's {self.crons_dir}")

    def create_cron(self, manifest: dict) -> None:
        now = datetime.now(timezone.utc)
        plan = local_cron.parse(manifest, now)
        self.crons_dir.mkdir(parents=True, exist_ok=True)
        cron_dir = local_cron.CronDir(self.crons_dir / plan.name)
        try:
            cron_dir.path.mkdir()
        except FileExistsError:
            raise EngineError(
                f"cronworkflow {plan.name!r} already exists in the local engine; update it or delete it first"
            ) from None
        try:
            write_json(cron_dir.cron, {
                "name": plan.name,
                "uid": str(uuid.uuid4()),
                "namespace": plan.namespace or DEFAULT_NAMESPACE,
                "creationTimestamp": rfc3339(now),
                "countFrom": now.timestamp(),
            })
            write_json(cron_dir.state, {"lastScheduledTime": None, "handledThrough": None})
            # Written last: a cron exists once its manifest does.
            write_json(cron_dir.manifest, copy.deepcopy(dict(manifest)))
        except BaseException:
            shutil.rmtree(cron_dir.path, ignore_errors=True)
            raise
        self.log.info("local engine: created cronworkflow %s", plan.name)

    def update_cron(self, manifest: dict) -> None:
        now = datetime.now(timezone.utc)
        plan = local_cron.parse(manifest, now)
        cron_dir = self._cron_dir(plan.name)
        # countFrom first: an agent reading in between sees the old manifest, not a back-firing new one.
        self._count_from(cron_dir, now)
        write_json(cron_dir.manifest, copy.deepcopy(dict(manifest)))

    def suspend_cron(self, name: str) -> None:
        self._set_suspend(self._cron_dir(name), True)

    def resume_cron(self, name: str) -> None:
        cron_dir = self._cron_dir(name)
        # A paused definition does not catch up on the times it slept through
        # (and countFrom goes first, as in update_cron).
        self._count_from(cron_dir, datetime.now(timezone.utc))
        self._set_suspend(cron_dir, False)

    def _set_suspend(self, cron_dir: local_cron.CronDir, suspend: bool) -> None:
        manifest = read_json(cron_dir.manifest)
        if manifest is None:
            raise WorkflowNotFound(f"cronworkflow {cron_dir.name!r} not found in the local engine")
        manifest["spec"]["suspend"] = suspend
        write_json(cron_dir.manifest, manifest)

    def _count_from(self, cron_dir: local_cron.CronDir, now: datetime) -> None:
        write_json(cron_dir.cron, dict(read_json(cron_dir.cron) or {}, countFrom=now.timestamp()))

    def delete_cron(self, name: str) -> None:
        cron_dir = self._cron_dir(name)
        # Renamed out of the way first, so that nothing can recreate the name
        # half-deleted (the agent may be writing its state right now).
        doomed = self.crons_dir / f".deleted-{name}-{uuid.uuid4().hex[:8]}"
        try:
            os.rename(cron_dir.path, doomed)
        except FileNotFoundError:
            raise WorkflowNotFound(f"cronworkflow {name!r} not found in the local engine") from None
        shutil.rmtree(doomed, ignore_errors=True)
        self.log.info("local engine: deleted cronworkflow %s (its runs stay)", name)

    def crons(self) -> dict[str, dict[str, Any]]:
        """Every CronWorkflow: suspend, schedules, timezone, concurrencyPolicy, lastScheduledTime, …"""
        try:
            names = sorted(p.name for p in self.crons_dir.iterdir() if local_cron.is_cron_name(p.name))
        except FileNotFoundError:
            return {}
        result = {}
        for name in names:
            cron_dir = local_cron.CronDir(self.crons_dir / name)
            manifest = read_json(cron_dir.manifest)
            if manifest is not None:  # else being created or deleted
                result[name] = local_cron.summary(
                    manifest, read_json(cron_dir.cron) or {}, read_json(cron_dir.state) or {}
                )
        return result

    def ensure_cron_controller(self) -> None:
        if self.crons():
            self.ensure_agent()

    def ensure_agent(self) -> bool:
        """Start the agent that fires this engine's crons unless one runs; True if it started one."""
        return agent_control.ensure_agent(self.state_dir)


__all__ = ["LocalEngine"]
