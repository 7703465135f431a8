"""Face alignment: 5-point similarity transforms to canonical crops and back.

Templates follow insightface's conventions (``face_align.estimate_norm``): the
ArcFace 112 px template scaled for multiples of 112, and the +8 px x-shifted
variant scaled for multiples of 128 (what inswapper_128 was trained on).
"""

from __future__ import annotations

from typing import Literal

import attrs
import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import Face, FloatArray, Image

ARCFACE_TEMPLATE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)

TemplateName = Literal["arcface", "inswapper", "classic"]
TEMPLATES: tuple[str, ...] = ("arcface", "inswapper", "classic")

# The classic swapper needs the whole face (jaw, brows) inside its crop, so its
# template shrinks the ArcFace points towards the centre by this factor.
CLASSIC_FACE_SCALE = 0.62

Matrix = npt.NDArray[np.float64]


def template(size: int, kind: str = "arcface") -> FloatArray:
    """The five destination points for a ``size`` x ``size`` crop.

    ``arcface``: the 112 template scaled by ``size / 112``; ``inswapper``: the
    template scaled by ``size / 128`` and shifted ``+8 * size / 128`` in x;
    ``classic``: the ArcFace layout shrunk around the crop centre so the full
    68-point face fits with a margin.
    """
    if size < 16:
        raise ValueError(f"crop size must be at least 16 px, got {size}")
    if kind == "arcface":
        return ARCFACE_TEMPLATE_112 * np.float32(size / 112.0)
    if kind == "inswapper":
        ratio = size / 128.0
        points = ARCFACE_TEMPLATE_112 * np.float32(ratio)
        points[:, 0] += np.float32(8.0 * ratio)
        return points
    if kind == "classic":
        unit = ARCFACE_TEMPLATE_112 / 112.0 - 0.5
        unit[:, 1] -= 0.06  # leave room below the chin rather than above the brows
        return ((unit * CLASSIC_FACE_SCALE + 0.5) * size).astype(np.float32)
    raise ValueError(f"unknown alignment template {kind!r}; choose one of {', '.join(TEMPLATES)}")


def estimate(kps: npt.ArrayLike, size: int, kind: str = "arcface") -> Matrix:
    """The 2 x 3 similarity transform that maps image keypoints onto the template."""
    src = np.asarray(kps, dtype=np.float64).reshape(5, 2)
    return similarity(src, template(size, kind))


def similarity(src: npt.ArrayLike, dst: npt.ArrayLike) -> Matrix:
    """The least-squares 2 x 3 similarity transform (rotation, uniform scale, shift) src -> dst."""
    from skimage.transform import SimilarityTransform

    src = np.asarray(src, dtype=np.float64).reshape(-1, 2)
    dst = np.asarray(dst, dtype=np.float64).reshape(-1, 2)
    if hasattr(SimilarityTransform, "from_estimate"):
        tform = SimilarityTransform.from_estimate(src, dst)
    else:  # scikit-image < 0.26
        tform = SimilarityTransform()  # type: ignore[no-untyped-call]
        tform.estimate(src, dst)
    return np.asarray(tform.params[:2, :], dtype=np.float64)


def invert(matrix: Matrix) -> Matrix:
    """The exact inverse of a 2 x 3 affine transform (crop -> image)."""
    return np.asarray(cv2.invertAffineTransform(matrix), dtype=np.float64)


def transform_points(points: npt.ArrayLike, matrix: Matrix) -> FloatArray:
    """Apply a 2 x 3 affine transform to N x 2 points."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = pts @ matrix[:, :2].T + matrix[:, 2]
    return out.astype(np.float32)


def transform_face(face: Face, matrix: Matrix) -> Face:
    """The same face expressed in another coordinate frame (keypoints, landmarks, box)."""
    corners = np.array(
        [
            [face.bbox[0], face.bbox[1]],
            [face.bbox[2], face.bbox[1]],
            [face.bbox[0], face.bbox[3]],
            [face.bbox[2], face.bbox[3]],
        ],
        dtype=np.float32,
    )
    moved = transform_points(corners, matrix)
    bbox = np.array([*moved.min(axis=0), *moved.max(axis=0)], dtype=np.float32)
    landmarks = None if face.landmarks is None else transform_points(face.landmarks, matrix)
    return face.evolve(bbox=bbox, kps=transform_points(face.kps, matrix), landmarks=landmarks)


@attrs.frozen(eq=False)
class AlignedFace:
    """An aligned crop, the transform that made it, and the face in crop coordinates."""

    crop: Image
    matrix: Matrix
    face: Face
    size: int
    kind: str

    @property
    def inverse(self) -> Matrix:
        return invert(self.matrix)


BLACK_BORDER_TEMPLATES: frozenset[str] = frozenset({"arcface", "inswapper"})
"""Templates whose crops fill black outside the image, as insightface's ``norm_crop`` does.

ArcFace recognizers and inswapper were trained on such crops, so a face at the
frame edge must be embedded and swapped from the same pixels insightface
feeds them. The ``classic`` template mirrors the image instead: its landmark
warp and colour statistics would otherwise see a black band as skin.
"""


def border_mode(kind: str) -> int:
    """OpenCV's border mode for crops on the template ``kind``."""
    return cv2.BORDER_CONSTANT if kind in BLACK_BORDER_TEMPLATES else cv2.BORDER_REFLECT_101


def align(image: Image, face: Face, size: int, kind: str = "arcface") -> AlignedFace:
    """Warp ``face`` of ``image`` to a ``size`` x ``size`` crop on the named template.

    Outside the image the crop is black for the ``arcface`` and ``inswapper``
    templates (insightface's ``norm_crop``) and mirrored for ``classic``.
    """
    matrix = estimate(face.kps, size, kind)
    crop = cv2.warpAffine(
        image,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=border_mode(kind),
        borderValue=(0, 0, 0),
    )
    return AlignedFace(np.ascontiguousarray(crop), matrix, transform_face(face, matrix), size, kind)
