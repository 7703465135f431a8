"""The swap admission queue on its own loop: order, bounds, timeouts, cancellation, threads."""

from __future__ import annotations

import asyncio
import threading

import pytest

from faceswap_rest.admission import Admission
from faceswap_rest.errors import OverloadedError
from faceswap_rest.observability import Metrics


def admission(limit: int = 1, queue: int = 4, wait_s: float = 30.0) -> Admission:
    return Admission(limit, queue, wait_s, retry_after_s=2, metrics=Metrics())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_waiters_get_slots_first_come_first_served() -> None:
    async def scenario() -> list[int]:
        gate = admission(limit=1, queue=4)
        first = await gate.acquire()
        order: list[int] = []

        async def wait(index: int) -> None:
            release = await gate.acquire()
            order.append(index)
            release()

        tasks = []
        for index in range(4):
            tasks.append(asyncio.create_task(wait(index)))
            await settle()  # each is queued before the next arrives
        assert (gate.running, gate.waiting) == (1, 4)
        first()
        await asyncio.gather(*tasks)
        assert (gate.running, gate.waiting) == (0, 0)
        return order

    assert asyncio.run(scenario()) == [0, 1, 2, 3]


def test_a_full_queue_is_503_at_once_and_names_both_limits() -> None:
    async def scenario() -> None:
        gate = admission(limit=2, queue=1)
        held = [await gate.acquire(), await gate.acquire()]
        queued = asyncio.create_task(gate.acquire())
        await settle()
        with pytest.raises(OverloadedError, match=r"2 swaps running and 1 waiting") as refused:
            await gate.acquire()
        assert refused.value.headers == {"Retry-After": "2"}
        assert "max_concurrent_swaps 2, max_queued_swaps 1" in str(refused.value)
        held[0]()
        (await queued)()
        held[1]()
        assert (gate.running, gate.waiting) == (0, 0)

    asyncio.run(scenario())


def test_a_wait_past_the_timeout_is_503_and_leaves_the_queue() -> None:
    async def scenario() -> None:
        gate = admission(limit=1, queue=4, wait_s=0.05)
        release = await gate.acquire()
        with pytest.raises(OverloadedError, match=r"within 0\.05 s \(queue_timeout_s"):
            await gate.acquire()
        assert gate.waiting == 0
        release()
        assert gate.running == 0
        (await gate.acquire())()  # the slot is usable again

    asyncio.run(scenario())


def test_a_cancelled_waiter_neither_keeps_nor_loses_a_slot() -> None:
    async def scenario() -> None:
        gate = admission(limit=1, queue=4)
        release = await gate.acquire()
        cancelled = asyncio.create_task(gate.acquire())
        after = asyncio.create_task(gate.acquire())
        await settle()
        cancelled.cancel()
        await settle()
        assert gate.waiting == 1
        release()  # goes to the waiter behind the cancelled one
        (await asyncio.wait_for(after, 5))()
        assert (gate.running, gate.waiting) == (0, 0)

    asyncio.run(scenario())


def test_a_slot_handed_to_a_waiter_that_is_cancelled_passes_on() -> None:
    """The slot arrives and the waiter is cancelled before it runs: the slot must not leak."""

    async def scenario() -> None:
        gate = admission(limit=1, queue=4)
        release = await gate.acquire()
        unlucky = asyncio.create_task(gate.acquire())
        behind = asyncio.create_task(gate.acquire())
        await settle()
        release()  # resolves unlucky's future...
        unlucky.cancel()  # ...and the task is cancelled before it resumes
        with pytest.raises(asyncio.CancelledError):
            await unlucky
        (await asyncio.wait_for(behind, 5))()
        assert (gate.running, gate.waiting) == (0, 0)

    asyncio.run(scenario())


def test_release_from_a_worker_thread_wakes_the_loop_once() -> None:
    async def scenario() -> None:
        gate = admission(limit=1, queue=4)
        release = await gate.acquire()
        waiter = asyncio.create_task(gate.acquire())
        await settle()
        threads = [threading.Thread(target=release) for _ in range(3)]  # released 3 times
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        second = await asyncio.wait_for(waiter, 5)
        await settle()
        assert gate.running == 1  # the repeated release() gave back one slot, not three
        second()
        assert gate.running == 0

    asyncio.run(scenario())


def test_no_queue_refuses_at_once() -> None:
    async def scenario() -> None:
        gate = admission(limit=1, queue=0)
        release = await gate.acquire()
        with pytest.raises(OverloadedError, match="max_queued_swaps 0"):
            await gate.acquire()
        release()

    asyncio.run(scenario())
