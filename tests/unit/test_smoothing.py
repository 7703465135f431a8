"""Temporal filters: EMA, One Euro, mask and colour blends, against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.interfaces.face import Face
from faceswap_core.vision.smoothing import (
    ColorBlend,
    EmaFilter,
    FaceSmoother,
    MaskBlend,
    NoFilter,
    OneEuroFilter,
    make_filter,
)


def test_ema_follows_its_recurrence() -> None:
    ema = EmaFilter(0.5)
    # 0, then 0.5 * 1 + 0.5 * 0 = 0.5, then 0.5 * 1 + 0.5 * 0.5 = 0.75.
    assert [float(ema(v, t)) for t, v in enumerate([0.0, 1.0, 1.0])] == [0.0, 0.5, 0.75]
    ema.reset()
    assert float(ema(4.0, 0)) == 4.0


def test_one_euro_step_matches_the_formula_by_hand() -> None:
    # min_cutoff 1 Hz, dt 0.1 s: alpha = 2*pi*f*dt / (1 + 2*pi*f*dt) = 0.628319 / 1.628319.
    still = OneEuroFilter(min_cutoff=1.0, beta=0.0, d_cutoff=1.0)
    assert float(still(0.0, 0.0)) == 0.0
    assert float(still(1.0, 0.1)) == pytest.approx(0.385870, abs=1e-6)
    # beta 0.5: the speed 10 / s low-passed at 1 Hz is 3.858695, so the cutoff is
    # 1 + 0.5 * 3.858695 = 2.929348 Hz and alpha = 1.840565 / 2.840565 = 0.647957.
    quick = OneEuroFilter(min_cutoff=1.0, beta=0.5, d_cutoff=1.0)
    quick(0.0, 0.0)
    assert float(quick(1.0, 0.1)) == pytest.approx(0.647957, abs=1e-6)


def test_one_euro_speed_is_measured_in_units_of_scale() -> None:
    # Same motion in a frame twice as large, with scale doubled: the same relative result.
    small, large = OneEuroFilter(1.0, 0.5), OneEuroFilter(1.0, 0.5)
    small(0.0, 0.0)
    large(0.0, 0.0)
    assert float(large(2.0, 0.1, scale=2.0)) == pytest.approx(2 * float(small(1.0, 0.1)))


def test_one_euro_holds_a_still_signal_steadier_than_a_moving_one_is_lagged() -> None:
    rng = np.random.default_rng(0)
    filt = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    noisy = 5.0 + rng.normal(0, 1, 200)
    out = np.array([float(filt(v, i / 25)) for i, v in enumerate(noisy)])
    # Frame-to-frame jitter drops by more than half on a still, noisy signal.
    assert np.abs(np.diff(out[20:])).mean() < 0.5 * np.abs(np.diff(noisy[20:])).mean()


@settings(max_examples=50, deadline=None)
@given(
    value=st.floats(-1e4, 1e4),
    min_cutoff=st.floats(0.01, 50),
    beta=st.floats(0, 10),
    steps=st.integers(1, 20),
)
def test_one_euro_keeps_a_constant_signal_exactly(
    value: float, min_cutoff: float, beta: float, steps: int
) -> None:
    filt = OneEuroFilter(min_cutoff, beta)
    for i in range(steps):
        assert float(filt(value, i / 30)) == pytest.approx(value, rel=1e-12, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(min_cutoff=st.floats(0.01, 50), beta=st.floats(0, 10), dt=st.floats(1e-3, 1.0))
def test_one_euro_step_response_is_monotone_and_bounded(
    min_cutoff: float, beta: float, dt: float
) -> None:
    filt = OneEuroFilter(min_cutoff, beta)
    filt(0.0, 0.0)
    previous = 0.0
    for i in range(1, 30):
        current = float(filt(1.0, i * dt))
        assert previous - 1e-12 <= current <= 1.0 + 1e-12
        previous = current


def test_repeated_timestamps_fall_back_to_a_frame_interval() -> None:
    filt = OneEuroFilter(1.0, 0.0)
    filt(0.0, 1.0)
    out = float(filt(1.0, 1.0))
    assert math.isfinite(out)
    assert 0.0 < out < 1.0


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="min_cutoff"):
        OneEuroFilter(0.0, 0.0)
    with pytest.raises(ValueError, match="alpha"):
        EmaFilter(0.0)
    with pytest.raises(ValueError, match="unknown smoothing"):
        make_filter("kalman", min_cutoff=1, beta=0, d_cutoff=1, alpha=0.5)
    with pytest.raises(ValueError, match="weight"):
        MaskBlend(1.0)
    with pytest.raises(ValueError, match="weight"):
        ColorBlend(-0.1)


def test_make_filter_kinds() -> None:
    params = {"min_cutoff": 1.0, "beta": 0.0, "d_cutoff": 1.0, "alpha": 0.5}
    assert isinstance(make_filter("none", **params), NoFilter)
    assert isinstance(make_filter("ema", **params), EmaFilter)
    assert isinstance(make_filter("one-euro", **params), OneEuroFilter)


def test_face_smoother_smooths_box_and_keypoints_together() -> None:
    kps = np.array([[10, 10], [20, 10], [15, 15], [11, 20], [19, 20]], np.float32)
    face = Face(bbox=[0, 0, 30, 30], score=0.9, kps=kps, track_id=3)
    smoother = FaceSmoother(EmaFilter(0.5), EmaFilter(0.5))
    smoother.face(face, 0.0)
    moved = face.evolve(bbox=[10, 0, 40, 30], kps=kps + np.float32([10, 0]))
    out = smoother.face(moved, 0.04)
    assert np.allclose(out.bbox, [5, 0, 35, 30])
    assert np.allclose(out.kps, kps + np.float32([5, 0]))
    assert out.track_id == 3
    points = smoother.points(np.zeros((68, 2), np.float32), 0.0, 30.0)
    assert points.shape == (68, 2)
    assert np.allclose(smoother.points(np.full((68, 2), 2, np.float32), 0.04, 30.0), 1.0)


def test_mask_blend_by_hand() -> None:
    blend = MaskBlend(0.5)
    first = np.array([[1.0, 1.0, 0.0]], np.float32)
    assert np.array_equal(blend(first), first)
    # Where the current mask is 0 the blend is 0; elsewhere 0.5 * previous + 0.5 * current.
    second = blend(np.array([[0.0, 1.0, 1.0]], np.float32))
    assert np.allclose(second, [[0.0, 1.0, 0.5]])
    assert np.array_equal(MaskBlend(0.0)(second), second)


def test_color_blend_steadies_a_pulse_and_passes_real_lighting_changes() -> None:
    mask = np.ones((8, 8), np.float32)
    blend = ColorBlend(0.5)

    def flat(value: int) -> np.ndarray:
        return np.full((8, 8, 3), value, np.uint8)

    assert np.array_equal(blend(flat(150), flat(100), mask), flat(150))  # offset 50 kept
    # A pulse to offset 30: the smoothed offset is 0.5 * 50 + 0.5 * 30 = 40, so 130 -> 140.
    assert np.array_equal(blend(flat(130), flat(100), mask), flat(140))
    # Target and face brighten together (offset 40 = the smoothed one): nothing to correct.
    assert np.array_equal(blend(flat(160), flat(120), mask), flat(160))
    blend.reset()
    assert np.array_equal(blend(flat(10), flat(100), mask), flat(10))


def test_color_blend_ignores_an_empty_mask() -> None:
    blend = ColorBlend(0.9)
    image = np.full((8, 8, 3), 50, np.uint8)
    empty = np.zeros((8, 8), np.float32)
    assert blend(image, image, empty) is image
