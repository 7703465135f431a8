"""Mirror fill: borrow the visible half of a turned source face for its hidden half.

A source photographed in three-quarter view shows one cheek squeezed against
the nose; the landmark warp would stretch that sliver (often hair or
background) across a frontal target's cheek. Faces are close to symmetric, so
the crop flipped left-right gives a better guess for the hidden half.
"""

from __future__ import annotations

import numpy as np

from faceswap_core.interfaces.face import FloatArray, Image

# iBUG 300-W index of each point's mirror image (the subject's left <-> right).
MIRROR_68: tuple[int, ...] = (
    *range(16, -1, -1),  # jaw
    *range(26, 21, -1),  # right brow <- left brow
    *range(21, 16, -1),
    27,
    28,
    29,
    30,  # nose bridge
    35,
    34,
    33,
    32,
    31,  # nostrils
    45,
    44,
    43,
    42,
    47,
    46,  # eyes
    39,
    38,
    37,
    36,
    41,
    40,
    54,
    53,
    52,
    51,
    50,
    49,
    48,  # outer lips, upper
    59,
    58,
    57,
    56,
    55,  # outer lips, lower
    64,
    63,
    62,
    61,
    60,  # inner lips, upper
    67,
    66,
    65,  # inner lips, lower
)

# Yaw (see :func:`yaw`) where mirror fill starts, and where it fully replaces the hidden half.
MIRROR_START = 0.15
MIRROR_FULL = 0.3


def yaw(landmarks: FloatArray) -> float:
    """Signed head turn from 68 points: about 0 frontal, towards -1 / +1 in profile.

    Negative means the nose is closer to jaw point 0 (that half is hidden).
    """
    points = np.asarray(landmarks, dtype=np.float32)
    left = float(np.linalg.norm(points[30] - points[0]))
    right = float(np.linalg.norm(points[30] - points[16]))
    total = left + right
    return (left - right) / total if total > 0 else 0.0


def strength(turn: float) -> float:
    """How much of the hidden half the mirrored face replaces (0 to 1)."""
    return float(np.clip((abs(turn) - MIRROR_START) / (MIRROR_FULL - MIRROR_START), 0.0, 1.0))


def mirror(crop: Image, landmarks: FloatArray) -> tuple[Image, FloatArray]:
    """The crop flipped left-right and its landmarks, renumbered so each index keeps its meaning."""
    width = crop.shape[1]
    flipped = np.ascontiguousarray(crop[:, ::-1])
    points = np.asarray(landmarks, dtype=np.float32)[list(MIRROR_68)].copy()
    points[:, 0] = (width - 1) - points[:, 0]
    return flipped, points


def hidden_weight(
    size: int, landmarks: FloatArray, hidden_side: int, softness: float
) -> FloatArray:
    """Per-pixel weight (0 to 1) of the target-side half matching the source's hidden half.

    The face's midline runs from the nose bridge (27) to the chin (8);
    ``hidden_side`` is -1 for the half holding jaw point 0 and +1 for point 16's.
    The step across the midline is smoothed over ``softness`` pixels.
    """
    points = np.asarray(landmarks, dtype=np.float64)
    top, chin = points[27], points[8]
    axis = chin - top
    length = float(np.hypot(*axis))
    if length == 0:
        return np.zeros((size, size), np.float32)
    normal = np.array([-axis[1], axis[0]]) / length  # perpendicular to the midline
    if float(np.dot(points[16] - top, normal)) < 0:
        normal = -normal  # point the normal towards jaw point 16's half
    grid = np.arange(size, dtype=np.float64)
    signed = (grid[None, :] - top[0]) * normal[0] + (grid[:, None] - top[1]) * normal[1]
    weight: FloatArray = (1.0 / (1.0 + np.exp(-hidden_side * signed / max(softness, 1e-3)))).astype(
        np.float32
    )
    return weight
