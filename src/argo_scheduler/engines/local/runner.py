"""Run one local workflow to its end: `python -m argo_scheduler.engines.local.runner RUN_DIR`.

LocalEngine.submit() starts this in its own session, detached from the
submitting process, so that a run outlives the Jupyter server that started
it. It executes the manifest the way Argo's controller would, in Argo's
vocabulary: the entrypoint, then the onExit handler with `workflow.status`
and `workflow.failures`; nodes named and numbered as Argo names them; Argo's
messages ("Error (exit code 1)", "Stopped with strategy 'Stop'").

Each container is a subprocess started from an argv list (never a shell), in
its own process group, so that stopping it reaches its children too. When a
container's main process ends, whatever it left behind is killed, as
Kubernetes does when a container exits: not only its group but every
descendant, including those that started a session of their own, because
the runner is a child subreaper (processes.become_subreaper) and so
inherits every orphan of its steps. A step dies with the runner
(PR_SET_PDEATHSIG): a runner killed outright leaves no step to record an
outcome the runner can no longer see; whoever then finds the runner dead
(LocalEngine) ends what is left, found by the run's environment marker
(RUN_MARKER), before it reports the run as Error.

It watches two request files: `stop` (from stop(): the current step's group
is terminated, the workflow fails, the exit handler still runs) and `abort`
(from delete(): terminate and exit at once, nothing more is recorded).

spec.activeDeadlineSeconds ends the run the way Argo's controller does: the
running step's group is terminated (SIGTERM, then SIGKILL after the grace
period), its node and any step not yet started fail with "Step exceeded its
deadline", and the onExit handler, which is exempt, still runs. A container
template's retryStrategy becomes a Retry node whose children are the
attempts, `name(0)`, `name(1)`, …, with Argo's backoff between them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import traceback
from collections import ChainMap
from typing import Any, Mapping

from ... import processes
from . import manifest as local_manifest
from .expr import when as when_expr
from ..base import ERROR, FAILED, RUNNING, SUCCEEDED
from .expr.expansion import expand
from .rundir import (
    RunDir,
    now_ms,
    process_identity,
    read_json,
    rfc3339_ms,
    signal_group,
    terminate_group,
    write_json,
)
from .manifest import RETRIES_VARIABLE, SecretKeyRef, Step, Template, WorkflowPlan
from .secrets import SECRETS_DIR, SecretMissing, SecretStore
from .expr.templating import TemplateError, go_quote, substitute

SKIPPED = "Skipped"  # a node phase; workflows are never Skipped

# Argo's words: the node of a pod killed (or never started) by a stop, and the workflow's message.
STOP_NODE_MESSAGE = "workflow shutdown with strategy: Stop"
STOP_WORKFLOW_MESSAGE = "Stopped with strategy 'Stop'"
# Argo's words: a node its controller ended, or never started, past the workflow's deadline.
DEADLINE_MESSAGE = "Step exceeded its deadline"
# Argo's words: a Retry node whose attempts are all used up.
NO_MORE_RETRIES = "No more retries left"

POLL_SECONDS = 0.1

# `python` in a container's command means the interpreter that runs the
# engine: on this machine that is the environment argo_scheduler lives in.
PYTHON_NAMES = frozenset({"python", "python3"})


class _Aborted(Exception):
    """delete() asked the run to end now, without recording anything more."""


def fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def go_json(data: Any) -> str:
    """JSON as Go's json.Marshal writes it: compact, UTF-8, HTML characters escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for ch in "<>&\u2028\u2029":
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


class Runner:
    def __init__(self, run_dir: RunDir):
        self.dir = run_dir
        run = read_json(run_dir.run)
        manifest = read_json(run_dir.manifest)
        if run is None or manifest is None:
            # delete() removed the directory before we got here.
            raise _Aborted()
        self.plan: WorkflowPlan = local_manifest.parse(manifest)
        # The run lives in <state_dir>/runs/<name>; the engine's Secrets beside the runs.
        self.secrets = SecretStore(run_dir.path.resolve().parent.parent / SECRETS_DIR)
        self.name: str = run["name"]
        self.grace = float(run.get("stopGraceSeconds", 30.0))
        self.in_exit_handler = False
        deadline = self.plan.active_deadline_seconds
        self.deadline = None if deadline is None else time.monotonic() + deadline
        self.stop_seen = False
        self.signalled = False
        self.globals: dict[str, str] = {
            "workflow.name": self.name,
            "workflow.uid": run["uid"],
            "workflow.namespace": run["namespace"],
            "workflow.creationTimestamp": run["creationTimestamp"],
        }
        self.globals.update({f"workflow.parameters.{k}": v for k, v in self.plan.parameters.items()})
        self.globals.update({f"workflow.labels.{k}": v for k, v in self.plan.labels.items()})
        self.globals.update({f"workflow.annotations.{k}": v for k, v in self.plan.annotations.items()})
        self.state: dict[str, Any] = {
            "name": self.name,
            "uid": run["uid"],
            "phase": RUNNING,
            "message": None,
            "startedAt": now_ms(),
            "finishedAt": None,
            "runnerPid": os.getpid(),
            "nodes": {},
        }

    # -- requests ---------------------------------------------------------

    def _on_sigterm(self, signum, frame) -> None:
        # Someone terminating the runner gets what stop() would give.
        self.signalled = True

    def _aborting(self) -> bool:
        return self.dir.abort_request.exists() or not self.dir.path.is_dir()

    def _stopping(self) -> bool:
        # Argo's Stop lets the exit handler run to its end.
        if self.in_exit_handler:
            return False
        if self.signalled or self.dir.stop_request.exists():
            self.stop_seen = True
        return self.stop_seen

    def _past_deadline(self) -> bool:
        # Argo exempts the onExit handler's pods from the workflow's deadline.
        return not self.in_exit_handler and self.deadline is not None and time.monotonic() >= self.deadline

    # -- state ------------------------------------------------------------

    def _save(self) -> None:
        try:
            write_json(self.dir.state, self.state)
        except FileNotFoundError:
            raise _Aborted() from None

    def _node(self, name: str, display: str, kind: str, template: str, parent: dict | None) -> dict:
        node_id = self.name if name == self.name else f"{self.name}-{fnv32a(name)}"
        # Argo's pod names (v2): the workflow's name for a root pod, else
        # <workflow>-<template>-<hash of the node name>.
        pod_name = self.name if name == self.name else f"{self.name}-{template}-{fnv32a(name)}"
        node = {
            "id": node_id,
            "name": name,
            "displayName": display,
            "type": kind,
            "templateName": template,
            "podName": pod_name,
            "phase": RUNNING,
            "message": None,
            "startedAt": now_ms(),
            "finishedAt": None,
            "children": [],
        }
        self.state["nodes"][node_id] = node
        if parent is not None:
            parent["children"].append(node_id)
        return node

    def _finish(self, node: dict, phase: str, message: str | None = None) -> dict:
        node.update(phase=phase, message=message, finishedAt=now_ms())
        self._save()
        return node

    def _failures(self) -> str:
        failed = [n for n in self.state["nodes"].values() if n["phase"] in (FAILED, ERROR)]
        failed.sort(key=lambda n: (n["finishedAt"] or 0, n["name"]))
        records = [
            {
                "displayName": n["displayName"],
                "message": n["message"] or "",
                "templateName": n["templateName"],
                "phase": n["phase"],
                "podName": n["podName"],
                "finishedAt": rfc3339_ms(n["finishedAt"]),
            }
            for n in failed
        ]
        # Argo marshals a nil list as `null` and quotes the whole text once
        # more (strconv.Quote) before substituting it.
        return go_quote(go_json(records or None))

    # -- execution ----------------------------------------------------------

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_sigterm)
        if self._aborting():
            return 0
        self._save()
        root = self._execute(self.plan.entrypoint, self.name, self.name, self.plan.parameters, None)
        status = {SUCCEEDED: SUCCEEDED, SKIPPED: SUCCEEDED, FAILED: FAILED, ERROR: ERROR}[root["phase"]]
        self._stopping()  # a stop that came while the last step ended still counts
        message = STOP_WORKFLOW_MESSAGE if status != SUCCEEDED and self.stop_seen else root["message"]
        phase = status
        if self.plan.on_exit is not None:
            self.globals["workflow.status"] = status
            self.globals["workflow.failures"] = self._failures()
            self.in_exit_handler = True
            exit_name = f"{self.name}.onExit"
            exit_node = self._execute(self.plan.on_exit, exit_name, exit_name, self.plan.parameters, None)
            if status == SUCCEEDED and exit_node["phase"] in (FAILED, ERROR):
                # Argo: a run whose exit handler fails is not a success.
                phase, message = exit_node["phase"], exit_node["message"]
        self.state.update(phase=phase, message=message, finishedAt=now_ms())
        self._save()
        return 0

    def _execute(
        self, name: str, node_name: str, display: str, arguments: Mapping[str, str], parent: dict | None
    ) -> dict:
        template = self.plan.templates[name]
        # Declared inputs only: an argument the template does not declare is ignored, as in Argo.
        inputs = {
            f"inputs.parameters.{p.name}": arguments.get(p.name, p.default)
            for p in template.inputs
        }
        scope = ChainMap(inputs, self.globals)
        if template.retry is not None:
            return self._run_retried(template, node_name, display, scope, parent)
        if template.container is not None:
            return self._run_container(template, node_name, display, scope, parent)
        return self._run_steps(template, node_name, display, scope, parent)

    def _run_retried(
        self, template: Template, node_name: str, display: str, scope: Mapping[str, str], parent: dict | None
    ) -> dict:
        """A Retry node and its attempts, decided as Argo's processNodeRetries decides."""
        retry = template.retry
        assert retry is not None
        node = self._node(node_name, display, "Retry", template.name, parent)
        self._save()
        number = 0
        while True:
            attempt_scope = ChainMap({RETRIES_VARIABLE: str(number)}, scope)
            child = self._run_container(template, f"{node_name}({number})", f"{display}({number})", attempt_scope, node)
            if child["phase"] == SUCCEEDED:
                return self._finish(node, SUCCEEDED)
            if child["phase"] not in retry.phases or self._stopping() or self._past_deadline():
                return self._finish(node, child["phase"], child["message"])
            if number >= retry.limit:
                return self._finish(node, FAILED, NO_MORE_RETRIES)
            number += 1
            ended_by = self._back_off(retry.delay(number))
            if ended_by is not None:
                # No further attempt starts once the run is stopping or past its deadline.
                return self._finish(node, FAILED, ended_by)

    def _back_off(self, seconds: float) -> str | None:
        """Wait `seconds` before the next attempt; the node message of a stop or deadline that came first."""
        until = time.monotonic() + seconds
        while True:
            if self._aborting():
                raise _Aborted()
            if self._stopping():
                return STOP_NODE_MESSAGE
            if self._past_deadline():
                return DEADLINE_MESSAGE
            left = until - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(POLL_SECONDS, left))

    def _run_steps(
        self, template: Template, node_name: str, display: str, scope: Mapping[str, str], parent: dict | None
    ) -> dict:
        node = self._node(node_name, display, "Steps", template.name, parent)
        self._save()
        for g, group in enumerate(template.steps or ()):
            group_name = f"{node_name}[{g}]"
            group_node = self._node(group_name, f"[{g}]", "StepGroup", template.name, node)
            self._save()
            # On Argo the steps of a group run in parallel; here one after the
            # other, and every one of them runs even if an earlier one failed.
            for step in group:
                self._run_step(step, group_name, group_node, scope)
            children = [self.state["nodes"][c] for c in group_node["children"]]
            bad = next((c for c in children if c["phase"] in (FAILED, ERROR)), None)
            if bad is not None:
                message = f"child '{bad['id']}' failed"
                self._finish(group_node, FAILED, message)
                return self._finish(node, FAILED, message)
            self._finish(group_node, SUCCEEDED)
        return self._finish(node, SUCCEEDED)

    def _run_step(self, step: Step, group_name: str, group_node: dict, scope: Mapping[str, str]) -> dict:
        node_name = f"{group_name}.{step.name}"
        callee = self.plan.templates[step.template]
        kind = "Pod" if callee.container is not None else "Steps"
        try:
            expression = substitute(step.when, scope) if step.when is not None else None
            run_it = when_expr.evaluate(expression) if expression is not None else True
            arguments = {n: substitute(v, scope) for n, v in step.arguments}
        except (TemplateError, when_expr.WhenError) as exc:
            node = self._node(node_name, step.name, kind, step.template, group_node)
            return self._finish(node, ERROR, str(exc))
        if not run_it:
            node = self._node(node_name, step.name, "Skipped", step.template, group_node)
            return self._finish(node, SKIPPED, f"when '{expression}' evaluated false")
        return self._execute(step.template, node_name, step.name, arguments, group_node)

    def _resolve(
        self, template: Template, scope: Mapping[str, str]
    ) -> tuple[list[str], dict[str, str], str, str]:
        """argv, environment, working directory and image of a container, as its pod would get them."""
        c = template.container
        assert c is not None
        image = substitute(c.image, scope)
        container_env = self._container_env(c.env, scope)
        argv = [expand(substitute(a, scope), container_env) for a in c.command + c.args]
        if argv[0] in PYTHON_NAMES:
            argv[0] = sys.executable
        env = dict(os.environ)
        env.update(container_env)
        # A `python` the step itself starts (a kernel, a subprocess) is ours too.
        bindir = os.path.dirname(sys.executable)
        env["PATH"] = os.pathsep.join(p for p in (bindir, env.get("PATH", "")) if p)
        cwd = substitute(c.working_dir, scope) if c.working_dir else str(self.dir.path)
        return argv, env, cwd, image

    def _container_env(
        self, entries: tuple[tuple[str, str | SecretKeyRef], ...], scope: Mapping[str, str]
    ) -> dict[str, str]:
        """The container's env as the kubelet makes it: values expanded against the
        entries before them; a Secret's value taken as is (never expanded), an
        optional one left unset when missing, a required one SecretMissing."""
        env: dict[str, str] = {}
        for name, source in entries:
            if not isinstance(source, SecretKeyRef):
                env[name] = expand(substitute(source, scope), env)
                continue
            try:
                env[name] = self.secrets.read(
                    substitute(source.name, scope), substitute(source.key, scope), self.globals["workflow.namespace"]
                )
            except SecretMissing:
                if not source.optional:
                    raise
        return env

    def _run_container(
        self, template: Template, node_name: str, display: str, scope: Mapping[str, str], parent: dict | None
    ) -> dict:
        node = self._node(node_name, display, "Pod", template.name, parent)
        if self._aborting():
            raise _Aborted()
        if self._stopping():
            # Argo creates no new pod once a workflow is stopping.
            return self._finish(node, FAILED, STOP_NODE_MESSAGE)
        if self._past_deadline():
            return self._finish(node, FAILED, DEADLINE_MESSAGE)
        try:
            argv, env, cwd, image = self._resolve(template, scope)
        except TemplateError as exc:
            return self._finish(node, ERROR, str(exc))
        except SecretMissing as exc:
            # The kubelet refuses to create such a container; Argo's node says why.
            return self._finish(node, ERROR, f"CreateContainerConfigError: {exc}")
        node.update(image=image, argv=argv, workingDir=cwd)
        if not os.path.isdir(cwd):
            return self._finish(node, ERROR, f"workingDir {cwd!r} is not a directory on this machine")
        log_path = self.dir.log_of(node["podName"])
        node["log"] = os.path.relpath(log_path, self.dir.path)
        try:
            with open(log_path, "ab") as log:
                proc = subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                    preexec_fn=processes.die_with_parent(),
                )
        except OSError as exc:
            # On Argo, a container that cannot start is an error of the run, not of the code.
            return self._finish(node, ERROR, f"failed to start {argv[0]!r}: {exc.strerror or exc}")
        node["process"] = process_identity(proc.pid) or {"pid": proc.pid, "createTime": None}
        self._save()
        try:
            returncode, ended_by = self._wait(proc)
        finally:
            # The container is over: nothing it started outlives it, in its
            # group or not (its orphans are ours, as the subreaper).
            signal_group(proc.pid, signal.SIGKILL)
            processes.end_descendants()
        node.pop("process", None)
        # Kubernetes reports death by signal N as exit code 128 + N.
        node["exitCode"] = returncode if returncode >= 0 else 128 - returncode
        if ended_by is not None:
            return self._finish(node, FAILED, ended_by)
        if returncode == 0:
            return self._finish(node, SUCCEEDED)
        return self._finish(node, FAILED, f"Error (exit code {node['exitCode']})")

    def _wait(self, proc: subprocess.Popen) -> tuple[int, str | None]:
        """The process's return code, and the node message of a stop or deadline that ended it."""
        while True:
            try:
                return proc.wait(timeout=POLL_SECONDS), None
            except subprocess.TimeoutExpired:
                pass
            if self._aborting():
                terminate_group(proc.pid, self.grace, proc.poll)
                proc.wait()
                raise _Aborted()
            for ended, message in ((self._stopping, STOP_NODE_MESSAGE), (self._past_deadline, DEADLINE_MESSAGE)):
                if ended():
                    terminate_group(proc.pid, self.grace, proc.poll)
                    return proc.wait(), message


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m argo_scheduler.engines.local.runner RUN_DIR", file=sys.stderr)
        return 2
    run_dir = RunDir(args[0])
    processes.become_subreaper()
    runner: Runner | None = None
    try:
        runner = Runner(run_dir)
        return runner.run()
    except _Aborted:
        return 0
    except Exception as exc:  # the run must end in a phase, whatever went wrong here
        traceback.print_exc()
        state = runner.state if runner is not None else (read_json(run_dir.state) or {})
        state.update(phase=ERROR, message=f"local runner failed: {exc}", finishedAt=now_ms())
        try:
            write_json(run_dir.state, state)
        except OSError:
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main())
