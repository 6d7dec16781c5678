"""Prism as a validating proxy: every request (and answer) checked against Argo's swagger.

`prism proxy --errors SWAGGER UPSTREAM` forwards valid requests to UPSTREAM
(the fake Argo Server) and answers invalid ones itself with 422 and an
`sl-violations` header; an upstream answer that breaks the swagger becomes a
500 with the same header. Installed by `python3 dev.py test` into .ci/node.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRISM = REPO / ".ci" / "node" / "node_modules" / ".bin" / "prism"
SWAGGER = REPO.parent / "shared" / "argo" / "swagger.json"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
# Prism parses the whole swagger first; about 25 s on a small machine.
START_TIMEOUT = 180.0


class PrismUnavailable(RuntimeError):
    pass


def widened_swagger(directory: Path) -> Path:
    """A copy of Argo's swagger that accepts integers where Argo does.

    swagger.json declares IntOrString as a string, while Argo (and its CRDs)
    take `retryStrategy.limit: 2` and the like; see ../shared/argo/README.txt.
    """
    if not SWAGGER.exists():
        raise PrismUnavailable(f"Argo's swagger is missing at {SWAGGER}: the tests need ../shared/argo beside the repo")
    spec = json.loads(SWAGGER.read_text())
    spec["definitions"][INT_OR_STRING] = {}
    path = directory / "argo-swagger.json"
    path.write_text(json.dumps(spec))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prism:
    """One `prism proxy` process, started and stopped by its own process group id."""

    def __init__(self, upstream: str, directory: Path):
        if not PRISM.exists():
            raise PrismUnavailable(
                f"Prism is not installed at {PRISM}: run `python3 dev.py test` once "
                "(it installs @stoplight/prism-cli into .ci/node with npm)."
            )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = directory / "prism.log"
        swagger = widened_swagger(directory)
        env = {**os.environ, "SCARF_ANALYTICS": "false", "NO_COLOR": "1"}
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(PRISM), "proxy", "-h", "127.0.0.1", "-p", str(self.port), "--errors", str(swagger), upstream],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own group: stopped without touching anything else
        )

    def wait_listening(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PrismUnavailable(f"Prism exited with {self.process.returncode}:\n{self.output()[-3000:]}")
            if "Prism is listening" in self.output():
                return
            time.sleep(0.25)
        self.stop()
        raise PrismUnavailable(f"Prism did not listen within {timeout:g} s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
