"""Swapping one aligned crop, with pixel boost when ``pipeline.pixel_boost`` asks for it.

The crop comes aligned at the boosted side (:func:`boost_side`); it is dealt
into ``factor**2`` sub-crops of the model's size
(:func:`faceswap_core.vision.pixel_boost.split`), which the swapper takes as
one batch when it can (:class:`~faceswap_core.interfaces.BatchSwapper`), and
the swapped sub-crops (and the model's masks, when it has them) are put back
together (:func:`~faceswap_core.vision.pixel_boost.merge`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from faceswap_core.errors import ConfigError
from faceswap_core.interfaces import BatchSwapper, SwapOutput, Swapper
from faceswap_core.vision import pixel_boost
from faceswap_core.vision.align import NATIVE, AlignedFace, transform_face


def boost_side(swapper: Swapper, boost: str | int) -> int:
    """The side the target is aligned at: the model's, or ``pipeline.pixel_boost``.

    :raises ConfigError: pixel boost with a swapper that works at the face's own
        resolution, or a boost that is not a multiple of the model's side.
    """
    if boost == "none":
        return int(swapper.crop_size)
    if swapper.template == NATIVE:
        raise ConfigError(
            "pipeline.pixel_boost needs a fixed-size swap model (inswapper, onnx, unet); this "
            "swapper works on each face at its own resolution already: set pixel_boost none"
        )
    try:
        pixel_boost.boost_factor(int(boost), int(swapper.crop_size))
    except ValueError as exc:
        raise ConfigError(f"pipeline.pixel_boost: {exc}") from None
    return int(boost)


def boosted(swapper: Swapper, aligned: AlignedFace) -> bool:
    """Whether ``aligned`` is a boosted crop: a multiple of the model's side, swapped in tiles."""
    return aligned.kind != NATIVE and aligned.size != int(swapper.crop_size)


def swap_boosted(swapper: Swapper, aligned: AlignedFace, source: Any) -> SwapOutput:
    """Swap ``aligned`` (at the model's side, or boosted to a multiple of it)."""
    model_side = int(swapper.crop_size)
    if not boosted(swapper, aligned):
        return swapper.swap(aligned.crop, aligned.face, source)
    factor = pixel_boost.boost_factor(aligned.size, model_side)
    tiles = pixel_boost.split(aligned.crop, factor)
    scale = np.array([[1.0 / factor, 0.0, 0.0], [0.0, 1.0 / factor, 0.0]])
    face = transform_face(aligned.face, scale)  # where the face lies in each sub-crop
    crops = list(tiles)
    if isinstance(swapper, BatchSwapper):
        step = swapper.max_batch or len(crops)  # 0: any number of crops in one call
        outputs = []
        for start in range(0, len(crops), step):
            chunk = crops[start : start + step]
            outputs.extend(swapper.swap_batch(chunk, [face] * len(chunk), source))
    else:
        outputs = [swapper.swap(crop, face, source) for crop in crops]
    image = pixel_boost.merge(np.stack([out.image for out in outputs]), factor)
    own = [out.mask for out in outputs if out.mask is not None]
    mask = None
    if len(own) == len(outputs):  # the model's own masks, put back together the same way
        side = (model_side, model_side)
        stacked = np.stack([np.asarray(m, np.float32).reshape(side) for m in own])
        mask = pixel_boost.merge(stacked, factor)
    return SwapOutput(image, mask)


__all__ = ["boost_side", "boosted", "swap_boosted"]
