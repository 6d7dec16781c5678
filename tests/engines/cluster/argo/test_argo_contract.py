"""ArgoEngine's own calls, through Prism: what it sends is what Argo's swagger allows (the calls both cluster
engines make: ../test_cluster_contract.py).

The `engine` fixture fails the test afterwards if Prism objected to any
request or answer, or if a request did not reach the fake.
"""

from __future__ import annotations

import requests
from support.argo_helpers import TOKEN
from support.manifests import NAMESPACE, cron_manifest, workflow_manifest

from argo_scheduler.engines.base import PENDING
from argo_scheduler.workflow import JOB_ID_LABEL


def test_status_lists_once_with_selector_and_fields(engine, fake):
    # GIVEN four submitted workflows, one of them finished
    first, second, *others = [workflow_manifest() for _ in range(4)]
    for manifest in (first, second, *others):
        engine.submit(manifest)
    fake.set_status(
        NAMESPACE, second["metadata"]["name"], phase="Succeeded",
        startedAt="2026-01-01T00:00:00Z", finishedAt="2026-01-01T00:01:30Z",
    )
    # WHEN their states are asked for (more than GET_BY_NAME_MAX names)
    states = engine.status(names=[m["metadata"]["name"] for m in (first, second, *others)])
    # THEN one list call answered for all, restricted to argo-scheduler's workflows and to a few fields
    [listing] = fake.requests("GET", f"/api/v1/workflows/{NAMESPACE}")
    assert listing.query["listOptions.labelSelector"] == "app.kubernetes.io/managed-by=argo-scheduler"
    assert "items.status.phase" in listing.query["fields"]
    assert states[first["metadata"]["name"]].phase == PENDING
    done = states[second["metadata"]["name"]]
    assert (done.phase, done.started_at, done.finished_at) == ("Succeeded", 1767225600000, 1767225690000)


def test_status_of_a_few_names_reads_each_by_name(engine, fake):
    # GIVEN two submitted workflows, one finished, and a name Argo does not know
    first, second = workflow_manifest(), workflow_manifest()
    engine.submit(first)
    engine.submit(second)
    fake.set_status(NAMESPACE, second["metadata"]["name"], phase="Failed", message="OOMKilled")
    names = [first["metadata"]["name"], second["metadata"]["name"], "gone-meanwhile"]
    # WHEN their states are asked for, with a label selector
    states = engine.status(names=names, label_selector=f"{JOB_ID_LABEL}={second['metadata']['labels'][JOB_ID_LABEL]}")
    # THEN each was read by name with the few fields status needs, no listing; the selector held here
    gets = [r for r in fake.log if r.method == "GET"]
    assert sorted(r.path.rsplit("/", 1)[1] for r in gets) == sorted(names)
    assert all("status.phase" in r.query["fields"] for r in gets)
    assert list(states) == [second["metadata"]["name"]]
    assert (states[second["metadata"]["name"]].phase, states[second["metadata"]["name"]].message) == ("Failed", "OOMKilled")


def test_stop_uses_argos_stop(engine, fake):
    # GIVEN a running workflow
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    engine.submit(manifest)
    fake.set_status(NAMESPACE, name, phase="Running")
    # WHEN it is stopped
    engine.stop(name)
    # THEN Argo's stop was asked for (its exit handler runs), not terminate or delete
    [stop] = fake.requests("PUT", f"/api/v1/workflows/{NAMESPACE}/{name}/stop")
    assert stop.body == {"name": name, "namespace": NAMESPACE}
    assert fake.workflows[(NAMESPACE, name)]["spec"]["shutdown"] == "Stop"


def test_stop_of_a_finished_workflow_is_a_no_op(engine, fake):
    # GIVEN a workflow that already failed
    manifest = workflow_manifest()
    name = manifest["metadata"]["name"]
    engine.submit(manifest)
    fake.set_status(NAMESPACE, name, phase="Failed")
    # WHEN it is stopped THEN nothing fails: Argo refused (500), the engine saw it was done
    engine.stop(name)
    assert [(r.method, r.status) for r in fake.requests(path=name)] == [("PUT", 500), ("GET", 200)]


def test_update_cron_retries_when_the_controller_wrote_in_between(engine, fake):
    # GIVEN a CronWorkflow whose first update meets a newer version (409 Conflict)
    definition_id = "6e3a1d2f-4c5b-4d6e-9f0a-1b2c3d4e5f60"
    name = cron_manifest(definition_id)["metadata"]["name"]
    engine.create_cron(cron_manifest(definition_id))
    fake.fail(status=409, method="PUT", path=name, message="the object has been modified")
    # WHEN it is updated THEN it is read again and the update goes through
    engine.update_cron(cron_manifest(definition_id, schedule="0 1 * * *"))
    assert fake.crons[(NAMESPACE, name)]["spec"]["schedules"] == ["0 1 * * *"]
    assert [r.method for r in fake.requests(path=f"/{name}")] == ["GET", "PUT", "GET", "PUT"]


def test_prism_rejects_a_request_that_breaks_the_contract(prism, fake):
    # GIVEN Prism in front of the fake (this proves the other tests' check has teeth)
    # WHEN a create request's body is not a WorkflowCreateRequest
    response = requests.post(
        f"{prism.url}api/v1/workflows/{NAMESPACE}",
        json={"workflow": {"metadata": {"name": 7}, "spec": []}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    # THEN Prism answers 422 with its violations, and the fake never sees it
    assert response.status_code == 422
    assert response.json()["type"].endswith("prism/errors#UNPROCESSABLE_ENTITY")
    assert {tuple(v["location"]) for v in response.json()["validation"]} >= {("body", "workflow", "spec")}
    assert fake.requests() == []
