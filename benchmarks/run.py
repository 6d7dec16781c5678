#!/usr/bin/env python3
"""Benchmarks: how long the things users wait for take.

    .venv/bin/python benchmarks/run.py            # print results
    .venv/bin/python benchmarks/run.py --record   # also save benchmarks/results/<date>.json

Measured, never asserted: tests hold no timing thresholds. Compare a change's
numbers with the recorded ones on the same kind of machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def timed(fn, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {
        "repeat": repeat,
        "median_s": round(statistics.median(samples), 6),
        "min_s": round(min(samples), 6),
        "max_s": round(max(samples), 6),
    }


def bench_render() -> dict:
    """Rendering a job's manifest: on the path of every submission."""
    from jupyter_scheduler.models import DescribeJob

    from argo_scheduler.workflow import BuildContext, build_workflow, to_manifest

    context = BuildContext(staging_path="/staging", image="img:1", db_url="sqlite:////db.sqlite", owner="jovyan")
    job = DescribeJob(
        job_id="0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d", name="bench", input_filename="bench.ipynb",
        runtime_environment_name="python3", url="/jobs/x", create_time=0, update_time=0,
        parameters={f"p{i}": str(i) for i in range(20)}, output_formats=["ipynb", "html"],
    )
    to_manifest(build_workflow(job, context))  # warm imports
    return timed(lambda: to_manifest(build_workflow(job, context)), 200)


def bench_import() -> dict:
    """`import argo_scheduler` in a fresh interpreter: paid by every Jupyter server start."""
    argv = [sys.executable, "-c", "import argo_scheduler"]
    return timed(lambda: subprocess.run(argv, check=True), 10)


def bench_local_run() -> dict:
    """Submit to finish of a one-cell notebook on the local engine, through the CLI."""
    notebook = ROOT / "examples" / "hello.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JUPYTER_DATA_DIR": tmp, "JUPYTER_CONFIG_DIR": tmp}

        def run():
            subprocess.run(
                [sys.executable, "-m", "argo_scheduler.cli", "run", str(notebook), "--json",
                 "--db-url", f"sqlite:///{tmp}/s.sqlite", "--staging-path", f"{tmp}/staging"],
                check=True, env=env, capture_output=True,
            )

        return timed(run, 3)


BENCHMARKS = {"render_job_manifest": bench_render, "import_package": bench_import, "local_run_end_to_end": bench_local_run}


def main(argv: list[str]) -> int:
    chosen = [a for a in argv[1:] if not a.startswith("--")]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(BENCHMARKS)}", file=sys.stderr)
        return 2
    results = {name: fn() for name, fn in BENCHMARKS.items() if not chosen or name in chosen}
    record = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "results": results,
    }
    print(json.dumps(record, indent=2))
    if "--record" in argv:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{record['date'][:10]}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
