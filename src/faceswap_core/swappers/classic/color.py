"""Colour transfer between skin regions (Reinhard et al. 2001, in CIE LAB).

The swapped face should take the target's skin tone and lighting, not bring
the source's. Matching the per-channel mean and spread of LAB over the two
face regions does that with no learned weights.

The spread is matched on the face's shading only: the image is split into a
base (a Gaussian blur at the scale of the shading) and the detail above it,
the base is moved to the target's statistics and the detail is added back at
its own contrast. Scaling the detail with the base would flatten the source's
texture (pores, lashes, lip lines) whenever the target is lit more softly.
"""

from __future__ import annotations

import math

import attrs
import cv2
import numpy as np
import numpy.typing as npt

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


def to_uint8(values: npt.ArrayLike, scale: float = 1.0) -> Image:
    """``values * scale`` rounded to the nearest integer and clipped to 0..255, as ``uint8``.

    OpenCV's saturating conversion, several times faster than NumPy's
    clip-round-cast on a face-sized image.
    """
    positive = cv2.max(np.asarray(values, dtype=np.float32), 0.0)
    return np.asarray(cv2.convertScaleAbs(positive, alpha=scale), dtype=np.uint8)


def from_lab(lab: FloatArray) -> Image:
    """Float LAB back to RGB ``uint8`` (rounded, clipped)."""
    rgb = cv2.cvtColor(np.asarray(lab, dtype=np.float32), cv2.COLOR_LAB2RGB)
    return to_uint8(rgb, 255.0)


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


def _coarse_step(sigma: float) -> int:
    """A grid step for working at Gaussian ``sigma``: about ``sigma / 2``, so the blur
    stays two grid pixels wide (anything smoother loses nothing from the coarse grid)."""
    return max(1, int(sigma // 2))


def _shrink(image: FloatArray, step: int) -> FloatArray:
    if step == 1:
        return image
    height, width = image.shape[:2]
    size = (math.ceil(width / step), math.ceil(height / step))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.float32)


def _enlarge(image: FloatArray, shape: tuple[int, ...]) -> FloatArray:
    if image.shape[:2] == shape[:2]:
        return image
    size = (shape[1], shape[0])
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_LINEAR), np.float32)


def shading(image: FloatArray, sigma: float) -> FloatArray:
    """A Gaussian blur of ``image`` at ``sigma`` pixels: the shading under the detail.

    It is computed on a grid about ``sigma / 2`` times coarser and enlarged
    back. The result is smooth at that scale, so this loses nothing visible,
    and the cost stays the same whatever the face's size.
    """
    step = _coarse_step(sigma)
    small = _shrink(np.asarray(image, np.float32), step)
    blurred = cv2.GaussianBlur(small, (0, 0), sigma / step, borderType=cv2.BORDER_REFLECT_101)
    return _enlarge(np.asarray(blurred, np.float32), image.shape)


def transfer(image: Image, source: ColorStats, target: ColorStats, detail: float = 0.0) -> Image:
    """Recolour ``image`` (whose face has ``source`` statistics) to ``target``'s.

    :param detail: the Gaussian sigma in pixels that separates shading from
        detail in lightness (L); that detail keeps its contrast, and only the
        shading's spread is matched (0 scales everything, as Reinhard). The
        colour channels (a, b) are matched whole, so blotches of the source's
        skin colour are evened out as the target's skin is. The change to L is
        then smooth, and is worked out on the shading's coarse grid (see
        :func:`shading`).
    """
    gain = np.clip(target.std / source.std, MIN_GAIN, MAX_GAIN).astype(np.float32)
    lab = to_lab(image)
    # Per channel c -> (c - source mean) * gain + target mean, as one OpenCV pass.
    affine = np.zeros((3, 4), np.float32)
    affine[[0, 1, 2], [0, 1, 2]] = gain
    affine[:, 3] = target.mean - gain * source.mean
    if detail <= 0.0:
        return from_lab(np.asarray(cv2.transform(lab, affine), np.float32))
    # Lightness: only the shading is scaled, so L moves by a smooth change instead.
    affine[0] = (1.0, 0.0, 0.0, 0.0)
    out = cv2.transform(lab, affine)
    lightness = np.asarray(cv2.extractChannel(lab, 0), np.float32)
    step = _coarse_step(detail)
    base = cv2.GaussianBlur(
        _shrink(lightness, step), (0, 0), detail / step, borderType=cv2.BORDER_REFLECT_101
    )
    # L: (base - mean) * gain + target mean + (L - base).
    change = (base - source.mean[0]) * (gain[0] - np.float32(1.0)) + (
        target.mean[0] - source.mean[0]
    )
    full = _enlarge(np.asarray(change, np.float32), lightness.shape)
    zeros = np.zeros_like(full)
    return from_lab(np.asarray(cv2.add(out, cv2.merge([full, zeros, zeros])), np.float32))
