"""Swap admission: a bounded number of swaps at once, and a short, bounded, fair wait for the rest.

``limits.max_concurrent_swaps`` swaps run at once (running, or waiting for a
swap thread). A request that finds every slot taken waits, first come first
served, in a queue of at most ``limits.max_queued_swaps`` for at most
``limits.queue_timeout_s``; a full queue or a wait past the timeout is 503 with
``Retry-After``. So a burst a little larger than the server is absorbed at the
cost of some latency, and a sustained overload is told to back off at once,
rather than every request past the slot count being refused (a 16-client load
on 4 slots got 93 % 503s without the queue) or all of them waiting without
bound. ``max_queued_swaps: 0`` refuses at once.

Requests reach the queue only after their body is read whole (see
:mod:`faceswap_rest.limits`), so a slow upload never holds a slot or a queue place.
A slot is given back from whatever thread finishes the work; the queue itself
is only touched on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable

from faceswap_rest.errors import OverloadedError
from faceswap_rest.observability import Metrics

Release = Callable[[], None]
"""Gives a slot back; calling it again does nothing."""


class Admission:
    """At most ``limit`` slots taken; up to ``queue`` callers wait for one, in order."""

    def __init__(
        self, limit: int, queue: int, wait_s: float, retry_after_s: int, metrics: Metrics
    ) -> None:
        self.limit = limit
        self.queue = queue
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self.metrics = metrics
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def _busy(self, why: str) -> OverloadedError:
        self.metrics.rejected.labels("swap").inc()
        return OverloadedError(
            f"the server is busy: {why}; retry after {self.retry_after_s} s",
            self.retry_after_s,
        )

    async def acquire(self) -> Release:
        """A slot, at once or after a wait in the queue; 503 when the queue is full or too slow."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        if self.running < self.limit and not self._waiters:
            self.running += 1
            self._show()
            self.metrics.queue_wait.observe(0.0)
            return self._release_once()
        if len(self._waiters) >= self.queue:
            raise self._busy(
                f"{self.running} swaps running and {len(self._waiters)} waiting "
                f"(max_concurrent_swaps {self.limit}, max_queued_swaps {self.queue})"
            )
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        self._show()
        started = time.perf_counter()
        timer = loop.call_later(self.wait_s, self._expire, waiter)
        try:
            await waiter  # resolved by _free (a slot passed on) or _expire (503)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._free()  # the slot arrived as the caller was cancelled: pass it on
            raise
        finally:
            timer.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            self._show()
            self.metrics.queue_wait.observe(time.perf_counter() - started)
        return self._release_once()

    def _expire(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():
            return
        self._waiters.remove(waiter)
        waiter.set_exception(
            self._busy(
                f"no swap slot came free within {self.wait_s:g} s (queue_timeout_s; "
                f"{self.limit} running, max_concurrent_swaps)"
            )
        )

    def _free(self) -> None:
        """Give one slot back: to the oldest waiter if any, else to the pool (event loop only)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._show()
                return
        self.running -= 1
        self._show()

    def _release_once(self) -> Release:
        lock = threading.Lock()
        released = False

        def release() -> None:
            nonlocal released
            with lock:
                if released:
                    return
                released = True
            self._free_from_any_thread()

        return release

    def _free_from_any_thread(self) -> None:
        loop = self._loop
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop or loop is None:
            self._free()
            return
        try:
            loop.call_soon_threadsafe(self._free)
        except RuntimeError:  # the loop is closed (the service stopped): nobody is waiting
            self.running -= 1

    def _show(self) -> None:
        self.metrics.swaps_in_flight.set(self.running)
        self.metrics.swaps_queued.set(len(self._waiters))


__all__ = ["Admission", "Release"]
