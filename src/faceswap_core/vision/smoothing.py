"""Temporal smoothing across video frames: face geometry, the paste mask and its colour.

A detector and a landmarker look at each frame on its own, so a face that
stands still comes back a pixel or two off from frame to frame, and the
pasted face shivers. Three filters take that out, per tracked face:

- geometry: an exponential moving average (:class:`EmaFilter`) or the One
  Euro filter (:class:`OneEuroFilter`, Casiez, Roussel and Vogel, CHI 2012),
  a low-pass whose cutoff rises with speed, so a still face is held steady
  and a moving one is followed without lag;
- the paste mask (:class:`MaskBlend`): a running blend of the mask in crop
  coordinates, so the seam does not crawl;
- the pasted colour (:class:`ColorBlend`): the swapped face's colour offset
  from the target face is smoothed over time, so the face does not pulse in
  brightness while real lighting changes of the target still come through.

Timestamps are seconds (a video frame's presentation time), so the filters
behave the same at any frame rate, variable ones included.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import Face, FloatArray, Image

SMOOTHING_METHODS: tuple[str, ...] = ("none", "ema", "one-euro")

Array = npt.NDArray[np.float64]

# ColorBlend leaves shifts smaller than this (in 8-bit levels) alone.
MIN_SHIFT = 1.0

# When two frames carry the same timestamp (or none), assume this frame interval.
FALLBACK_DT = 1.0 / 25.0


class Filter(Protocol):
    """Filters one array-valued signal sampled at increasing times."""

    def __call__(self, value: npt.ArrayLike, t: float, *, scale: float = 1.0) -> Array: ...

    def reset(self) -> None: ...


class NoFilter:
    """Passes values through (``--smooth none``)."""

    def __call__(self, value: npt.ArrayLike, t: float, *, scale: float = 1.0) -> Array:
        return np.asarray(value, dtype=np.float64)

    def reset(self) -> None:
        pass


class EmaFilter:
    """Exponential moving average: ``y = alpha * x + (1 - alpha) * y_prev``.

    :param alpha: weight of the new sample, in (0, 1]; 1 passes values through.
    """

    def __init__(self, alpha: float = 0.5) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"EMA alpha must be in (0, 1], got {alpha}")
        self.alpha = alpha
        self._last: Array | None = None

    def __call__(self, value: npt.ArrayLike, t: float, *, scale: float = 1.0) -> Array:
        x = np.asarray(value, dtype=np.float64)
        if self._last is None or self._last.shape != x.shape:
            self._last = x.copy()
        else:
            self._last = self.alpha * x + (1.0 - self.alpha) * self._last
        return self._last.copy()

    def reset(self) -> None:
        self._last = None


def smoothing_factor(dt: float, cutoff: float) -> float:
    """The low-pass weight of a new sample for a cutoff frequency (Hz) and interval (s)."""
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """The One Euro filter, element-wise over an array.

    The speed estimate is low-passed at ``d_cutoff``; the value is low-passed
    at ``min_cutoff + beta * |speed| / scale``. ``scale`` makes ``beta``
    independent of image size: the stream passes the face height, so speed is
    in face heights per second. As in the authors' reference code, the speed
    is taken from the previous raw sample.

    :param min_cutoff: cutoff (Hz) for a still signal; lower holds it steadier.
    :param beta: how fast the cutoff rises with speed; higher follows motion with less lag.
    :param d_cutoff: cutoff (Hz) of the speed estimate.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError(
                "One Euro needs min_cutoff > 0, d_cutoff > 0 and beta >= 0, got "
                f"{min_cutoff}, {d_cutoff}, {beta}"
            )
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.d_cutoff = d_cutoff
        self.reset()

    def reset(self) -> None:
        self._raw: Array | None = None
        self._value: Array | None = None
        self._speed: Array | None = None
        self._t: float | None = None

    def __call__(self, value: npt.ArrayLike, t: float, *, scale: float = 1.0) -> Array:
        x = np.asarray(value, dtype=np.float64)
        if self._value is None or self._raw is None or self._value.shape != x.shape:
            self._raw, self._value, self._speed, self._t = x.copy(), x.copy(), np.zeros_like(x), t
            return x.copy()
        assert self._speed is not None
        assert self._t is not None
        dt = t - self._t
        if not dt > 0:
            dt = FALLBACK_DT
        speed = (x - self._raw) / dt
        a_d = smoothing_factor(dt, self.d_cutoff)
        self._speed = a_d * speed + (1.0 - a_d) * self._speed
        cutoff = self.min_cutoff + self.beta * np.abs(self._speed) / max(scale, 1e-9)
        tau = 1.0 / (2.0 * math.pi * cutoff)
        a = 1.0 / (1.0 + tau / dt)
        self._value = a * x + (1.0 - a) * self._value
        self._raw, self._t = x.copy(), t
        return self._value.copy()


def make_filter(
    method: str, *, min_cutoff: float, beta: float, d_cutoff: float, alpha: float
) -> Filter:
    """A fresh filter for ``none``, ``ema`` or ``one-euro`` (see :data:`SMOOTHING_METHODS`)."""
    if method == "none":
        return NoFilter()
    if method == "ema":
        return EmaFilter(alpha)
    if method == "one-euro":
        return OneEuroFilter(min_cutoff, beta, d_cutoff)
    raise ValueError(f"unknown smoothing {method!r}; choose one of {', '.join(SMOOTHING_METHODS)}")


class FaceSmoother:
    """Smooths one tracked face: box and five keypoints together, landmarks apart.

    Keypoints are smoothed before the landmarker runs (it is placed by them),
    landmarks after it. Both use the face height as the speed scale.
    """

    def __init__(self, geometry: Filter, landmarks: Filter) -> None:
        self._geometry = geometry
        self._landmarks = landmarks

    def reset(self) -> None:
        self._geometry.reset()
        self._landmarks.reset()

    def face(self, face: Face, t: float) -> Face:
        """``face`` with its box and keypoints smoothed."""
        packed = np.concatenate([np.asarray(face.bbox, np.float64), face.kps.reshape(-1)])
        out = self._geometry(packed, t, scale=max(face.height, 1.0))
        return face.evolve(bbox=out[:4], kps=out[4:].reshape(5, 2))

    def points(self, landmarks: FloatArray, t: float, height: float) -> FloatArray:
        """Smoothed landmarks (same shape)."""
        out = self._landmarks(landmarks, t, scale=max(height, 1.0))
        return out.astype(np.float32).reshape(np.shape(landmarks))


class MaskBlend:
    """Running blend of a paste mask over frames, in crop coordinates.

    ``mask_t = weight * mask_{t-1} + (1 - weight) * current`` where the current
    mask is above zero, and 0 elsewhere: the blend never pastes where this
    frame's mask does not reach.

    :param weight: share of the history, in [0, 1); 0 turns the blend off.
    """

    def __init__(self, weight: float) -> None:
        if not 0.0 <= weight < 1.0:
            raise ValueError(f"mask blend weight must be in [0, 1), got {weight}")
        self.weight = weight
        self._last: FloatArray | None = None

    def reset(self) -> None:
        self._last = None

    def __call__(self, mask: FloatArray) -> FloatArray:
        current = np.asarray(mask, dtype=np.float32)
        if self.weight == 0.0 or self._last is None or self._last.shape != current.shape:
            self._last = current.copy()
            return current
        blended = np.float32(self.weight) * self._last + np.float32(1.0 - self.weight) * current
        blended[current <= 0.0] = 0.0
        out: FloatArray = blended.astype(np.float32, copy=False)
        self._last = out
        return out


class ColorBlend:
    """Keeps the pasted face's colour offset from the target steady over time.

    Per frame the offset is the mean colour of the swapped crop minus that of
    the target crop, under the mask's core (``mask > 0.5``). The offset is
    smoothed with an exponential average of the given ``weight`` (the share of
    the history), and the swapped crop is shifted by the smoothed offset minus
    this frame's: frame-to-frame pulses go, the target's real lighting changes
    stay (they move both means alike).

    :param weight: share of the history, in [0, 1); 0 turns the blend off.
    """

    def __init__(self, weight: float) -> None:
        if not 0.0 <= weight < 1.0:
            raise ValueError(f"colour blend weight must be in [0, 1), got {weight}")
        self.weight = weight
        self._offset: Array | None = None

    def reset(self) -> None:
        self._offset = None

    def __call__(self, swapped: Image, target: Image, mask: FloatArray) -> Image:
        if self.weight == 0.0:
            return swapped
        import cv2  # here: spec fields read SMOOTHING_METHODS, and plugin entry points import them

        core = (np.asarray(mask) > 0.5).astype(np.uint8)
        if int(cv2.countNonZero(core)) < 16:
            return swapped
        offset = np.subtract(cv2.mean(swapped, mask=core)[:3], cv2.mean(target, mask=core)[:3])
        if self._offset is None:
            self._offset = offset
            return swapped
        self._offset = self.weight * self._offset + (1.0 - self.weight) * offset
        shift = (self._offset - offset).astype(np.float32)
        if float(np.abs(shift).max()) < MIN_SHIFT:
            return swapped  # below a visible step: rounding would only add noise
        moved = swapped.astype(np.float32) + shift
        out: Image = np.clip(np.rint(moved), 0, 255).astype(np.uint8)
        return out


__all__ = [
    "SMOOTHING_METHODS",
    "ColorBlend",
    "EmaFilter",
    "FaceSmoother",
    "Filter",
    "MaskBlend",
    "NoFilter",
    "OneEuroFilter",
    "make_filter",
    "smoothing_factor",
]
