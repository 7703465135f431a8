"""Head pose and expression error on landmarks whose answer is known by construction.

Landmarks are made by projecting the 3D mean face with OpenCV's camera model
under rotations written out by hand (no code under test builds them), so the
angles to recover are the ones the test chose.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faceswap_core.eval.pose import (
    MODEL_POINTS,
    HeadPose,
    camera_matrix,
    expression_error,
    head_pose,
    pose_error,
)

SIZE = (480, 640)


def rx(degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])


def ry(degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])


def rz(degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])


def project(
    rotation: np.ndarray, shift: tuple[float, float, float] = (0.0, 0.0, 6.0)
) -> np.ndarray:
    rvec, _ = cv2.Rodrigues(rotation)
    points, _ = cv2.projectPoints(
        MODEL_POINTS, rvec, np.array(shift), camera_matrix(SIZE), np.zeros(4)
    )
    return points.reshape(68, 2)


def test_a_face_looking_at_the_camera_has_zero_pose() -> None:
    pose = head_pose(project(np.eye(3)), SIZE)
    assert pose.as_array() == pytest.approx([0, 0, 0], abs=1e-6)


@pytest.mark.parametrize(
    ("yaw", "pitch", "roll"),
    [(30, 0, 0), (0, -15, 0), (0, 0, 20), (20, -10, 5), (-35, 12, -8)],
)
def test_rotations_built_by_hand_are_recovered(yaw: float, pitch: float, roll: float) -> None:
    landmarks = project(rz(roll) @ ry(yaw) @ rx(pitch), shift=(0.3, -0.2, 7.0))
    pose = head_pose(landmarks, SIZE)
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((yaw, pitch, roll), abs=1e-3)


def test_pose_error_is_the_l2_of_the_angle_differences() -> None:
    # sqrt(3^2 + 4^2 + 12^2) = 13, worked by hand
    assert pose_error(HeadPose(10, 0, 0), HeadPose(13, 4, 12)) == pytest.approx(13.0)


def test_pose_error_wraps_around_180_degrees() -> None:
    assert pose_error(HeadPose(0, 0, 179), HeadPose(0, 0, -179)) == pytest.approx(2.0)


def test_identical_landmarks_have_zero_pose_error() -> None:
    landmarks = project(ry(25) @ rx(-5))
    pose = head_pose(landmarks, SIZE)
    assert pose_error(pose, head_pose(landmarks.copy(), SIZE)) == 0.0


def test_expression_error_of_moved_mouth_points_by_hand() -> None:
    target = project(np.eye(3)) * 1.0
    result = target.copy()
    result[48:68, 1] += 3.0  # the 20 mouth points move 3 px down; rigid points stay
    inter_ocular = float(np.linalg.norm(target[36] - target[45]))
    expected = (20 * 3.0 / 68) / inter_ocular
    assert expression_error(result, target) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    angle=st.floats(-40, 40),
    scale=st.floats(0.5, 2.0),
    dx=st.floats(-200, 200),
    dy=st.floats(-200, 200),
)
def test_expression_error_ignores_rotation_scale_and_shift(
    angle: float, scale: float, dx: float, dy: float
) -> None:
    target = project(ry(10))
    a = math.radians(angle)
    rotation = scale * np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    moved = target @ rotation.T + np.array([dx, dy])
    assert expression_error(moved, target) == pytest.approx(0.0, abs=1e-9)


def test_landmarks_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="68 x 2"):
        head_pose(np.zeros((5, 2)), SIZE)
    with pytest.raises(ValueError, match="non-finite"):
        expression_error(np.full((68, 2), np.nan), project(np.eye(3)))
