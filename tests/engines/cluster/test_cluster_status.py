"""status() of both cluster engines: one list request per page, only argo-scheduler's workflows, Argo's phases as they are."""

from __future__ import annotations

from support.manifests import NAMESPACE, workflow_manifest

from argo_scheduler.engines.base import PENDING
from argo_scheduler.labels import DEFINITION_ID_LABEL

MANAGED = "app.kubernetes.io/managed-by=argo-scheduler"


def _run_of(definition_id: str, managed: bool = True) -> dict:
    manifest = workflow_manifest(job_definition_id=definition_id)
    if not managed:
        del manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    return manifest


def test_status_pages_through_the_runs_of_a_definition(cluster):
    # GIVEN 7 runs of one definition, 2 of another, and 2 unmanaged workflows with the same label
    engine, fake = cluster.engine, cluster.fake
    for _ in range(7):
        fake.put_workflow(NAMESPACE, _run_of("def-a"))
    for _ in range(2):
        fake.put_workflow(NAMESPACE, _run_of("def-b"))
        fake.put_workflow(NAMESPACE, _run_of("def-a", managed=False))
    engine.page_size = 3
    # WHEN the runs of the first definition are asked for
    states = engine.status(label_selector=f"{DEFINITION_ID_LABEL}=def-a")
    # THEN all 7 and only they are answered
    assert len(states) == 7
    assert {s.labels[DEFINITION_ID_LABEL] for s in states.values()} == {"def-a"}
    # AND it took one list request per page of 3, each with both selectors and the continue token
    listings = fake.requests("GET", cluster.workflows)
    assert len(listings) == 3
    for listing in listings:
        assert listing.query[cluster.selector] == f"{MANAGED},{DEFINITION_ID_LABEL}=def-a"
        assert listing.query[cluster.limit] == "3"
    assert cluster.continue_ not in listings[0].query
    assert all(listing.query[cluster.continue_] for listing in listings[1:])


def test_status_by_names_filters_the_listing(cluster):
    # GIVEN six workflows
    names = [cluster.fake.put_workflow(NAMESPACE, workflow_manifest())["metadata"]["name"] for _ in range(6)]
    # WHEN four of them and an unknown one are asked for
    states = cluster.engine.status(names=[*names[:4], "deleted-meanwhile"])
    # THEN the four are answered, the unknown left out, in one request
    assert set(states) == set(names[:4])
    assert len(cluster.fake.requests()) == 1


def test_status_of_a_few_names_reads_each_by_name(cluster):
    # GIVEN three workflows
    names = [cluster.fake.put_workflow(NAMESPACE, workflow_manifest())["metadata"]["name"] for _ in range(3)]
    # WHEN two of them and an unknown one are asked for
    states = cluster.engine.status(names=[names[0], names[2], "deleted-meanwhile"])
    # THEN the two are answered, the unknown left out, with one GET of each name and no listing
    assert set(states) == {names[0], names[2]}
    gets = cluster.fake.requests("GET")
    assert sorted(r.path for r in gets) == sorted(
        f"{cluster.workflows}/{n}" for n in (names[0], names[2], "deleted-meanwhile"))


def test_status_of_no_names_asks_nothing(cluster):
    # GIVEN nothing to ask about WHEN status of no names THEN no request at all
    assert cluster.engine.status(names=[]) == {}
    assert cluster.fake.requests() == []


def test_status_maps_argos_fields(cluster):
    # GIVEN a workflow the controller has not seen yet, and one that failed
    fake = cluster.fake
    fresh = fake.put_workflow(NAMESPACE, workflow_manifest(), phase=None)
    failed = fake.put_workflow(NAMESPACE, workflow_manifest())
    fake.set_status(
        NAMESPACE, failed["metadata"]["name"], phase="Failed", message="Stopped with strategy 'Stop'",
        startedAt="2026-01-01T10:00:00Z", finishedAt="2026-01-01T10:00:05Z",
    )
    # WHEN their states are asked for
    states = cluster.engine.status()
    # THEN no phase reads as Pending, and the rest is Argo's, times in epoch milliseconds
    assert states[fresh["metadata"]["name"]].phase == PENDING
    assert states[fresh["metadata"]["name"]].started_at is None
    state = states[failed["metadata"]["name"]]
    assert (state.phase, state.message, state.done) == ("Failed", "Stopped with strategy 'Stop'", True)
    assert (state.started_at, state.finished_at) == (1767261600000, 1767261605000)
    assert state.uid == failed["metadata"]["uid"]
    assert state.labels == failed["metadata"]["labels"]


def test_expired_continue_token_restarts_the_listing(cluster):
    # GIVEN 5 workflows, and a continue token that has expired by the second page (410 Gone)
    for _ in range(5):
        cluster.fake.put_workflow(NAMESPACE, workflow_manifest())
    cluster.engine.page_size = 2
    cluster.fake.fail(status=410, method="GET", skip=1, message="The provided continue parameter is too old")
    # WHEN states are asked for THEN the listing starts over and answers all of them
    assert len(cluster.engine.status()) == 5
    assert [r.status for r in cluster.fake.requests()] == [200, 410, 200, 200, 200]


def test_selector_already_restricted_to_argo_scheduler_is_sent_as_is(cluster):
    # GIVEN the scheduler's own owner selector, which names argo-scheduler already
    selector = f"{MANAGED},argo-scheduler/owner=jovyan"
    # WHEN states are asked for THEN the selector is not doubled
    cluster.engine.status(label_selector=selector)
    [listing] = cluster.fake.requests()
    assert listing.query[cluster.selector] == selector
