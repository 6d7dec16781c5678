"""The Argo schema the package ships is the v4.0.5 one, cut to what it needs, and is loaded only when used."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from argo_scheduler.checks.schema import shipped_schema

ROOT = Path(__file__).resolve().parent.parent.parent
FULL = ROOT.parent / "shared" / "argo" / "schema.json"


def _extractor():
    spec = importlib.util.spec_from_file_location("extract_argo_schema", ROOT / "tools" / "extract_argo_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_schema_is_the_full_schemas_workflow_part_unmodified():
    # GIVEN Argo's full schema (../shared/argo) and the package's copy
    full = json.loads(FULL.read_text())
    shipped = shipped_schema()
    # THEN every shipped definition is the full schema's, byte for byte once parsed
    for name, definition in shipped["definitions"].items():
        assert definition == full["definitions"][name], f"{name} drifted: run python tools/extract_argo_schema.py"
    # AND it holds exactly Workflow, CronWorkflow and what they reference, nothing missing
    assert set(shipped["definitions"]) == _extractor().closure(full["definitions"])
    assert {"io.argoproj.workflow.v1alpha1.Workflow", "io.argoproj.workflow.v1alpha1.CronWorkflow"} <= set(shipped["definitions"])
    assert shipped["$schema"] == full["$schema"]


def test_the_provenance_is_noted_next_to_it():
    notice = (ROOT / "src" / "argo_scheduler" / "checks" / "ARGO_SCHEMA_NOTICE.txt").read_text()
    assert "v4.0.5" in notice and "Apache License 2.0" in notice and "tools/extract_argo_schema.py" in notice


def test_importing_the_scheduler_and_the_checks_does_not_load_the_schema():
    # WHEN the scheduler and the checks are imported in a fresh interpreter
    code = (
        "import argo_scheduler.scheduler, argo_scheduler.checks.submission\n"
        "from argo_scheduler.checks import schema\n"
        "print(schema.shipped_schema.cache_info().currsize, schema._validator.cache_info().currsize)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # THEN the schema was neither read nor compiled
    assert result.stdout.split() == ["0", "0"]
