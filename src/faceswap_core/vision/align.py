"""Face alignment: crops on named alignment templates, the transforms to them and back.

A template (:class:`~faceswap_core.interfaces.AlignmentTemplate`) is a crop
layout registered by name through ``register_alignment_templates``, core's
the same way as a plugin's (:mod:`faceswap_core.vision.hooks`), so a swapper
with its own layout names it and core needs no edit. Core's follow
insightface's conventions (``face_align.estimate_norm``): ``arcface``, the
ArcFace 112 px template scaled for multiples of 112, ``inswapper``, the +8 px
x-shifted variant scaled for multiples of 128 (what inswapper_128 was trained
on; it is FaceFusion's ``arcface_128``, which GPEN-BFR 256 uses too), and
``classic``, the ArcFace layout shrunk so the whole face fits. ``ffhq`` is the
FFHQ alignment the face restorers GFPGAN, CodeFormer and GPEN-BFR 512 were
trained on (FaceFusion's ``ffhq_512``), scaled to any size.

One more, ``native``, is not a set of points: it cuts the face out of the
image as it is (no rotation, no scaling, a whole-pixel offset) in a square
sized to the face, so a swapper that can work at any size (the landmark-warp
``classic``) resamples nothing on the way in or back out.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.errors import UnknownComponentError
from faceswap_core.interfaces.align import AlignmentTemplate
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.models.store import ModelStore
from faceswap_core.plugin.context import BuildContext
from faceswap_core.plugin.kinds import ALIGNMENT_TEMPLATE
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins

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

FFHQ_TEMPLATE_UNIT = np.array(
    [
        [0.37691676, 0.46864664],
        [0.62285697, 0.46912813],
        [0.50123859, 0.61331904],
        [0.39308822, 0.72541100],
        [0.61150205, 0.72490465],
    ],
    dtype=np.float32,
)
"""The FFHQ five points as fractions of the crop side (FaceFusion ``face_helper``, ``ffhq_512``)."""

TEMPLATES: tuple[str, ...] = ("arcface", "inswapper", "classic", "ffhq")
"""Core's fixed-size templates; plugins may register more (:func:`fixed_templates`)."""

MIN_CROP = 16
"""Smallest side of a fixed-size crop."""

NATIVE = "native"
"""The alignment kind of a swapper that works on the face at its own resolution (:func:`native`)."""

NATIVE_FRAMING = 1.5
"""Side of a ``native`` crop over the face's larger extent (its box joined with its landmarks).

The same framing as the ``classic`` template: room for the forehead and for the
ring of pixels around the face that a shape morph bends."""

NATIVE_STEP = 16
"""``native`` crop sides are multiples of this, so a face whose size jitters by a
pixel from frame to frame keeps the same crop size (video masks blend across frames)."""

# The classic swapper needs the whole face (jaw, brows) inside its crop, so its
# template shrinks the ArcFace points towards the centre by this factor.
CLASSIC_FACE_SCALE = 0.62

Matrix = npt.NDArray[np.float64]


def arcface_points(size: int) -> FloatArray:
    """The ArcFace 112 template scaled by ``size / 112``."""
    return ARCFACE_TEMPLATE_112 * np.float32(size / 112.0)


def inswapper_points(size: int) -> FloatArray:
    """The ArcFace template scaled by ``size / 128`` and shifted ``+8 * size / 128`` in x."""
    ratio = size / 128.0
    points = ARCFACE_TEMPLATE_112 * np.float32(ratio)
    points[:, 0] += np.float32(8.0 * ratio)
    return points


def classic_points(size: int) -> FloatArray:
    """The ArcFace layout shrunk around the crop centre so the full 68-point face fits."""
    unit = ARCFACE_TEMPLATE_112 / 112.0 - 0.5
    unit[:, 1] -= 0.06  # leave room below the chin rather than above the brows
    return ((unit * CLASSIC_FACE_SCALE + 0.5) * size).astype(np.float32)


def ffhq_points(size: int) -> FloatArray:
    """The FFHQ five points scaled by ``size`` (the face restorers' crops)."""
    return FFHQ_TEMPLATE_UNIT * np.float32(size)


@attrs.frozen
class PointTemplate:
    """A fixed-size layout: five destination points for a ``size`` x ``size`` crop.

    :ivar layout: ``size -> 5 x 2`` points (left eye, right eye, nose, mouth corners).
    :ivar border: what fills the crop beyond the image (an OpenCV border mode):
        black (``BORDER_CONSTANT``) as insightface's ``norm_crop`` does, for
        models trained on such crops, or the image mirrored.
    """

    layout: Callable[[int], FloatArray]
    border: int = cv2.BORDER_REFLECT_101

    def points(self, size: int) -> FloatArray:
        if size < MIN_CROP:
            raise ValueError(f"crop size must be at least {MIN_CROP} px, got {size}")
        return self.layout(size)

    def cut(self, image: Image, face: Face, size: int) -> tuple[Image, Matrix]:
        matrix = similarity(np.asarray(face.kps, np.float64).reshape(5, 2), self.points(size))
        crop = cv2.warpAffine(
            image,
            matrix,
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=self.border,
            borderValue=(0, 0, 0),
        )
        return np.ascontiguousarray(crop), matrix


@attrs.frozen
class NativeTemplate:
    """The face at its own resolution (:func:`native`): no fixed points, crops sized to the face."""

    def points(self, size: int) -> FloatArray | None:
        return None

    def cut(self, image: Image, face: Face, size: int) -> tuple[Image, Matrix]:
        return _native_cut(image, face, size)


# ArcFace recognizers and inswapper were trained on crops that are black beyond the
# image (insightface's norm_crop), so a face at the frame edge is embedded and swapped
# from the same pixels insightface feeds them. ``classic`` mirrors the image instead:
# its landmark warp and colour statistics would otherwise see a black band as skin.
ARCFACE = PointTemplate(arcface_points, cv2.BORDER_CONSTANT)
INSWAPPER = PointTemplate(inswapper_points, cv2.BORDER_CONSTANT)
CLASSIC = PointTemplate(classic_points, cv2.BORDER_REFLECT_101)
FFHQ = PointTemplate(ffhq_points, cv2.BORDER_REFLECT_101)
NATIVE_TEMPLATE = NativeTemplate()

BUILTIN_TEMPLATES: Mapping[str, AlignmentTemplate] = {
    "arcface": ARCFACE,
    "inswapper": INSWAPPER,
    "classic": CLASSIC,
    "ffhq": FFHQ,
    NATIVE: NATIVE_TEMPLATE,
}
"""Core's templates, registered by :mod:`faceswap_core.vision.hooks` like a plugin's."""

_BUILT: weakref.WeakKeyDictionary[Any, dict[str, AlignmentTemplate]] = weakref.WeakKeyDictionary()
"""Templates built from one registry (a registry is rebuilt when plugins change)."""


def resolve_template(
    kind: str | AlignmentTemplate, plugins: FaceswapPlugins | None = None
) -> AlignmentTemplate:
    """The registered template named ``kind`` (built once per registry); a template is returned
    as is.

    :param plugins: the manager to look in; default: the process-wide one.
    :raises ValueError: no template of that name is registered.
    """
    if not isinstance(kind, str):
        return kind
    manager = plugins if plugins is not None else get_plugins()
    registry = manager.alignment_templates()
    built = _BUILT.setdefault(registry, {})
    if kind not in built:
        try:
            context = BuildContext(manager, ModelStore())
            built[kind] = manager.build(ALIGNMENT_TEMPLATE, kind, context=context)
        except UnknownComponentError as exc:
            hint = f"; {exc.hint}" if exc.hint else ""
            raise ValueError(
                f"unknown alignment template {kind!r}; choose one of "
                f"{', '.join(exc.available)}{hint}"
            ) from None
    return built[kind]


def fixed_templates(plugins: FaceswapPlugins | None = None) -> tuple[str, ...]:
    """Names of the registered fixed-size templates (what a model's ``faceswap.template`` may
    name): those with points."""
    manager = plugins if plugins is not None else get_plugins()
    names = manager.alignment_templates().names()
    return tuple(n for n in names if resolve_template(n, manager).points(112) is not None)


def template(
    size: int, kind: str | AlignmentTemplate = "arcface", plugins: FaceswapPlugins | None = None
) -> FloatArray:
    """The five destination points of a ``size`` x ``size`` crop on a fixed-size template."""
    if size < MIN_CROP:
        raise ValueError(f"crop size must be at least {MIN_CROP} px, got {size}")
    points = resolve_template(kind, plugins).points(size)
    if points is None:
        raise ValueError(
            f"alignment template {kind!r} has no fixed points (its crops follow the face); "
            f"use one of {', '.join(fixed_templates(plugins))}"
        )
    return points


def estimate(
    kps: npt.ArrayLike,
    size: int,
    kind: str | AlignmentTemplate = "arcface",
    plugins: FaceswapPlugins | None = None,
) -> Matrix:
    """The 2 x 3 similarity transform that maps image keypoints onto the template."""
    src = np.asarray(kps, dtype=np.float64).reshape(5, 2)
    return similarity(src, template(size, kind, plugins))


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


def align(
    image: Image,
    face: Face,
    size: int,
    kind: str | AlignmentTemplate = "arcface",
    *,
    plugins: FaceswapPlugins | None = None,
) -> AlignedFace:
    """Cut ``face`` out of ``image`` on the template ``kind`` (a name or a template).

    For fixed-size templates the crop is ``size`` x ``size``; outside the
    image it is black for ``arcface`` and ``inswapper`` (insightface's
    ``norm_crop``) and mirrored for ``classic``. For ``native`` ``size`` is
    the largest crop side (see :func:`native`).

    :param plugins: where a template name is looked up; default: the process-wide manager.
    """
    chosen = resolve_template(kind, plugins)
    crop, matrix = chosen.cut(image, face, size)
    name = kind if isinstance(kind, str) else type(kind).__name__
    return AlignedFace(crop, matrix, transform_face(face, matrix), int(crop.shape[0]), name)


def face_extent(face: Face) -> tuple[float, float, float]:
    """Centre ``(x, y)`` and larger side of the face's box joined with its landmarks."""
    points = np.asarray(face.bbox, np.float64).reshape(2, 2)
    if face.landmarks is not None:
        points = np.vstack([points, np.asarray(face.landmarks, np.float64)])
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2.0
    return float(centre[0]), float(centre[1]), float((high - low).max())


def native_size(face: Face, max_size: int, min_size: int = 64) -> tuple[int, float]:
    """The ``native`` crop side for ``face`` and the scale it is cut at.

    The side is :data:`NATIVE_FRAMING` times the face's extent, rounded up to
    :data:`NATIVE_STEP`, at least ``min_size``. A face too large for
    ``max_size`` is scaled down to fit (the only case with a resampling).
    """
    _, _, extent = face_extent(face)
    wanted = max(NATIVE_FRAMING * extent, 1.0)
    side = max(min_size, NATIVE_STEP * math.ceil(wanted / NATIVE_STEP))
    if side <= max_size:
        return side, 1.0
    return max_size, max_size / wanted


def native(image: Image, face: Face, max_size: int) -> AlignedFace:
    """``face`` cut out of ``image`` at its own resolution (the ``native`` template)."""
    crop, matrix = _native_cut(image, face, max_size)
    return AlignedFace(crop, matrix, transform_face(face, matrix), int(crop.shape[0]), NATIVE)


def _native_cut(image: Image, face: Face, max_size: int) -> tuple[Image, Matrix]:
    """``face`` cut out of ``image`` at its own resolution, upright, in a square sized to it.

    The crop's pixels are the image's pixels (a whole-pixel offset, no
    rotation, no scaling; mirrored beyond the image border), so pasting a crop
    back through :attr:`AlignedFace.inverse` puts every pixel exactly where it
    came from. Only a face larger than ``max_size`` allows is scaled down,
    with area averaging. The swapper handles rotation itself (landmarks).
    """
    side, scale = native_size(face, max_size)
    cx, cy, _ = face_extent(face)
    if scale == 1.0:
        x0, y0 = round(cx - side / 2.0), round(cy - side / 2.0)
        matrix = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]], dtype=np.float64)
        crop = _cut(image, x0, y0, side)
    else:
        wide = math.ceil(side / scale)
        x0, y0 = round(cx - wide / 2.0), round(cy - wide / 2.0)
        region = _cut(image, x0, y0, wide)
        crop = np.asarray(cv2.resize(region, (side, side), interpolation=cv2.INTER_AREA))
        # cv2.resize maps pixel centres: x_crop + 0.5 = (x_image - x0 + 0.5) * side / wide.
        ratio = side / wide
        shift = 0.5 * ratio - 0.5
        matrix = np.array(
            [[ratio, 0.0, shift - ratio * x0], [0.0, ratio, shift - ratio * y0]], dtype=np.float64
        )
    return np.ascontiguousarray(crop), matrix


def _cut(image: Image, x0: int, y0: int, side: int) -> Image:
    """The ``side`` x ``side`` window at ``(x0, y0)``, mirrored where it leaves the image."""
    height, width = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x0 + side <= width and y0 + side <= height:
        return np.ascontiguousarray(image[y0 : y0 + side, x0 : x0 + side])
    # A whole-pixel shift with nearest sampling copies pixels exactly, mirrored at the border.
    matrix = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0]], dtype=np.float64)
    cut = cv2.warpAffine(
        image, matrix, (side, side), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101
    )
    return np.ascontiguousarray(cut)
