"""A real `jupyter lab` on 127.0.0.1 with ArgoScheduler on the local engine, for the browser tests.

Everything it writes (config, data, runtime, the scheduler's database, the
local engine's state) lives in one temporary folder, so a test run leaves
nothing in the user's Jupyter folders.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

# What the walk needs: a labelled image, an unlabelled image, compute
# types, and the local kernelspec; as docs/environments.md shows them.
IMAGES = {
    "scipy": {
        "image": "quay.io/jupyter/scipy-notebook:2026-11-01",
        "label": "SciPy notebook",
        "description": "Jupyter's SciPy stack",
        "compute_types": ["small", "large"],
    },
    "plain": {"image": "quay.io/jupyter/base-notebook:2026-11-01"},
    # webpdf needs Playwright's Chromium, which this server never finds (PLAYWRIGHT_BROWSERS_PATH):
    # a format configured but not installed.
    "printing": {"image": "quay.io/jupyter/base-notebook:2026-11-01", "output_formats": ["ipynb", "webpdf"],
                 "compute_types": ["small"]},
}
# The job image of environments that bring none (kernelspecs).
SERVER_IMAGE = "registry.example.com/team/jupyterlab:2026.11"
COMPUTE_TYPES = {
    "small": {"cpu_request": "500m", "memory_request": "1Gi"},
    "large": {"cpu_request": "2", "cpu_limit": "4", "memory_request": "4Gi", "memory_limit": "8Gi"},
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, base: Path, config: dict | None = None):
        """`config`: more server config, merged into each section (e.g. a notifier's)."""
        self.base = base
        self.extra_config = config or {}
        self.root = base / "root"
        self.home = base / "home"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = base / "scheduler.sqlite"
        self.state_dir = base / "engine"
        self.log_path = base / "lab.log"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "HOME": str(self.home),
            "JUPYTER_CONFIG_DIR": str(self.base / "config"),
            "JUPYTER_DATA_DIR": str(self.base / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.base / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "JUPYTERLAB_SETTINGS_DIR": str(self.base / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.base / "lab-workspaces"),
            "PYTHONUNBUFFERED": "1",
            "PLAYWRIGHT_BROWSERS_PATH": str(self.base / "no-browsers"),
        }
        # The kernelspec of this venv's ipykernel is found through sys.prefix.
        for name in ("ARGO_SERVER", "ARGO_TOKEN", "ARGO_NAMESPACE", "JUPYTERHUB_USER", "PREFERRED_USERNAME"):
            env.pop(name, None)
        return env

    def write_config(self) -> None:
        config = {
            "ServerApp": {
                "ip": "127.0.0.1", "port": self.port, "port_retries": 0, "open_browser": False,
                "root_dir": str(self.root),
                # CI runs as root; the server is on loopback with a token.
                "allow_root": True,
                "jpserver_extensions": {"jupyter_scheduler": True},
            },
            "IdentityProvider": {"token": self.token},
            "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
            "SchedulerApp": {
                "scheduler_class": "argo_scheduler.ArgoScheduler",
                "environment_manager_class": "argo_scheduler.environments.ArgoEnvironmentManager",
                "db_url": f"sqlite:///{self.db}",
            },
            "ArgoScheduler": {"engine": "local", "image": SERVER_IMAGE},
            "LocalEngine": {"state_dir": str(self.state_dir)},
            "ArgoEnvironmentManager": {"images": IMAGES, "compute_types": COMPUTE_TYPES},
        }
        for section, values in self.extra_config.items():
            config[section] = {**config.get(section, {}), **values}
        folder = self.base / "config"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "jupyter_server_config.json").write_text(json.dumps(config, indent=2))
        # No "notified about Jupyter news?" toast over the form: the user's own setting.
        settings = self.base / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))

    def add_notebook(self, name: str, as_name: str | None = None) -> str:
        target = self.root / (as_name or name)
        shutil.copy(NOTEBOOKS / name, target)
        return target.name

    def start(self, timeout: float = 120) -> "Lab":
        for folder in (self.root, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        self.write_config()
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser"],
            cwd=self.root, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "api/status")
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGINT twice is Jupyter's own "shut down without asking".
        for sig in (signal.SIGINT, signal.SIGINT):
            self.process.send_signal(sig)
            time.sleep(0.2)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def api(self, method: str, path: str, body: dict | None = None):
        """The server's REST API, to cross-check what the UI did (never to drive it)."""
        request = urllib.request.Request(
            f"{self.url}/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def jobs(self) -> list[dict]:
        return self.api("GET", "scheduler/jobs?max_items=1000")["jobs"]

    def job(self, job_id: str) -> dict:
        return self.api("GET", f"scheduler/jobs/{job_id}")

    def definitions(self) -> list[dict]:
        return self.api("GET", "scheduler/job_definitions?max_items=1000")["job_definitions"]

    def run_container(self, job_id: str) -> dict:
        """The container of the job's pod and the run spec it was given, from its manifest."""
        manifest = self.manifest(job_id)
        run = next(t for t in manifest["spec"]["templates"] if t["name"] == "run")
        spec = next(p for p in manifest["spec"]["arguments"]["parameters"] if p["name"] == "spec")
        return {**run["container"], "spec": json.loads(spec["value"])}

    def cron(self, definition_id: str) -> dict | None:
        """The CronWorkflow of a job definition as the local engine tells of it; None when there is none."""
        from argo_scheduler.engines.local import LocalEngine

        crons = LocalEngine(state_dir=str(self.state_dir)).crons().values()
        return next((cron for cron in crons if definition_id in cron["labels"].values()), None)

    def cron_manifest(self, definition_id: str) -> dict:
        """The CronWorkflow the local engine keeps for a job definition: the manifest every engine would receive."""
        for path in sorted(self.state_dir.glob("crons/*/manifest.json")):
            manifest = json.loads(path.read_text())
            if definition_id in manifest.get("metadata", {}).get("labels", {}).values():
                return manifest
        raise AssertionError(f"no CronWorkflow of definition {definition_id} under {self.state_dir}")

    def put_secret(self, name: str, data: dict[str, str]) -> None:
        """A Secret in the local engine's store, as an administrator creates one for a notifier's token."""
        from argo_scheduler.engines.local.secrets import SecretStore

        SecretStore(self.state_dir / "secrets").put(name, data)

    def manifest(self, job_id: str) -> dict:
        """The Workflow the local engine ran for a job: the manifest every engine would receive."""
        found = sorted(self.state_dir.glob("runs/*/manifest.json"))
        for path in found:
            manifest = json.loads(path.read_text())
            labels = manifest.get("metadata", {}).get("labels", {})
            if job_id in labels.values():
                return manifest
        raise AssertionError(f"no manifest of job {job_id} under {self.state_dir}: {[str(p) for p in found]}")
