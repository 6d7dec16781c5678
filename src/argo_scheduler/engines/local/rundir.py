"""One local run's directory: the files the engine and its runner share.

    <state_dir>/runs/<workflow name>/
        manifest.json   the manifest as submitted (metadata.name filled in)
        run.json        written once by submit(): name, uid, namespace,
                        creationTimestamp, labels, annotations, stop grace
        runner.json     written by submit() once the runner started: its pid
                        and process create time (to tell it from a reused pid)
        state.json      Pending from submit(); then owned by the runner:
                        phase, message, startedAt/finishedAt (epoch ms), nodes
        runner.log      the runner's own stdout/stderr
        logs/<node id>.log   each step's stdout and stderr
        stop, abort     requests from stop() and delete(), watched by the runner

Every JSON file is replaced atomically, so a reader sees a whole old or a
whole new file, never half of one.
"""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

RUNS_DIR = "runs"
# In the environment of a run's runner, and so of every process its steps
# start (setsid or not): NAME=<the run's uid>. How the processes of a run
# whose runner died are found (processes.marked).
RUN_MARKER = "ARGO_SCHEDULER_LOCAL_RUN"


def rfc3339(instant: datetime) -> str:
    """`instant` as Kubernetes writes a time: UTC, whole seconds, `Z`."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_ms(epoch_ms: int | None) -> str | None:
    """An epoch-milliseconds time of state.json (see now_ms) as rfc3339(); None stays None."""
    return None if epoch_ms is None else rfc3339(datetime.fromtimestamp(epoch_ms / 1000, timezone.utc))


def now_ms() -> int:
    return int(time.time() * 1000)


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


def read_json(path: Path) -> Any | None:
    """The file's data, or None when it does not exist (yet, or any more)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, NotADirectoryError):
        return None


class ObjectDir:
    """The directory of one object the local engine stores (a run, a cron): named after it.

    Both kinds keep the manifest as given in manifest.json and what happened
    since in state.json; the subclasses name their other files.
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def manifest(self) -> Path:
        return self.path / "manifest.json"

    @property
    def state(self) -> Path:
        return self.path / "state.json"


class RunDir(ObjectDir):
    @property
    def run(self) -> Path:
        return self.path / "run.json"

    @property
    def runner(self) -> Path:
        return self.path / "runner.json"

    @property
    def runner_log(self) -> Path:
        return self.path / "runner.log"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def stop_request(self) -> Path:
        return self.path / "stop"

    @property
    def abort_request(self) -> Path:
        return self.path / "abort"

    def log_of(self, node_id: str) -> Path:
        return self.logs / f"{node_id}.log"


def request(flag: Path) -> None:
    flag.touch(exist_ok=True)


def process_identity(pid: int) -> dict[str, Any] | None:
    """What tells process `pid` apart from a later process reusing the number."""
    import psutil

    try:
        return {"pid": pid, "createTime": psutil.Process(pid).create_time()}
    except psutil.Error:
        return None


def is_alive(identity: dict[str, Any] | None) -> bool:
    """Whether the process `identity` describes still runs (a zombie does not)."""
    import psutil

    if not identity:
        return False
    try:
        proc = psutil.Process(int(identity["pid"]))
        # create_time is computed from boot time and clock ticks; allow rounding.
        if abs(proc.create_time() - float(identity["createTime"])) > 1.0:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to process group `pgid`; False when the group is gone."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        # Not ours (any more): nothing we may do.
        return False


def group_exists(pgid: int) -> bool:
    return signal_group(pgid, 0)


def terminate_group(pgid: int, grace_seconds: float, reap=lambda: None) -> None:
    """SIGTERM the whole group, then SIGKILL whatever is left after the grace period.

    `reap` is called while waiting so that a child of the caller does not
    linger as a zombie (which would keep the group "existing").
    """
    if not signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + max(grace_seconds, 0.0)
    while time.monotonic() < deadline:
        reap()
        if not group_exists(pgid):
            return
        time.sleep(0.05)
    signal_group(pgid, signal.SIGKILL)
    reap()
