"""Pixel boost: a fixed-size model run on a crop ``factor`` times its size, losslessly.

A 128 px swap model sees a face at 128 px, however large the face is in the
frame. Pixel boost aligns the target at ``factor * 128`` px instead and deals
the crop out into ``factor**2`` interleaved sub-crops of the model's size:
pixel ``(i, j)`` of sub-crop ``(a, b)`` is pixel ``(i * factor + a, j * factor
+ b)`` of the crop. Each sub-crop is the whole face, sampled on a grid shifted
by a fraction of a model pixel, so the model swaps each one as it would a
normal crop; put back together, the swapped sub-crops make a swapped face
with ``factor`` times the detail of one model crop (FaceFusion's
``--face-swapper-pixel-boost``).

:func:`split` and :func:`merge` are exact inverses (a reshape and a
transpose: no resampling), so the swap of an identity model returns the
boosted crop bit for bit.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np

A = TypeVar("A", bound=np.ndarray[Any, Any])


def boost_factor(boost: int, model_size: int) -> int:
    """How many model sides fit in the boosted side (``512 // 128 = 4``).

    :raises ValueError: the boosted side is not a whole multiple of the model's
        side, or is smaller than it.
    """
    if boost < model_size or boost % model_size:
        raise ValueError(
            f"pixel boost {boost} is not a multiple of the model's {model_size} px crop; "
            f"use a multiple of {model_size} (or none)"
        )
    return boost // model_size


def split(crop: A, factor: int) -> A:
    """``factor**2`` sub-crops of a ``(factor * n) x (factor * n) [x C]`` crop, as one batch.

    Sub-crop ``a * factor + b`` holds pixels ``(i * factor + a, j * factor + b)``.
    """
    height, width = crop.shape[:2]
    if height != width or height % factor:
        raise ValueError(f"cannot split a {width}x{height} crop into {factor}x{factor} sub-crops")
    side = height // factor
    rest = crop.shape[2:]
    # (i, a, j, b, ...) -> (a, b, i, j, ...)
    grid = crop.reshape(side, factor, side, factor, *rest)
    order = (1, 3, 0, 2, *range(4, 4 + len(rest)))
    out = np.ascontiguousarray(grid.transpose(order).reshape(factor * factor, side, side, *rest))
    return cast(A, out)


def merge(tiles: A, factor: int) -> A:
    """The crop that :func:`split` dealt out, from its ``factor**2`` (processed) sub-crops."""
    count, side = tiles.shape[0], tiles.shape[1]
    if count != factor * factor or tiles.shape[2] != side:
        raise ValueError(
            f"cannot merge {count} sub-crops of {tiles.shape[2]}x{side} with factor {factor}"
        )
    rest = tiles.shape[3:]
    grid = tiles.reshape(factor, factor, side, side, *rest)
    # (a, b, i, j, ...) -> (i, a, j, b, ...)
    order = (2, 0, 3, 1, *range(4, 4 + len(rest)))
    out = np.ascontiguousarray(grid.transpose(order).reshape(side * factor, side * factor, *rest))
    return cast(A, out)


__all__ = ["boost_factor", "merge", "split"]
