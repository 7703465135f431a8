"""Piecewise-affine warping over a triangle mesh (the geometry half of the classic swap).

A mesh is triangulated once on the source points; the same triangles laid on
the target points give one affine map per triangle. Rather than warping each
triangle separately, every target pixel looks up which triangle covers it and
the per-triangle affines become one dense ``cv2.remap`` field, which keeps the
cost to a single resampling pass of the crop.
"""

from __future__ import annotations

import attrs
import cv2
import numpy as np
import numpy.typing as npt

from faceswap_core.interfaces.face import FloatArray, Image

IntArray = npt.NDArray[np.int32]

# fillConvexPoly takes fixed-point vertices; 4 fractional bits keep sub-pixel edges.
_SHIFT = 4


def border_points(size: int) -> FloatArray:
    """Eight anchors on the crop border (corners and edge midpoints) that never move.

    They extend the mesh to the whole crop so every pixel has a triangle.
    """
    last = float(size - 1)
    mid = last / 2.0
    return np.array(
        [[0, 0], [mid, 0], [last, 0], [last, mid], [last, last], [mid, last], [0, last], [0, mid]],
        dtype=np.float32,
    )


def triangulate(points: FloatArray) -> IntArray:
    """Delaunay triangles over ``points`` as a ``T x 3`` array of point indices.

    Qhull is deterministic for the same input, so the same source always gets
    the same mesh.
    """
    from scipy.spatial import Delaunay

    pts = np.asarray(points, dtype=np.float64)
    # QJ would jitter the input randomly; Qbb/Qc/Qz are qhull's deterministic defaults.
    simplices = Delaunay(pts, qhull_options="Qbb Qc Qz Q12").simplices
    return np.ascontiguousarray(simplices, dtype=np.int32)


def _affines(src: FloatArray, dst: FloatArray, triangles: IntArray) -> npt.NDArray[np.float64]:
    """For each triangle the 3 x 2 matrix ``C`` with ``[x, y, 1] @ C`` = source point."""
    dst_tri = dst[triangles].astype(np.float64)  # T x 3 x 2
    src_tri = src[triangles].astype(np.float64)
    lhs = np.concatenate([dst_tri, np.ones((len(triangles), 3, 1))], axis=2)  # T x 3 x 3
    det = np.linalg.det(lhs)
    ok = np.abs(det) > 1e-6
    coeffs = np.zeros((len(triangles), 3, 2), dtype=np.float64)
    coeffs[:, 0, 0] = 1.0  # degenerate target triangles fall back to the identity
    coeffs[:, 1, 1] = 1.0
    if ok.any():
        coeffs[ok] = np.linalg.solve(lhs[ok], src_tri[ok])
    return coeffs


Box = tuple[int, int, int, int]
"""A pixel rectangle ``(x, y, width, height)`` inside the crop."""


def remap_fields(
    src: FloatArray, dst: FloatArray, triangles: IntArray, box: Box, step: int = 1
) -> tuple[FloatArray, FloatArray]:
    """The ``cv2.remap`` fields that move ``src`` geometry onto ``dst``, for pixels in ``box``.

    Each target pixel is labelled with the triangle covering it (later triangles
    win on shared edges, which is harmless because neighbouring affines agree
    there); pixels no triangle covers keep their own position. Only ``box`` is
    computed: the caller knows where the face is and the rest is never used.

    With ``step`` > 1 the fields are computed every ``step`` pixels and
    enlarged linearly, which is exact inside each triangle (the map is affine
    there) and continuous across its edges; a large face costs no more than a
    small one.
    """
    x0, y0, width, height = box
    coeffs = _affines(src, dst, triangles)
    identity = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
    coeffs = np.concatenate([coeffs, identity], axis=0).astype(np.float32)
    step = max(1, int(step))
    cols, rows = -(-width // step), -(-height // step)
    # Grid pixel (i, j) sits at box pixel (i * step + half, j * step + half).
    half = (step - 1) / 2.0
    # Labels index the coefficient table; a mesh of under 256 triangles (every mesh the
    # classic swapper makes) gets 8-bit labels and OpenCV's table lookup.
    small = len(coeffs) <= 256
    labels = np.full((rows, cols), len(triangles), dtype=np.uint8 if small else np.int32)
    shifted = (np.asarray(dst, dtype=np.float64) - np.array([x0 + half, y0 + half])) / step
    fixed = np.round(shifted * (1 << _SHIFT)).astype(np.int32)
    for index, triangle in enumerate(triangles):
        cv2.fillConvexPoly(labels, fixed[triangle], int(index), cv2.LINE_8, _SHIFT)
    table = np.zeros((max(len(coeffs), 256), 6), np.float32)
    table[: len(coeffs)] = coeffs.reshape(len(coeffs), 6)
    # Each pixel's six coefficients, as planes.
    if small:
        planes = [cv2.LUT(labels, np.ascontiguousarray(table[:, k])) for k in range(6)]
    else:
        planes = list(np.ascontiguousarray(table.T)[:, labels])
    xs = np.tile(x0 + half + step * np.arange(cols, dtype=np.float32), (rows, 1))
    ys = np.tile((y0 + half + step * np.arange(rows, dtype=np.float32))[:, None], (1, cols))
    map_x = cv2.add(cv2.add(cv2.multiply(planes[0], xs), cv2.multiply(planes[2], ys)), planes[4])
    map_y = cv2.add(cv2.add(cv2.multiply(planes[1], xs), cv2.multiply(planes[3], ys)), planes[5])
    if step == 1:
        return np.asarray(map_x, np.float32), np.asarray(map_y, np.float32)
    # Enlarging by exactly ``step`` puts grid pixel i back on box pixel i * step + half.
    size = (cols * step, rows * step)
    fine_x = cv2.resize(map_x, size, interpolation=cv2.INTER_LINEAR)[:height, :width]
    fine_y = cv2.resize(map_y, size, interpolation=cv2.INTER_LINEAR)[:height, :width]
    return np.ascontiguousarray(fine_x), np.ascontiguousarray(fine_y)


def warp(image: Image, fields: tuple[FloatArray, FloatArray]) -> Image:
    """Resample ``image`` through remap fields (bilinear, reflected border)."""
    map_x, map_y = fields
    # Four channels take OpenCV's vector path (2-3x faster than three, same pixels).
    padded = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2RGBA)
    out = cv2.remap(
        padded, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    return np.asarray(cv2.cvtColor(out, cv2.COLOR_RGBA2RGB), dtype=np.uint8)


TEXTURE_FACTOR = 3
"""How many times a :class:`Texture` is enlarged (with Lanczos) before it is warped."""

TEXTURE_MAX_SIDE = 2048
"""The largest side of an enlarged texture (a large source is enlarged less)."""


@attrs.frozen(eq=False)
class Texture:
    """An image made ready to be warped many times with little loss of detail.

    Bilinear sampling is a low-pass filter at the image's own resolution, and a
    Lanczos remap costs 64 taps a pixel on every frame. Enlarging the image once
    with Lanczos (separable, so cheap) and sampling that bilinearly keeps almost
    all of Lanczos's detail at bilinear's price: on insightface's Tom Hanks
    enlarged 1.22x and turned, the inner face's Laplacian variance is 460
    bilinear, 756 bicubic, 854 Lanczos and 765 this way (factor 3), of 1772.
    The enlarged image stays 8-bit: 16 bits measured no sharper and doubled the
    memory each frame's warp reads.

    :ivar pixels: the enlarged image, RGBA ``uint8`` (OpenCV's vector path for remap).
    :ivar factor: how many times it was enlarged.
    """

    pixels: Image
    factor: int


def texture(image: Image, factor: int = TEXTURE_FACTOR) -> Texture:
    """``image`` enlarged ``factor`` times with Lanczos (less if that would pass the cap)."""
    side = max(image.shape[:2])
    factor = max(1, min(factor, TEXTURE_MAX_SIDE // max(side, 1)))
    rgba = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2RGBA)
    if factor > 1:
        rgba = cv2.resize(rgba, None, fx=factor, fy=factor, interpolation=cv2.INTER_LANCZOS4)
    return Texture(np.ascontiguousarray(rgba, dtype=np.uint8), factor)


def sample(source: Texture, fields: tuple[FloatArray, FloatArray]) -> Image:
    """Warp the image behind ``source`` through remap fields given in its own pixels."""
    map_x, map_y = fields
    factor = source.factor
    if factor > 1:
        # Pixel centres: x in the image is x * factor + (factor - 1) / 2 in the enlarged one.
        offset = np.float32((factor - 1) / 2.0)
        map_x = map_x * np.float32(factor) + offset
        map_y = map_y * np.float32(factor) + offset
    out = cv2.remap(
        source.pixels, map_x, map_y, interpolation=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT_101,
    )  # fmt: skip
    return np.asarray(cv2.cvtColor(out, cv2.COLOR_RGBA2RGB), dtype=np.uint8)
