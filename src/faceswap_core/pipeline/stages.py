"""A bounded chain of threads: each stage takes the next item while later ones finish earlier ones.

Video is a sequence of frames through fixed steps (decode, analyse, swap,
encode), and each step keeps state from frame to frame (trackers, smoothers,
encoders), so frames cannot be spread over workers. They can be pipelined:
one thread per step, bounded queues between them (memory stays at a few
frames), results in the input order. Decoding, ONNX Runtime, OpenCV and the
encoders release the GIL, so on two cores the steps really overlap.

An exception in any stage (or in the source) stops the chain and is raised
to the consumer; closing the generator early (``break``, an error in the
consumer, Ctrl-C) stops every thread within a fraction of a second.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any

_END = object()
_POLL_S = 0.05


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Batch:
    """A stage that takes several waiting items at once (``function(list) -> list``).

    It never waits for a batch to fill: it takes the next item and whatever
    else is already queued, up to ``size``. When the stage keeps up, batches
    hold one item and add no latency; when it falls behind, items pile up and
    it catches up with larger batches (a detector's batched inference).
    """

    def __init__(self, function: Callable[[list[Any]], list[Any]], size: int) -> None:
        if size < 1:
            raise ValueError(f"batch size must be at least 1, got {size}")
        self.function = function
        self.size = size


Stage = Callable[[Any], Any] | Batch


def _is_end(item: Any) -> bool:
    return item is _END or isinstance(item, _Failure)


def staged(
    source: Iterable[Any], stages: Sequence[Stage], *, depth: int = 4
) -> Generator[Any, None, None]:
    """Items of ``source`` passed through ``stages`` in order, one thread per stage and one
    for the source, at most ``depth`` items waiting between two stages. A :class:`Batch`
    stage gets lists of the items that are waiting.

    Use it with ``contextlib.closing`` (or exhaust it) so the threads stop when
    the consumer stops early.
    """
    if depth < 1:
        raise ValueError(f"stage queue depth must be at least 1, got {depth}")
    stop = threading.Event()
    queues: list[queue.Queue[Any]] = [queue.Queue(maxsize=depth) for _ in range(len(stages) + 1)]

    def put(target: queue.Queue[Any], item: Any) -> bool:
        while not stop.is_set():
            try:
                target.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def get(inbox: queue.Queue[Any]) -> Any:
        while True:
            try:
                return inbox.get(timeout=_POLL_S)
            except queue.Empty:
                if stop.is_set():
                    return _END

    def feed() -> None:
        try:
            for item in source:
                if not put(queues[0], item):
                    return
            put(queues[0], _END)
        except BaseException as error:  # handed to the consumer, raised there
            put(queues[0], _Failure(error))

    def take(inbox: queue.Queue[Any], size: int) -> list[Any]:
        """The next item and up to ``size - 1`` more that are already waiting."""
        items = [get(inbox)]
        while len(items) < size and not _is_end(items[-1]):
            try:
                items.append(inbox.get_nowait())
            except queue.Empty:
                break
        return items

    def work(stage: Stage, inbox: queue.Queue[Any], outbox: queue.Queue[Any]) -> None:
        size = stage.size if isinstance(stage, Batch) else 1
        while True:
            items = take(inbox, size)
            last = items[-1]
            todo = items[:-1] if _is_end(last) else items
            if todo:
                try:
                    if isinstance(stage, Batch):
                        results = stage.function(todo)
                        if len(results) != len(todo):
                            raise RuntimeError(
                                f"a batch stage gave {len(results)} results for {len(todo)} items"
                            )
                    else:
                        results = [stage(todo[0])]
                except BaseException as error:
                    put(outbox, _Failure(error))
                    return
                for result in results:
                    if not put(outbox, result):
                        return
            if _is_end(last):
                put(outbox, last)
                return

    threads = [threading.Thread(target=feed, name="faceswap-source", daemon=True)]
    for index, stage in enumerate(stages):
        threads.append(
            threading.Thread(
                target=work,
                args=(stage, queues[index], queues[index + 1]),
                name=f"faceswap-stage-{index}",
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    try:
        while True:
            item = get(queues[-1])
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10.0)


__all__ = ["Batch", "Stage", "staged"]
