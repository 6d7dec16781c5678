"""SIGTERM stops the notebook whichever of nbclient's asyncio tasks it lands in."""

import asyncio
import signal

import pytest

from argo_scheduler.runtime.execute import Terminated, _sigterm_interrupts


async def _cell_with_a_side_task_that_gets_the_signal() -> str:
    # Like nbclient's kernel-alive poller: a second task runs while the cell's
    # task waits, and the signal arrives while that second task is running.
    async def poller() -> None:
        signal.raise_signal(signal.SIGTERM)
        await asyncio.sleep(0)

    side = asyncio.ensure_future(poller())
    await asyncio.sleep(2)
    side.cancel()
    return "the cell ran on"


def test_sigterm_in_a_side_task_stops_the_run():
    # GIVEN a run of asyncio tasks under the runtime's SIGTERM handler
    before = signal.getsignal(signal.SIGTERM)
    loop = asyncio.new_event_loop()
    try:
        with _sigterm_interrupts():
            # WHEN SIGTERM lands while a task other than the cell's runs
            # THEN the run stops with Terminated instead of running on
            with pytest.raises(Terminated):
                loop.run_until_complete(_cell_with_a_side_task_that_gets_the_signal())
    finally:
        loop.close()
    # AND the handler is put back once the run is over
    assert signal.getsignal(signal.SIGTERM) is before
