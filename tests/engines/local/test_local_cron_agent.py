"""The agent's pass, with "now" injected: real runs start, but no test waits for the clock.

Every cron here is `* * * * *`; a test drives time by calling the agent's
one-pass function at chosen minutes after the cron's creation.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from argo_scheduler.engines.local import cron as local_cron
from argo_scheduler.engines.base import FAILED, SUCCEEDED

MINUTE = timedelta(minutes=1)
SLEEP = "import time; time.sleep(600)"
# argv: flag file, output folder, workflow name. Fails while the flag file exists.
RECORD_THEN_EXIT = (
    "import os, sys; open(os.path.join(sys.argv[2], sys.argv[3]), 'w').close(); "
    "sys.exit(1 if os.path.exists(sys.argv[1]) else 0)"
)


def first_time(engine, name: str) -> datetime:
    """The first minute after the cron's creation: its first scheduled time."""
    created = datetime.strptime(engine.crons()[name]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    return created.replace(second=0, tzinfo=timezone.utc) + MINUTE


def run_of(name: str, scheduled: datetime) -> str:
    return f"{name}-{int(scheduled.timestamp())}"


def test_a_due_cron_starts_a_real_run_named_and_labelled_as_argo_would(engine, agent, wf, tmp_path):
    # GIVEN a cron whose run writes down its name and scheduled time
    out = tmp_path / "out.json"
    engine.create_cron(wf.cron("tiny", [wf.python(
        "run", wf.WRITE_ARGV, str(out), "{{workflow.name}}",
        "{{workflow.annotations.workflows.argoproj.io/scheduled-time}}",
    )], workflow_labels={"argo-scheduler/job-definition-id": "d1"}))
    first = first_time(engine, "tiny")
    # WHEN the agent passes just before its first time THEN nothing starts
    assert agent.run_once(first - timedelta(seconds=1)) == []
    # WHEN it passes at that time THEN one run starts, named after the scheduled time
    assert agent.run_once(first) == [run_of("tiny", first)]
    state = engine.wait(run_of("tiny", first))
    assert state.phase == SUCCEEDED
    assert json.loads(out.read_text()) == [run_of("tiny", first), first.strftime("%Y-%m-%dT%H:%M:%SZ")]
    # AND the scheduler finds it by its definition's label or its cron's
    assert list(engine.status(label_selector="argo-scheduler/job-definition-id=d1")) == [run_of("tiny", first)]
    assert list(engine.status(label_selector=f"{local_cron.CRON_WORKFLOW_LABEL}=tiny")) == [run_of("tiny", first)]
    assert engine.crons()["tiny"]["lastScheduledTime"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")
    # AND a later pass within the same minute starts nothing more
    assert agent.run_once(first + timedelta(seconds=30)) == []


def test_times_missed_while_no_agent_ran_fire_once(engine, agent, wf):
    engine.create_cron(wf.cron("tiny", [wf.python("run", "pass")]))
    first = first_time(engine, "tiny")
    # WHEN the agent comes back ten minutes late THEN only the latest time fires
    assert agent.run_once(first + 10 * MINUTE + timedelta(seconds=20)) == [run_of("tiny", first + 10 * MINUTE)]
    assert agent.run_once(first + 10 * MINUTE + timedelta(seconds=40)) == []
    assert len(engine.status()) == 1


def test_a_time_past_its_starting_deadline_is_skipped_not_postponed(engine, agent, wf):
    engine.create_cron(wf.cron("tiny", [wf.python("run", "pass")], startingDeadlineSeconds=30))
    first = first_time(engine, "tiny")
    # WHEN the agent sees a time 45 s late THEN it does not start it
    assert agent.run_once(first + 5 * MINUTE + timedelta(seconds=45)) == []
    assert engine.status() == {}
    # AND the next time, seen 10 s late, starts
    assert agent.run_once(first + 6 * MINUTE + timedelta(seconds=10)) == [run_of("tiny", first + 6 * MINUTE)]


def test_a_suspended_cron_does_not_fire_until_resumed(engine, agent, wf):
    engine.create_cron(wf.cron("tiny", [wf.python("run", "pass")], suspend=True))
    first = first_time(engine, "tiny")
    assert agent.run_once(first + 5 * MINUTE) == []
    engine.resume_cron("tiny")
    assert agent.run_once(first + 6 * MINUTE) == [run_of("tiny", first + 6 * MINUTE)]
    engine.suspend_cron("tiny")
    assert agent.run_once(first + 7 * MINUTE) == []
    assert list(engine.status()) == [run_of("tiny", first + 6 * MINUTE)]


def test_a_time_fired_before_a_crash_is_not_fired_again(engine, agent, wf):
    # GIVEN the run of the first time exists (the agent died before recording it)
    manifest = wf.cron("tiny", [wf.python("run", "pass")])
    engine.create_cron(manifest)
    first = first_time(engine, "tiny")
    engine.submit(local_cron.run_manifest(local_cron.parse(manifest), first))
    # WHEN the agent passes THEN it starts nothing and records the time as fired
    assert agent.run_once(first) == []
    assert list(engine.status()) == [run_of("tiny", first)]
    assert engine.crons()["tiny"]["lastScheduledTime"] == first.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_two_agents_passing_at_the_same_time_start_one_run(engine, agent, wf):
    from argo_scheduler.engines.local.agent import LocalAgent

    engine.create_cron(wf.cron("tiny", [wf.python("run", "pass")]))
    first = first_time(engine, "tiny")
    other = LocalAgent(engine=engine)
    assert agent.run_once(first) + other.run_once(first) == [run_of("tiny", first)]


POLICIES = {
    # policy: (second run started?, first run's end)
    "Allow": (True, None),
    "Forbid": (False, None),
    "Replace": (True, "Stopped with strategy 'Stop'"),
}


@pytest.mark.parametrize(
    "policy, starts, first_ends", [(p, *v) for p, v in POLICIES.items()], ids=POLICIES.keys()
)
def test_concurrency_policy_when_the_previous_run_still_runs(engine, agent, wf, policy, starts, first_ends):
    # GIVEN a cron whose first run is still running
    engine.create_cron(wf.cron("slow", [wf.python("run", SLEEP)], concurrencyPolicy=policy))
    first = first_time(engine, "slow")
    [older] = agent.run_once(first)
    # WHEN its next time comes
    fired = agent.run_once(first + MINUTE)
    # THEN Allow runs both, Forbid skips the new time, Replace stops the old run for the new one
    assert fired == ([run_of("slow", first + MINUTE)] if starts else [])
    if first_ends:
        ended = engine.wait(older)
        assert (ended.phase, ended.message) == (FAILED, first_ends)
    else:
        assert not engine.status([older])[older].done
    # AND a skipped time stays skipped once the run is gone
    engine.delete(older)
    assert agent.run_once(first + MINUTE + timedelta(seconds=30)) == []


def test_history_limits_delete_the_oldest_finished_runs_state_only(engine, agent, wf, tmp_path):
    # GIVEN a cron keeping 2 succeeded and 1 failed run, whose runs leave a file each
    flag, outputs = tmp_path / "fail", tmp_path / "outputs"
    outputs.mkdir()
    engine.create_cron(wf.cron(
        "kept", [wf.python("run", RECORD_THEN_EXIT, str(flag), str(outputs), "{{workflow.name}}")],
        successfulJobsHistoryLimit=2, failedJobsHistoryLimit=1,
    ))
    # AND a one-off run that is not the cron's
    engine.submit(wf.workflow("one-off", [wf.python("run", "pass")]))
    engine.wait("one-off")
    first = first_time(engine, "kept")
    # WHEN three runs succeed, then two fail, one after the other
    names = []
    for i in range(5):
        if i == 3:
            flag.touch()
        [name] = agent.run_once(first + i * MINUTE)
        engine.wait(name)
        names.append(name)
    agent.run_once(first + 4 * MINUTE + timedelta(seconds=30))
    # THEN the two newest successes and the newest failure are kept, and the one-off run
    assert sorted(engine.status()) == sorted([names[1], names[2], names[4], "one-off"])
    assert engine.status([names[4]])[names[4]].phase == FAILED
    # AND what the deleted runs wrote outside the engine's state stays
    assert sorted(p.name for p in outputs.iterdir()) == sorted(names)


def test_deleting_a_cron_keeps_its_runs_and_stops_its_schedule(engine, agent, wf):
    engine.create_cron(wf.cron("tiny", [wf.python("run", "pass")]))
    first = first_time(engine, "tiny")
    [name] = agent.run_once(first)
    engine.delete_cron("tiny")
    assert agent.run_once(first + MINUTE) == []
    assert list(engine.status()) == [name]


def test_one_broken_cron_does_not_stop_the_others(engine, agent, wf):
    # GIVEN a stored cron the engine no longer accepts (edited by hand, say) beside a good one
    engine.create_cron(wf.cron("broken", [wf.python("run", "pass")]))
    engine.create_cron(wf.cron("good", [wf.python("run", "pass")]))
    stored = engine.crons_dir / "broken" / "manifest.json"
    manifest = json.loads(stored.read_text())
    manifest["spec"]["schedules"] = ["not a schedule"]
    stored.write_text(json.dumps(manifest))
    first = first_time(engine, "good")
    # WHEN the agent passes THEN the good one still fires
    assert agent.run_once(first + MINUTE) == [run_of("good", first + MINUTE)]
