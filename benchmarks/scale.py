"""list/get/count/create against the Argo fake with many workflows and records, Argo requests counted.

Run by benchmarks/run.py (`scale_sqlite`, `scale_postgresql`); importable on
its own. The Argo Server is the tests' in-memory fake (tests/support/fake_argo.py)
on 127.0.0.1, in this process: its time is in the figures, as a real server's
would be. PostgreSQL is the tests' throwaway cluster (tests/support/databases.py).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

NAMESPACE = "jobs"
OWNER = "bench@example.com"
NOTEBOOK = ROOT / "examples" / "hello.ipynb"


def _scheduler(root: Path, db_url: str, host: str):
    from traitlets.config import Config

    from argo_scheduler import ArgoScheduler
    from argo_scheduler.engines.cluster.argo import ArgoEngine
    from argo_scheduler.environments import ArgoEnvironmentManager

    config = Config()
    scheduler = ArgoScheduler(
        root_dir=str(root), environments_manager=ArgoEnvironmentManager(config=config), db_url=db_url,
        config=config, engine="argo", namespace=NAMESPACE, owner=OWNER, image="img:1",
        staging_path=str(root / "staging"),
        **({"db_url_secret_name": "scheduler-db"} if db_url.startswith("postgresql") else {}),
    )
    scheduler.engine_instance = ArgoEngine(host=host, token="fake-token", namespace=NAMESPACE)
    return scheduler


def _populate(scheduler, fake, jobs: int, running: int) -> list[str]:
    """`jobs` records and workflows of this owner, the first `running` of them still running."""
    from jupyter_scheduler.models import DescribeJob, Status
    from jupyter_scheduler.orm import Job

    template = scheduler.render_job(DescribeJob(
        job_id=str(uuid.uuid4()), name="hello", input_filename="hello.ipynb", runtime_environment_name="python3",
        output_formats=["ipynb", "html"], parameters={"n": "3"}, url="", create_time=0, update_time=0,
    ))
    ids = [str(uuid.uuid4()) for _ in range(jobs)]
    now = int(time.time() * 1000)
    rows = []
    for i, job_id in enumerate(ids):
        status = Status.IN_PROGRESS if i < running else (Status.COMPLETED if i % 10 else Status.FAILED)
        rows.append(Job(job_id=job_id, name="hello", input_filename="hello.ipynb", runtime_environment_name="python3",
                        output_formats=["ipynb", "html"], parameters={"n": "3"}, status=status,
                        create_time=now - i * 1000, update_time=now - i * 1000, start_time=now - i * 1000))
        manifest = {**template, "metadata": {**template["metadata"],
                                             "name": f"hello-{job_id}",
                                             "labels": {**template["metadata"]["labels"],
                                                        "argo-scheduler/job-id": job_id}}}
        phase = "Running" if i < running else ("Succeeded" if i % 10 else "Failed")
        fake.put_workflow(NAMESPACE, manifest, phase=phase)
    with scheduler.db_session() as session:
        session.add_all(rows)
        session.commit()
    return ids


def _measure(fake, fn, repeat: int) -> dict:
    samples, requests = [], []
    for _ in range(repeat):
        before = len(fake.log)
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        requests.append(len(fake.log) - before)
    return {"repeat": repeat, "median_s": round(statistics.median(samples), 4), "min_s": round(min(samples), 4),
            "max_s": round(max(samples), 4), "argo_requests_per_call": max(requests)}


def run(database: str, jobs: int = 10_000, running: int = 200, repeat: int = 10) -> dict:
    import shutil

    from support.fake_argo import FakeArgo
    from jupyter_scheduler.models import CountJobsQuery, CreateJob, ListJobsQuery

    cluster = None
    with tempfile.TemporaryDirectory() as tmp, FakeArgo() as fake:
        root = Path(tmp)
        shutil.copy(NOTEBOOK, root / "hello.ipynb")
        if database == "postgresql":
            from support.databases import PostgresCluster

            cluster = PostgresCluster().start()
            db_url = cluster.url(cluster.create_database())
        else:
            db_url = f"sqlite:///{root / 'scheduler.sqlite'}"
        try:
            from support.databases import create_tables_as_the_server_does

            create_tables_as_the_server_does(db_url)
            scheduler = _scheduler(root, db_url, fake.url)
            started = time.perf_counter()
            ids = _populate(scheduler, fake, jobs, running)
            populated = round(time.perf_counter() - started, 1)
            page = ListJobsQuery(max_items=20)
            scheduler.list_jobs(page)  # warm: first connection, schema checks
            results = {
                "jobs": jobs, "running": running, "populate_s": populated,
                "list_jobs_page_of_20": _measure(fake, lambda: scheduler.list_jobs(page), repeat),
                "count_jobs": _measure(fake, lambda: scheduler.count_jobs(CountJobsQuery()), repeat),
                "get_job_running": _measure(fake, lambda: scheduler.get_job(ids[0]), repeat),
                "get_job_final": _measure(fake, lambda: scheduler.get_job(ids[-1]), repeat),
            }
            model = CreateJob(input_uri="hello.ipynb", name="hello", runtime_environment_name="python3",
                              output_formats=["ipynb", "html"], parameters={"n": "3"})
            scheduler.create_job(model)  # warm: the schema check compiles once per server
            results["create_job"] = _measure(fake, lambda: scheduler.create_job(model), repeat)
            return results
        finally:
            if cluster is not None:
                cluster.stop()


if __name__ == "__main__":
    import json

    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else "sqlite",
                         int(os.environ.get("BENCH_JOBS", 10_000))), indent=2))
