"""How far the item a runner is running has got, for work that can say (a video's frames).

A caller that wants to show progress passes ``progress`` to
:meth:`~faceswap_core.interfaces.WorkRunner.map`. The runner then sets a
reporter around each item, in the thread or worker process that runs it
(:func:`reporting`), and work that knows its progress reads it with
:func:`item_reporter` and calls it as ``reporter(done, total)``. Locally the
reporter is the caller's function; on a cluster it sends the numbers back to
the driver, which calls the caller's function there. Work that never reads
the reporter simply reports nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Reporter = Callable[[int, int | None], None]
"""``reporter(done, total)``: units done (frames) of ``total`` (``None`` when unknown)."""

_CURRENT: ContextVar[Reporter | None] = ContextVar("faceswap_item_reporter", default=None)


def item_reporter() -> Reporter | None:
    """The reporter of the item this thread is running, or ``None`` when nobody listens."""
    return _CURRENT.get()


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Run the block with ``reporter`` as the current item's reporter."""
    token = _CURRENT.set(reporter)
    try:
        yield
    finally:
        _CURRENT.reset(token)


__all__ = ["Reporter", "item_reporter", "reporting"]
