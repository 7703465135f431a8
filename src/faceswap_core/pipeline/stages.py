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


def staged(
    source: Iterable[Any], stages: Sequence[Callable[[Any], Any]], *, depth: int = 4
) -> Generator[Any, None, None]:
    """Items of ``source`` passed through ``stages`` in order, one thread per stage and one
    for the source, at most ``depth`` items waiting between two stages.

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

    def get(source_queue: queue.Queue[Any]) -> Any:
        while True:
            try:
                return source_queue.get(timeout=_POLL_S)
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

    def work(
        function: Callable[[Any], Any], inbox: queue.Queue[Any], outbox: queue.Queue[Any]
    ) -> None:
        while True:
            item = get(inbox)
            if item is _END or isinstance(item, _Failure):
                put(outbox, item)
                return
            try:
                result = function(item)
            except BaseException as error:
                put(outbox, _Failure(error))
                return
            if not put(outbox, result):
                return

    threads = [threading.Thread(target=feed, name="faceswap-source", daemon=True)]
    for index, function in enumerate(stages):
        threads.append(
            threading.Thread(
                target=work,
                args=(function, queues[index], queues[index + 1]),
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


__all__ = ["staged"]
