"""The test run fails when a process it started outlives it (tests/support/leftovers.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from support.leftovers import RUN_MARKER

TESTS = Path(__file__).resolve().parent

LEAKY_TEST = '''
import subprocess, sys

def test_starts_a_daemon_and_forgets_it():
    # A grandchild in a session of its own, its parent gone: no process group reaches it.
    subprocess.run([sys.executable, "-c",
        "import subprocess; subprocess.Popen(['sleep', '600'], start_new_session=True)"], check=True)
'''


def test_a_run_that_leaves_a_process_behind_fails_and_names_it(tmp_path):
    # GIVEN a process of another test run (its own marker), which must not be touched
    other = subprocess.Popen(["sleep", "600"], env={**os.environ, RUN_MARKER: "another-run"}, start_new_session=True)
    try:
        # AND a test whose setsid'd grandchild outlives it
        (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
        # WHEN that test runs under the plugin
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "support.leftovers", "-p", "no:cacheprovider", "--leftovers-settle", "1",
             "-q", str(tmp_path / "test_leaky.py")],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(TESTS)}, capture_output=True, text=True, timeout=120,
        )
        # THEN its only test passed, yet the run fails, naming the process and its command line
        assert "1 passed" in result.stdout, result.stdout
        assert result.returncode == 1, result.stdout
        assert "processes left behind" in result.stdout
        [line] = [line for line in result.stdout.splitlines() if line.strip().startswith("pid ")]
        pid = int(line.split()[1].rstrip(":"))
        assert line.endswith(": sleep 600")
        # AND the leftover is gone, the other run's process is not
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_clean_run_passes(tmp_path):
    # GIVEN a test that stops what it starts WHEN it runs under the plugin THEN the run passes
    (tmp_path / "test_clean.py").write_text(
        "import subprocess\n"
        "def test_clean():\n"
        "    p = subprocess.Popen(['sleep', '600'])\n"
        "    p.kill(); p.wait()\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "support.leftovers", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(TESTS)}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout
    assert "processes left behind" not in result.stdout
