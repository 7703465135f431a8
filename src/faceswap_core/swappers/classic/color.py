"""Colour transfer between skin regions (Reinhard et al. 2001, in CIE LAB).

The swapped face should take the target's skin tone and lighting, not bring
the source's. Matching the per-channel mean and spread of LAB over the two
face regions does that with no learned weights.
"""

from __future__ import annotations

import attrs
import cv2
import numpy as np

from faceswap_core.interfaces.face import FloatArray, Image

# A face region in deep shadow has a tiny spread; capping the gain keeps the
# transfer from amplifying noise when the two spreads differ wildly.
MAX_GAIN = 2.0
MIN_GAIN = 0.5


@attrs.frozen(eq=False)
class ColorStats:
    """Per-channel LAB mean and standard deviation of a region."""

    mean: FloatArray
    std: FloatArray


def to_lab(image: Image) -> FloatArray:
    """RGB ``uint8`` to float LAB (L in 0..100, a and b around 0)."""
    rgb = np.asarray(image, dtype=np.float32) * np.float32(1.0 / 255.0)
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB), dtype=np.float32)


def from_lab(lab: FloatArray) -> Image:
    """Float LAB back to RGB ``uint8`` (rounded, clipped)."""
    rgb = cv2.cvtColor(np.asarray(lab, dtype=np.float32), cv2.COLOR_LAB2RGB)
    out: Image = np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)
    return out


def region_stats(lab: FloatArray, region: FloatArray) -> ColorStats:
    """LAB mean and spread of a LAB image (see :func:`to_lab`) where ``region`` > 0.5.

    Raises ``ValueError`` for an empty region: there is no colour to match.
    """
    inside = (np.asarray(region) > 0.5).astype(np.uint8)
    if not inside.any():
        raise ValueError("colour statistics need a non-empty region")
    mean, std = cv2.meanStdDev(np.asarray(lab, dtype=np.float32), mask=inside)
    return ColorStats(
        mean=mean.ravel().astype(np.float32),
        std=np.maximum(std.ravel().astype(np.float32), np.float32(1e-3)),
    )


def transfer(image: Image, source: ColorStats, target: ColorStats) -> Image:
    """Recolour ``image`` (whose face has ``source`` statistics) to ``target``'s."""
    gain = np.clip(target.std / source.std, MIN_GAIN, MAX_GAIN).astype(np.float32)
    lab = (to_lab(image) - source.mean) * gain + target.mean
    return from_lab(lab)
