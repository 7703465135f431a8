"""The bounded chain of threads behind the stream and the video job."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest

from faceswap_core.pipeline.stages import Batch, staged


def test_items_come_out_in_order_through_every_stage() -> None:
    out = list(staged(range(50), [lambda x: x * 2, lambda x: x + 1], depth=2))
    assert out == [2 * x + 1 for x in range(50)]


def test_stages_run_in_their_own_threads_and_overlap() -> None:
    # The first stage on item 1 and the second on item 0 must meet at a barrier:
    # without overlap one of them would wait alone and the barrier would break.
    meet = threading.Barrier(2, timeout=10)
    names: set[str] = set()

    def first(x: int) -> int:
        names.add(threading.current_thread().name)
        if x == 1:
            meet.wait()
        return x

    def second(x: int) -> int:
        names.add(threading.current_thread().name)
        if x == 0:
            meet.wait()
        return x

    assert list(staged(range(5), [first, second], depth=2)) == list(range(5))
    assert len(names) == 2


def test_an_error_in_a_stage_reaches_the_consumer() -> None:
    def boom(x: int) -> int:
        if x == 3:
            raise ValueError("frame 3 is bad")
        return x

    seen: list[int] = []

    def consume() -> None:
        for item in staged(range(10), [boom], depth=1):
            seen.append(item)

    with pytest.raises(ValueError, match="frame 3 is bad"):
        consume()
    assert seen == [0, 1, 2]


def test_an_error_in_the_source_reaches_the_consumer() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(staged(source(), [lambda x: x]))


def test_closing_early_stops_the_threads_and_reads_a_bounded_amount() -> None:
    pulled = []

    def source() -> Iterator[int]:
        for i in range(10_000):
            pulled.append(i)
            yield i

    before = threading.active_count()
    chain = staged(source(), [lambda x: x, lambda x: x], depth=2)
    with contextlib.closing(chain):
        assert next(chain) == 0
        time.sleep(0.1)
    # Three queues of 2 plus one item in each of the three threads: a few, not 10000.
    assert len(pulled) <= 12
    deadline = time.time() + 2
    while threading.active_count() > before and time.time() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == before


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(staged([1], [lambda x: x], depth=0))


def test_a_batch_stage_takes_what_is_waiting_and_keeps_the_order() -> None:
    sizes: list[int] = []
    release = threading.Event()

    def slow_source() -> Iterator[int]:
        yield from range(3)
        release.wait(timeout=10)  # the first batch is processed while the source is held
        yield from range(3, 20)

    def double(items: list[int]) -> list[int]:
        sizes.append(len(items))
        if len(sizes) == 1:
            time.sleep(0.2)  # let items queue up behind the first batch
            release.set()
        return [2 * x for x in items]

    out = list(staged(slow_source(), [Batch(double, 4), lambda x: x + 1], depth=8))
    assert out == [2 * x + 1 for x in range(20)]
    assert max(sizes) == 4  # items that piled up were taken four at a time
    assert sum(sizes) == 20


def test_a_batch_stage_must_return_one_result_per_item() -> None:
    with pytest.raises(RuntimeError, match="2 results for 1 items"):
        list(staged([1], [Batch(lambda items: items * 2, 4)]))
    with pytest.raises(ValueError, match="batch size"):
        Batch(lambda items: items, 0)
