"""Each built-in mutator's docs page has a jupyter_server_config.py snippet that works as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from podspec_helpers import LAB_NAMESPACE, assert_kubernetes_would_accept, make_job
from traitlets.config import Config

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins"
PAGES = ["nebari", "pvc", "hostpath", "inherit"]
SNIPPET = re.compile(r"```python\n(# jupyter_server_config\.py\n.*?)```", re.S)


def snippet_config(page: str) -> Config:
    text = (DOCS / f"{page}.md").read_text()
    [snippet] = SNIPPET.findall(text)
    config = Config()
    exec(compile(snippet, f"docs/plugins/{page}.md", "exec"), {"c": config, "get_config": lambda: config})
    return config


@pytest.mark.parametrize("page", PAGES, ids=PAGES)
def test_page_says_how_to_configure_what_changes_and_the_caveats(page):
    text = (DOCS / f"{page}.md").read_text()
    for heading in ("## Configure", "## What it changes", "## Caveats"):
        assert heading in text, f"docs/plugins/{page}.md lacks {heading!r}"
    assert f'c.ArgoScheduler.podspec_mutators = ["{page}"]' in text


@pytest.mark.parametrize("page", PAGES, ids=PAGES)
def test_snippet_configures_a_server_that_renders_valid_jobs(
    page, make_scheduler, tmp_path, kube, token_file, singleuser_pod, argo_schema_validator
):
    # GIVEN the page's snippet, as a deployment would paste it
    config = snippet_config(page)
    assert config.SchedulerApp.scheduler_class == "argo_scheduler.ArgoScheduler"
    assert config.ArgoScheduler.podspec_mutators == [page]
    if page == "inherit":
        # Here, the fake API stands in for the cluster the snippet expects.
        config.InheritPodSpecMutator.host = kube.url
        config.InheritPodSpecMutator.token_file = token_file
        config.InheritPodSpecMutator.namespace = LAB_NAMESPACE
        config.InheritPodSpecMutator.pod_name = singleuser_pod["metadata"]["name"]
    # Staging folder and database under the paths the snippets mount, as on a real server.
    config.ArgoScheduler.staging_path = "/home/jovyan/.local/share/jupyter/scheduler_staging_area"
    for section in ("PVCPodSpecMutator", "HostPathPodSpecMutator"):
        config[section].path_check = "ignore"
    # WHEN the server starts and renders a job THEN Argo accepts the workflow
    scheduler = make_scheduler(config)
    manifest = scheduler.render_job(make_job(input_filename="report.ipynb"))
    argo_schema_validator(manifest)
    assert_kubernetes_would_accept(manifest)
