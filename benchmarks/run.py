#!/usr/bin/env python3
"""Benchmarks: how long the things users wait for take.

    .venv/bin/python benchmarks/run.py            # print results (about 4 minutes on a quiet 2-core machine)
    .venv/bin/python benchmarks/run.py --quick    # fewer repeats, 1,000 jobs instead of 10,000
    .venv/bin/python benchmarks/run.py --record   # also save benchmarks/results/<date>.json

Measured, never asserted: tests hold no timing thresholds. Compare a change's
numbers with the recorded ones on the same kind of machine.
"""

from __future__ import annotations

import json
import os
import platform
import resource
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


def _bench_inputs():
    from jupyter_scheduler.models import DescribeJob

    from argo_scheduler.workflow import BuildContext

    context = BuildContext(staging_path="/staging", image="img:1", db_url="sqlite:////db.sqlite", owner="jovyan")
    job = DescribeJob(
        job_id="0b7e6c2a-1f43-4a8e-9d7f-1e2f3a4b5c6d", name="bench", input_filename="bench.ipynb",
        runtime_environment_name="python3", url="/jobs/x", create_time=0, update_time=0,
        parameters={f"p{i}": str(i) for i in range(20)}, output_formats=["ipynb", "html"],
    )
    return job, context


def _bench_job_manifest() -> dict:
    from argo_scheduler.workflow import build_workflow, to_manifest

    return to_manifest(build_workflow(*_bench_inputs()))


def bench_render() -> dict:
    """Rendering a job's manifest (20 parameters): on the path of every submission."""
    from argo_scheduler.workflow import build_workflow, to_manifest

    job, context = _bench_inputs()
    to_manifest(build_workflow(job, context))  # warm imports
    return timed(lambda: to_manifest(build_workflow(job, context)), 200)


def bench_schema_check() -> dict:
    """Checking a rendered manifest against Argo's schema, once compiled: on every submission."""
    from argo_scheduler.checks.schema import schema_errors

    manifest = _bench_job_manifest()
    schema_errors(manifest)  # the first submission of a server compiles the schema
    return timed(lambda: schema_errors(manifest), 50)


def bench_schema_first_use() -> dict:
    """A fresh interpreter's first schema check (load + compile + validate): the first submission after start."""
    code = (
        "import sys; sys.path.insert(0, %r); from run import _bench_job_manifest; "
        "from argo_scheduler.checks.schema import schema_errors; m = _bench_job_manifest(); "
        "import time; t = time.perf_counter(); schema_errors(m); print(time.perf_counter() - t)"
    ) % str(Path(__file__).resolve().parent)
    samples = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
               for _ in range(3)]
    return {"repeat": 3, "median_s": round(statistics.median(samples), 6),
            "min_s": round(min(samples), 6), "max_s": round(max(samples), 6)}


def bench_import() -> dict:
    """`import argo_scheduler` in a fresh interpreter: paid by every Jupyter server start."""
    argv = [sys.executable, "-c", "import argo_scheduler"]
    return timed(lambda: subprocess.run(argv, check=True), 10)


QUICK = "--quick" in sys.argv


def _median(samples: list[float]) -> dict:
    return {"repeat": len(samples), "median_s": round(statistics.median(samples), 4),
            "min_s": round(min(samples), 4), "max_s": round(max(samples), 4)}


def _fresh_interpreter(code: str, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return _median(samples)


# What each process imports before its real work; a version without lean.py
# (before issue 13) imports the same modules the way it always did.
_LEAN = "try:\n from argo_scheduler.lean import defer_server_extension\nexcept ImportError:\n pass\nelse:\n defer_server_extension()\n"


def bench_import_cli() -> dict:
    """A fresh interpreter importing what `argo-scheduler run` needs before it submits (scheduler, builder, local engine)."""
    return _fresh_interpreter(_LEAN + "import argo_scheduler.cli, argo_scheduler.scheduler, argo_scheduler.workflow, "
                              "argo_scheduler.engines.local", 3 if QUICK else 7)


def bench_import_runtime() -> dict:
    """A fresh interpreter importing what a job pod's `python -m argo_scheduler.runtime run` needs before the kernel starts."""
    return _fresh_interpreter(_LEAN + "import argo_scheduler.runtime.__main__, argo_scheduler.runtime.job, "
                              "argo_scheduler.runtime.records, papermill, nbconvert", 3 if QUICK else 7)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _reap_orphans(deadline_s: float = 60.0) -> None:
    """Wait for every orphan re-parented to this (subreaper) process, so its CPU is counted in RUSAGE_CHILDREN."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                raise RuntimeError("a process the run started is still running after it ended")
            time.sleep(0.02)


def bench_local_run_vs_bare() -> dict:
    """`argo-scheduler run NB -p n=5 --output-format ipynb --output-format html` (local engine) against bare
    `papermill NB out.ipynb -p n 5` then `jupyter nbconvert --to html out.ipynb`, pairs interleaved in this run.

    Wall time and CPU time of each, and the ratios pair by pair: the machine's drift hits both halves of a
    pair alike. CPU counts every process of each side (RUSAGE_CHILDREN: the kernel, the runtime and the
    local engine's runner are each waited for by their parent). The runner runs in a session of its own, so
    it would outlive a CLI that exits first; this process is a child subreaper, so such a runner is
    re-parented to it and waited for here before the CPU is read.
    """
    from argo_scheduler.processes import become_subreaper

    if not become_subreaper():
        raise RuntimeError("counting the detached runner's CPU needs PR_SET_CHILD_SUBREAPER (Linux)")
    notebook = ROOT / "examples" / "hello.ipynb"
    bindir = Path(sys.executable).parent
    pairs = 3 if QUICK else 7
    samples: dict[str, dict[str, list[float]]] = {side: {"wall": [], "cpu": []} for side in ("ours", "bare")}
    ratios: dict[str, list[float]] = {"wall": [], "cpu": []}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "JUPYTER_DATA_DIR": f"{tmp}/data", "JUPYTER_CONFIG_DIR": f"{tmp}/config"}
        ours_argv = [str(bindir / "argo-scheduler"), "run", str(notebook), "-p", "n=5",
                     "--output-format", "ipynb", "--output-format", "html", "--json",
                     "--db-url", f"sqlite:///{tmp}/s.sqlite", "--staging-path", f"{tmp}/staging"]
        bare_argvs = [[str(bindir / "papermill"), str(notebook), f"{tmp}/out.ipynb", "-p", "n", "5"],
                      [str(bindir / "jupyter"), "nbconvert", "--to", "html", f"{tmp}/out.ipynb"]]

        def ours() -> tuple[float, float]:
            cpu, start = _children_cpu(), time.perf_counter()
            result = subprocess.run(ours_argv, env=env, capture_output=True, text=True)
            took = time.perf_counter() - start
            if result.returncode != 0 or '"COMPLETED"' not in result.stdout:
                raise RuntimeError(f"argo-scheduler run failed: {result.stdout}{result.stderr}")
            _reap_orphans()
            return took, _children_cpu() - cpu

        def bare() -> tuple[float, float]:
            cpu, start = _children_cpu(), time.perf_counter()
            for argv in bare_argvs:
                subprocess.run(argv, env=env, check=True, capture_output=True)
            took = time.perf_counter() - start
            _reap_orphans()
            return took, _children_cpu() - cpu

        ours(), bare()  # warm the disk cache and the kernelspec lookups
        for _ in range(pairs):
            pair = {"ours": ours(), "bare": bare()}
            for side, (wall, cpu) in pair.items():
                samples[side]["wall"].append(wall)
                samples[side]["cpu"].append(cpu)
            ratios["wall"].append(pair["ours"][0] / pair["bare"][0])
            ratios["cpu"].append(pair["ours"][1] / pair["bare"][1])
    result = {"argo_scheduler_run": _median(samples["ours"]["wall"]),
              "bare_papermill_then_nbconvert": _median(samples["bare"]["wall"]),
              "argo_scheduler_run_cpu": _median(samples["ours"]["cpu"]),
              "bare_papermill_then_nbconvert_cpu": _median(samples["bare"]["cpu"])}
    for what, values in ratios.items():
        prefix = "ratio" if what == "wall" else "cpu_ratio"
        result.update({f"{prefix}_median": round(statistics.median(values), 3),
                       f"{prefix}_min": round(min(values), 3), f"{prefix}_max": round(max(values), 3)})
    return result


def _scale(database: str) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from scale import run

    return run(database, jobs=1_000 if QUICK else 10_000, running=200, repeat=5 if QUICK else 10)


def bench_scale_sqlite() -> dict:
    """list/get/count/create with 10,000 jobs (200 running) in sqlite and in the Argo fake; Argo requests counted."""
    return _scale("sqlite")


def bench_scale_postgresql() -> dict:
    """The same on a throwaway PostgreSQL (tests/support/databases.py)."""
    return _scale("postgresql")


def bench_import_extension() -> dict:
    """The server extension's share of a Jupyter server start: argo_scheduler and its handlers, after jupyter_server."""
    code = (
        "import time, jupyter_server.base.handlers; t = time.perf_counter(); "
        "import argo_scheduler, argo_scheduler.handlers; print(time.perf_counter() - t)"
    )
    samples = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
               for _ in range(10)]
    return {"repeat": 10, "median_s": round(statistics.median(samples), 6),
            "min_s": round(min(samples), 6), "max_s": round(max(samples), 6)}


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

        return timed(run, 1 if QUICK else 3)


BENCHMARKS = {
    "render_job_manifest": bench_render,
    "schema_check_manifest": bench_schema_check,
    "schema_check_first_use": bench_schema_first_use,
    "import_package": bench_import,
    "import_server_extension": bench_import_extension,
    "local_run_end_to_end": bench_local_run,
    "import_cli": bench_import_cli,
    "import_runtime": bench_import_runtime,
    "local_run_vs_bare_papermill_nbconvert": bench_local_run_vs_bare,
    "scale_sqlite": bench_scale_sqlite,
    "scale_postgresql": bench_scale_postgresql,
}


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
        "quick": QUICK,
        "results": results,
    }
    print(json.dumps(record, indent=2))
    if "--record" in argv:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{record['date'][:10]}{'-quick' if QUICK else ''}.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
