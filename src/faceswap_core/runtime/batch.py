"""Running several inputs through a graph: in one run when it takes a batch, else one by one.

Masks, enhancers and pixel-boosted swaps see all the faces (or sub-crops) of
a frame at once. A graph whose first input dimension is symbolic takes them
as one batch; one exported with a fixed batch of 1 (inswapper_128, most
published restorers) gets them one run at a time, with the same result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from faceswap_core.interfaces import InferenceSession


def static_batch(session: InferenceSession, name: str) -> int | None:
    """The fixed batch size of input ``name``, or ``None`` when the graph takes any batch."""
    shape = tuple(session.input_shapes.get(name, ()))
    first = shape[0] if shape else None
    return first if isinstance(first, int) and first > 0 else None


def run_batched(
    session: InferenceSession,
    feeds: Mapping[str, np.ndarray[Any, Any]],
    *,
    batched: Sequence[str],
    outputs: Sequence[str],
) -> dict[str, np.ndarray[Any, Any]]:
    """Run ``feeds`` whose ``batched`` inputs share a first dimension N; outputs stacked.

    Inputs not named in ``batched`` (a CodeFormer weight) are fed whole to every
    run. A graph with a fixed batch size runs ``N / size`` times.
    """
    count = len(feeds[batched[0]])
    fixed = [static_batch(session, name) for name in batched]
    step = min((size for size in fixed if size is not None), default=None)
    if step is None or step == count:
        result = session.run(feeds)
        return {name: np.asarray(result[name]) for name in outputs}
    parts: dict[str, list[np.ndarray[Any, Any]]] = {name: [] for name in outputs}
    for start in range(0, count, step):
        taken = min(step, count - start)
        chunk = {}
        for name, value in feeds.items():
            if name not in batched:
                chunk[name] = value
                continue
            part = value[start : start + taken]
            if taken < step:  # a fixed batch larger than what is left: repeat the last item
                part = np.concatenate([part, np.repeat(part[-1:], step - taken, axis=0)])
            chunk[name] = part
        result = session.run(chunk)
        for name in outputs:
            parts[name].append(np.asarray(result[name])[:taken])
    return {name: np.concatenate(arrays, axis=0) for name, arrays in parts.items()}


__all__ = ["run_batched", "static_batch"]
