"""Head pose and expression from 68-point landmarks.

Pose: ``cv2.solvePnP`` fits a 3D mean face to the 2D landmarks with a
pinhole camera whose focal length is the image's longer side and whose
centre is the image centre (no distortion), the usual approximation when the
camera is unknown. The rotation is reported as pitch (about x), yaw (about y)
and roll (about z) in degrees, with ``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)``
in OpenCV's camera frame (x right, y down, z away from the camera); a face
looking straight at the camera is (0, 0, 0).

Expression: both shapes are brought into one frame by the similarity
transform fitted on the rigid points only (nose and eye corners), so an open
mouth does not tilt the fit; what remains is the expression.
"""

from __future__ import annotations

import math

import attrs
import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.vision.align import similarity

# The 68-point 3D mean face of insightface's python package
# (``insightface/data/objects/meanshape_68.pkl``, MIT licence; it is the mean
# shape its 3D landmark model regresses around), rounded to 4 decimals. Points
# follow the iBUG 300-W order; axes: x to the image's right, y down, z towards
# the viewer, unit about half a face width.
MEAN_FACE_68 = np.array(
    [
        [-0.6267, -0.2927, -0.3140], [-0.5997, -0.1225, -0.2924], [-0.5710, 0.0512, -0.2549],
        [-0.5339, 0.2128, -0.1866], [-0.4797, 0.3506, -0.0477], [-0.3958, 0.4465, 0.0733],
        [-0.2988, 0.5107, 0.1798], [-0.1884, 0.5544, 0.3167], [0.0015, 0.5844, 0.3884],
        [0.1910, 0.5517, 0.3143], [0.3269, 0.4896, 0.1684], [0.4400, 0.4024, 0.0360],
        [0.5069, 0.3116, -0.0948], [0.5409, 0.2045, -0.2027], [0.5741, 0.0457, -0.2842],
        [0.5991, -0.1459, -0.2965], [0.6275, -0.3077, -0.3020], [-0.4747, -0.4376, 0.2365],
        [-0.4167, -0.4718, 0.3160], [-0.3475, -0.4841, 0.3661], [-0.2606, -0.4764, 0.3992],
        [-0.1671, -0.4578, 0.4166], [0.1232, -0.4587, 0.4251], [0.2064, -0.4804, 0.4158],
        [0.2867, -0.4901, 0.3920], [0.3624, -0.4769, 0.3528], [0.4256, -0.4501, 0.2953],
        [-0.0076, -0.3231, 0.4619], [-0.0079, -0.2557, 0.5105], [-0.0077, -0.1992, 0.5525],
        [-0.0073, -0.1426, 0.5987], [-0.1450, 0.0331, 0.4197], [-0.0843, 0.0313, 0.4732],
        [-0.0055, 0.0398, 0.5147], [0.0635, 0.0461, 0.4792], [0.1340, 0.0220, 0.4191],
        [-0.3868, -0.3134, 0.2596], [-0.3167, -0.3501, 0.3285], [-0.2341, -0.3549, 0.3335],
        [-0.1552, -0.3152, 0.3143], [-0.2309, -0.2843, 0.3256], [-0.3175, -0.2852, 0.3099],
        [0.1390, -0.3098, 0.3183], [0.2195, -0.3532, 0.3380], [0.3017, -0.3497, 0.3331],
        [0.3767, -0.3135, 0.2632], [0.2967, -0.2871, 0.3220], [0.2146, -0.2905, 0.3312],
        [-0.2014, 0.2374, 0.3795], [-0.1373, 0.1858, 0.4653], [-0.0765, 0.1512, 0.5036],
        [-0.0025, 0.1687, 0.5164], [0.0644, 0.1509, 0.5045], [0.1265, 0.1795, 0.4686],
        [0.2182, 0.2390, 0.3757], [0.1329, 0.2839, 0.4401], [0.0680, 0.2974, 0.4774],
        [-0.0005, 0.3000, 0.4871], [-0.0693, 0.2970, 0.4805], [-0.1425, 0.2743, 0.4381],
        [-0.1781, 0.2306, 0.3964], [-0.0740, 0.2147, 0.4653], [-0.0026, 0.2141, 0.4832],
        [0.0598, 0.2108, 0.4722], [0.1669, 0.2313, 0.3968], [0.0598, 0.2238, 0.4664],
        [-0.0014, 0.2258, 0.4752], [-0.0752, 0.2307, 0.4671],
    ],
    dtype=np.float64,
)  # fmt: skip

MODEL_POINTS = MEAN_FACE_68 * np.array([1.0, 1.0, -1.0])
"""The mean face in OpenCV's object frame: z flipped to point away from the camera."""

RIGID_POINTS: tuple[int, ...] = (27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45)
"""Nose bridge, nostrils and eye corners: they barely move with expression."""

OUTER_EYE_CORNERS = (36, 45)
"""300-W's inter-ocular distance: the outer corners of the two eyes."""


@attrs.frozen
class HeadPose:
    """Head rotation in degrees (see the module docstring for the convention)."""

    yaw: float
    pitch: float
    roll: float

    def as_array(self) -> npt.NDArray[np.float64]:
        return np.array([self.yaw, self.pitch, self.roll], dtype=np.float64)


def _check_68(landmarks: npt.ArrayLike, what: str) -> npt.NDArray[np.float64]:
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"{what} must be 68 x 2 landmarks, got shape {points.shape}")
    if not np.all(np.isfinite(points)):
        raise ValueError(f"{what} has non-finite coordinates")
    return points


def camera_matrix(image_size: tuple[int, int]) -> npt.NDArray[np.float64]:
    """Intrinsics for an unknown camera: focal = longer side, principal point = centre."""
    height, width = image_size
    focal = float(max(height, width))
    return np.array(
        [[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]], dtype=np.float64
    )


def euler_angles(rotation: npt.ArrayLike) -> HeadPose:
    """Yaw, pitch and roll (degrees) of ``R = Rz(roll) @ Ry(yaw) @ Rx(pitch)``."""
    r = np.asarray(rotation, dtype=np.float64)
    yaw = math.asin(float(np.clip(-r[2, 0], -1.0, 1.0)))
    pitch = math.atan2(float(r[2, 1]), float(r[2, 2]))
    roll = math.atan2(float(r[1, 0]), float(r[0, 0]))
    return HeadPose(math.degrees(yaw), math.degrees(pitch), math.degrees(roll))


def head_pose(landmarks: npt.ArrayLike, image_size: tuple[int, int]) -> HeadPose:
    """The head pose of one face from its 68 landmarks in an image of ``(height, width)``."""
    points = _check_68(landmarks, "landmarks")
    ok, rvec, _tvec = cv2.solvePnP(
        MODEL_POINTS,
        points,
        camera_matrix(image_size),
        np.zeros(4),
        flags=cv2.SOLVEPNP_ITERATIVE,
    )
    if not ok:
        raise ValueError("solvePnP found no head pose for these landmarks")
    rotation, _ = cv2.Rodrigues(rvec)
    return euler_angles(rotation)


def _wrap(degrees: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return (degrees + 180.0) % 360.0 - 180.0


def pose_error(a: HeadPose, b: HeadPose) -> float:
    """L2 distance between two (yaw, pitch, roll) triples in degrees, angles wrapped."""
    return float(np.linalg.norm(_wrap(a.as_array() - b.as_array())))


def expression_error(result: npt.ArrayLike, target: npt.ArrayLike) -> float:
    """Mean landmark distance after rigid alignment, over the target's inter-ocular distance.

    ``result`` is mapped onto ``target`` by the least-squares similarity fitted
    on :data:`RIGID_POINTS`; the mean distance over all 68 points is divided by
    the distance between the target's outer eye corners.
    """
    res = _check_68(result, "result landmarks")
    tgt = _check_68(target, "target landmarks")
    rigid = list(RIGID_POINTS)
    matrix = similarity(res[rigid], tgt[rigid])
    moved = res @ matrix[:, :2].T + matrix[:, 2]
    inter_ocular = float(np.linalg.norm(tgt[OUTER_EYE_CORNERS[0]] - tgt[OUTER_EYE_CORNERS[1]]))
    if inter_ocular <= 0:
        raise ValueError("target landmarks have coincident eye corners")
    return float(np.linalg.norm(moved - tgt, axis=1).mean() / inter_ocular)


__all__ = [
    "MEAN_FACE_68",
    "MODEL_POINTS",
    "RIGID_POINTS",
    "HeadPose",
    "camera_matrix",
    "euler_angles",
    "expression_error",
    "head_pose",
    "pose_error",
]
