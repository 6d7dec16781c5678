"""Client-set paths and parameter names over jupyter-scheduler's REST API, on a real Jupyter server.

The REST handlers build CreateJob / CreateJobDefinition straight from the
request's JSON, so a client sets input_filename, input_uri and
job_definition_id as it likes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.samples import NOTEBOOKS
from test_rest_jobs import create_job_body


def files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() and not p.name.endswith(("-journal", "-wal", "-shm"))}


@pytest.fixture
def outside(jp_root_dir) -> Path:
    """GIVEN a notebook beside the server's root folder, in a folder whose name starts like the root's."""
    folder = jp_root_dir.parent / f"{jp_root_dir.name}-evil"
    folder.mkdir()
    shutil.copy(NOTEBOOKS / "parameters.ipynb", folder / "x.ipynb")
    return folder / "x.ipynb"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"input_filename": "../escaped.ipynb"}, "plain file name"),
        ({"input_filename": "../../escaped.ipynb"}, "plain file name"),
        ({"input_filename": "{tmp}/planted.ipynb"}, "plain file name"),
        ({"input_uri": "../{root}-evil/x.ipynb"}, "outside the server's root folder"),
        ({"input_uri": "{tmp}/{root}-evil/x.ipynb"}, "outside the server's root folder"),
        ({"parameters": {"class": "2"}}, "is a Python keyword"),
        ({"parameters": {"n-1": "2"}}, "is not a Python name"),
    ],
    ids=["parent", "grandparent", "absolute", "relative-uri-outside", "absolute-uri-outside", "keyword", "dash"],
)
@pytest.mark.parametrize("endpoint", ["jobs", "job_definitions"])
async def test_a_path_or_parameter_name_from_the_client_is_refused_and_nothing_is_written(
    api, notebook, outside, jp_root_dir, jp_data_dir, tmp_path, fields, message, endpoint
):
    name = notebook("parameters.ipynb")
    before = files(tmp_path)
    values = {k: v.format(tmp=tmp_path, root=jp_root_dir.name) if isinstance(v, str) else v for k, v in fields.items()}
    # WHEN a client POSTs a job or a job definition with it
    code, data = await api.call("POST", endpoint, body={**create_job_body(name), **values})
    # THEN it is refused with a message that says what is wrong
    assert code >= 400 and message in str(data), data
    # AND no record exists
    listed = await api.ok("GET", endpoint)
    assert listed["total_count"] == 0, listed
    # AND nothing was written anywhere: not in the staging area, not beside it, not at the absolute target
    written = sorted(p for p in files(tmp_path) - before if p.suffix != ".sqlite" and "runtime" not in p.parts)
    assert written == [], written
    staging = jp_data_dir / "scheduler_staging_area"
    assert not staging.exists() or not any(staging.iterdir())


async def test_a_job_of_a_definition_cannot_name_another_notebook(api, notebook, outside, jp_data_dir):
    # GIVEN a job definition (no schedule: no agent needed)
    name = notebook("parameters.ipynb")
    definition_id = (await api.ok("POST", "job_definitions", body=create_job_body(name)))["job_definition_id"]
    # WHEN a client POSTs a job "of" it whose input_uri is a notebook outside the root
    body = {**create_job_body(name), "job_definition_id": definition_id, "input_uri": str(outside)}
    code, data = await api.call("POST", "jobs", body=body)
    # THEN it is refused, and nothing of that notebook was copied
    assert code >= 400 and "staged notebook only" in str(data), data
    assert (await api.ok("GET", "jobs"))["total_count"] == 0
    staging = jp_data_dir / "scheduler_staging_area"
    assert [p.parent.name for p in staging.rglob("*.ipynb")] == [definition_id]


async def test_a_definition_edit_cannot_move_its_notebook_outside_the_root(api, notebook, outside, jp_root_dir):
    name = notebook("parameters.ipynb")
    definition_id = (await api.ok("POST", "job_definitions", body=create_job_body(name)))["job_definition_id"]
    code, data = await api.call(
        "PATCH", "job_definitions", definition_id, body={"input_uri": f"../{jp_root_dir.name}-evil/x.ipynb"}
    )
    assert code >= 400 and "outside the server's root folder" in str(data), data
    assert (await api.ok("GET", "job_definitions", definition_id))["input_filename"] == name
    code, data = await api.call("PATCH", "job_definitions", definition_id, body={"parameters": {"lambda": "1"}})
    assert code >= 400 and "is a Python keyword" in str(data), data
    assert (await api.ok("GET", "job_definitions", definition_id))["parameters"] in (None, {})
