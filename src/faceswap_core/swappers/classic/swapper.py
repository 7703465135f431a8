"""The ``classic`` swapper: a landmark-driven face transplant with no learned weights.

It is the default every new user sees first, so it aims for a believable
result from geometry and colour alone:

1. the source face is cut into Delaunay triangles over its 68 landmarks (plus
   a lifted brow line for the forehead and fixed crop-border anchors) and each
   triangle is moved affinely onto the target's landmarks (:mod:`.warp`);
2. the warped face takes the target's skin colour: LAB mean and spread over
   the face region (:mod:`.color`);
3. it is blended in with a feathered alpha (default) or Poisson cloning, and
   the returned mask is the jaw-and-forehead hull with a soft edge that stops
   short of the brows, eyes, nose and mouth (:func:`.masks.feathered`).
   Feathering is the default because Poisson cloning pulls whatever lies on
   the seam (brows, hair, shadow) into the face as a glare; the LAB transfer
   already matches the skin tone.

Detail: every face is worked on at its own resolution (the ``native``
alignment cuts it out of the image without resampling, and the pipeline pastes
it back the same way), so the source face is resampled exactly once, by the
warp, from a Lanczos-enlarged copy made when the source is prepared
(:class:`.warp.Texture`). Nothing smooths the texture itself: colour transfer
and mirror fill change the shading and keep the detail's contrast, and the
inner face is pasted whole rather than half-mixed with the target's. On the
sample pairs the swapped face keeps 0.62 to 3.6 of the lesser input's
sharpness (variance of the Laplacian over the inner face), where 256 px
bilinear crops kept 0.13 to 1.2 (issue 19; ``python -m
faceswap_core.tools.sharpness``).

Forehead: only as much forehead as is skin on both faces is pasted
(:func:`.masks.skin_lift`), so bangs are neither pasted nor covered.
Turned sources: the hidden half is filled from the mirrored visible half
(:mod:`.symmetry`).

Mouth: with ``keep_target_mouth`` (the default) the target's inner mouth
(points 60-67, grown by a few pixels) is always kept from the target crop.
Whatever the two mouths do, this is right: an open source mouth squeezed into
a closed target mouth would leave a dark line of teeth and tongue across the
lips, and a closed source mouth stretched over an open target mouth would
smear lip texture over the target's teeth. The target's own mouth interior
matches its expression and lighting in both cases.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import cv2
import numpy as np

from faceswap_core.errors import FaceswapError, InvalidImageError
from faceswap_core.interfaces import SwapOutput
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.io.provenance import CAPTURE_COMPOSITE
from faceswap_core.swappers.classic import masks, shape, symmetry
from faceswap_core.swappers.classic.color import (
    ColorStats,
    region_stats,
    shading,
    to_lab,
    to_uint8,
    transfer,
)
from faceswap_core.swappers.classic.warp import (
    Box,
    IntArray,
    Texture,
    border_points,
    remap_fields,
    sample,
    texture,
    triangulate,
)
from faceswap_core.swappers.configs import CROP_SIZE_MIN, ClassicConfig
from faceswap_core.vision.align import NATIVE

NUM_LANDMARKS = 68

# Mouth hole sizes as fractions of the inter-ocular distance.
MOUTH_GROW = 0.04
MOUTH_SOFTEN = 0.06
# Width of the seam between a turned source's own half and its mirrored half,
# as a fraction of the inter-ocular distance.
MIRROR_SEAM = 0.12
# The mesh always reaches this far up the forehead (fraction of brow-to-chin);
# how much of it is pasted is decided per face pair (see :func:`.masks.skin_lift`).
MESH_FOREHEAD = 0.3
# Pixel sizes in the config (``feather``) are for a face whose eyes are this many
# pixels apart (a face on the ``classic`` template at 256 px); the swapper works on
# each face at its own resolution and scales them by the face's eye distance.
REFERENCE_EYES = 50.0
# Shading and detail part at a Gaussian of this fraction of the eye distance: colour
# transfer and mirror fill blend the shading and keep the detail's contrast.
DETAIL_SIGMA = 0.1
# The face mask's ramp is never narrower than this fraction of the eye distance.
LEAST_RAMP = 0.25
# Masks and colour statistics are worked out on every n-th pixel of a face, so at
# most this many pixels between the eyes (see ClassicSwapper._face_masks).
ANALYSIS_EYES = 64.0
# Warp fields are computed every ``eye distance // FIELD_STEP_EYES`` pixels and
# enlarged (exact inside each triangle), so a large face costs about what a small one does.
FIELD_STEP_EYES = 40.0


def _field_step(landmarks: FloatArray) -> int:
    return max(1, int(masks.face_scale(landmarks) // FIELD_STEP_EYES))


@attrs.frozen(eq=False)
class FaceMasks:
    """Where a source face goes on one target crop, at the crop's size.

    :ivar region: the hard face region (0 or 1).
    :ivar mask: the soft paste mask (0 to 1): 0 outside ``region`` and on ``keep``.
    :ivar keep: the target's own mouth interior (0 or 1), or ``None`` when not kept.
    :ivar goal: the target face's colour statistics, or ``None`` (no colour transfer).
    """

    region: FloatArray
    mask: FloatArray
    keep: FloatArray | None
    goal: ColorStats | None


@attrs.frozen(eq=False)
class MirroredSource:
    """The flipped source used for the hidden half of a turned face (see :mod:`.symmetry`).

    :ivar crop: the source crop flipped left-right.
    :ivar texture: ``crop`` made ready for warping (see :class:`.warp.Texture`).
    :ivar points: its mesh vertices, renumbered to keep each landmark's meaning.
    :ivar triangles: Delaunay triangles over ``points``.
    :ivar hidden_side: -1 when the half holding jaw point 0 is hidden, +1 for point 16's.
    :ivar strength: how much of the hidden half the mirror replaces (0 to 1).
    """

    crop: Image
    texture: Texture
    points: FloatArray
    triangles: IntArray
    hidden_side: int
    strength: float


@attrs.frozen(eq=False)
class ClassicSource:
    """Everything about one source face that does not depend on the target.

    :ivar crop: the aligned source crop.
    :ivar texture: ``crop`` made ready for warping (see :class:`.warp.Texture`).
    :ivar landmarks: its 68 landmarks in crop pixels.
    :ivar points: the mesh vertices (landmarks, lifted brows, border anchors).
    :ivar triangles: Delaunay triangles over ``points`` (indices, ``T x 3``).
    :ivar color: LAB statistics of the source face region (mouth interior excluded).
    :ivar mouth_opening: inner-lip gap over mouth width (see :func:`.masks.mouth_opening`).
    :ivar forehead: how much forehead above the brows is skin, at most ``config.forehead``.
    :ivar mirror: the flipped face for a turned source, ``None`` for a near-frontal one.
    """

    crop: Image
    texture: Texture
    landmarks: FloatArray
    points: FloatArray
    triangles: IntArray
    color: ColorStats
    mouth_opening: float
    forehead: float
    mirror: MirroredSource | None = None


class ClassicSwapper:
    """Warp, recolour and blend the source face onto each target face.

    :param config: see :class:`~faceswap_core.swappers.configs.ClassicConfig`.
    """

    template = NATIVE
    recognizer: str | None = None
    needs_landmarks = True
    digital_source_type = CAPTURE_COMPOSITE  # moves source pixels; generates none
    model_path: str | None = None  # no learned weights

    def __init__(self, config: ClassicConfig | None = None) -> None:
        self.config = config if config is not None else ClassicConfig()
        self.crop_size = self.config.crop_size  # the largest side; each crop fits its face

    # -- validation ----------------------------------------------------------

    def _check_crop(self, crop: Any, role: str) -> Image:
        largest = self.crop_size
        if not isinstance(crop, np.ndarray):
            raise InvalidImageError(
                f"classic swapper {role} crop must be a numpy array, got {type(crop).__name__}; "
                "pass the aligned square RGB uint8 crop"
            )
        side = crop.shape[0] if crop.ndim == 3 else 0
        if (
            crop.dtype != np.uint8
            or crop.shape != (side, side, 3)
            or not CROP_SIZE_MIN <= side <= largest
        ):
            raise InvalidImageError(
                f"classic swapper {role} crop must be uint8 of shape (S, S, 3) with S in "
                f"{CROP_SIZE_MIN}..{largest}, got {crop.dtype} {crop.shape}; "
                f"align it with template {NATIVE!r} at crop_size {largest}"
            )
        return np.ascontiguousarray(crop)

    @staticmethod
    def _check_landmarks(face: Face, role: str) -> FloatArray:
        landmarks = face.landmarks
        if landmarks is None or landmarks.shape != (NUM_LANDMARKS, 2):
            got = "none" if landmarks is None else f"{len(landmarks)} points"
            raise FaceswapError(
                f"classic swapper needs 68-point landmarks on the {role} face (got {got}); "
                "configure a landmarker (dlib68)"
            )
        if not np.isfinite(landmarks).all():
            raise FaceswapError(
                f"classic swapper got non-finite landmarks on the {role} face; "
                "check the landmarker output (dlib68)"
            )
        return np.asarray(landmarks, dtype=np.float32)

    # -- geometry ------------------------------------------------------------

    @staticmethod
    def _mesh_points(landmarks: FloatArray, size: int) -> FloatArray:
        lifted = masks.forehead_points(landmarks, MESH_FOREHEAD)
        return np.vstack([landmarks, lifted, border_points(size)]).astype(np.float32)

    def _pixels(self, value: int, landmarks: FloatArray) -> int:
        """A config size in pixels (see :data:`REFERENCE_EYES`) for this face; 0 stays 0."""
        if value <= 0:
            return 0
        return max(1, round(value * masks.face_scale(landmarks) / REFERENCE_EYES))

    @staticmethod
    def _mouth_hole(
        size: int, landmarks: FloatArray, *, soft: bool = True
    ) -> tuple[FloatArray, FloatArray]:
        """The hard mouth region to keep and its softened version for the mask."""
        scale = masks.face_scale(landmarks)
        hard = masks.mouth_region(size, landmarks, max(1, round(MOUTH_GROW * scale)))
        if not soft:
            return hard, hard
        return hard, masks.soft_hole(hard, max(1, round(MOUTH_SOFTEN * scale)))

    @staticmethod
    def _stats_region(
        size: int, landmarks: FloatArray, lift: float, region: FloatArray | None = None
    ) -> FloatArray:
        """The face region without the mouth interior (``region``: the face region, if made)."""
        region = masks.face_region(size, landmarks, lift) if region is None else region.copy()
        mouth = masks.mouth_region(size, landmarks, 0)
        region[mouth > 0] = 0
        return region

    # -- Swapper protocol ----------------------------------------------------

    def prepare_source(self, crop: Image, face: Face) -> ClassicSource:
        """Triangulate the source mesh and measure its colour once per source."""
        image = self._check_crop(crop, "source")
        landmarks = self._check_landmarks(face, "source")
        size = image.shape[0]
        points = self._mesh_points(landmarks, size)
        lab = to_lab(image)
        lift = masks.skin_lift(lab, landmarks, self.config.forehead)
        region = self._stats_region(size, landmarks, lift)
        if not region.any():
            raise FaceswapError(
                "classic swapper: the source face lies outside its crop; "
                "align the source with template 'classic' before preparing it"
            )
        return ClassicSource(
            crop=image.copy(),
            texture=texture(image),
            landmarks=landmarks.copy(),
            points=points,
            triangles=triangulate(points),
            color=region_stats(lab, region),
            mouth_opening=masks.mouth_opening(landmarks),
            forehead=lift,
            mirror=self._mirror(image, landmarks),
        )

    def _mirror(self, image: Image, landmarks: FloatArray) -> MirroredSource | None:
        turn = symmetry.yaw(landmarks)
        amount = symmetry.strength(turn)
        if amount <= 0.0:
            return None
        flipped, flipped_landmarks = symmetry.mirror(image, landmarks)
        points = self._mesh_points(flipped_landmarks, flipped.shape[0])
        return MirroredSource(
            crop=flipped,
            texture=texture(flipped),
            points=points,
            triangles=triangulate(points),
            hidden_side=-1 if turn < 0 else 1,
            strength=amount,
        )

    def _warp_source(
        self, source: ClassicSource, size: int, landmarks: FloatArray, box: Box
    ) -> Image:
        """The source face on the target geometry inside ``box``, mirror-filled when turned."""
        target_points = self._mesh_points(landmarks, size)
        step = _field_step(landmarks)
        warped = sample(
            source.texture,
            remap_fields(source.points, target_points, source.triangles, box, step),
        )
        mirrored = source.mirror
        if mirrored is None:
            return warped
        fields = remap_fields(mirrored.points, target_points, mirrored.triangles, box, step)
        flipped = sample(mirrored.texture, fields)
        eyes = masks.face_scale(landmarks)
        seam = max(1.0, MIRROR_SEAM * eyes)
        x, y, w, h = box
        weight = symmetry.hidden_weight(size, landmarks, mirrored.hidden_side, seam)
        alpha = np.ascontiguousarray(weight[y : y + h, x : x + w]) * np.float32(mirrored.strength)
        # Shading is blended; detail is taken from one face or the other (switching
        # over a narrow band), since averaging two textures that never quite align blurs.
        own, other = warped.astype(np.float32), flipped.astype(np.float32)
        sigma = max(DETAIL_SIGMA * eyes, 0.5)
        own_base, other_base = shading(own, sigma), shading(other, sigma)
        pick = cv2.min(cv2.max(alpha * np.float32(4.0) - np.float32(1.5), 0.0), 1.0)
        bases = cv2.blendLinear(other_base, own_base, alpha, 1.0 - alpha)
        details = cv2.blendLinear(
            cv2.subtract(other, other_base), cv2.subtract(own, own_base), pick, 1.0 - pick
        )
        return to_uint8(cv2.add(bases, details))

    def swap(self, crop: Image, face: Face, source: Any) -> SwapOutput:
        """Swap the prepared source face into ``crop``; only pixels under the mask change."""
        target = self._check_crop(crop, "target")
        landmarks = self._check_landmarks(face, "target")
        if not isinstance(source, ClassicSource):
            raise FaceswapError(
                "classic swapper got a source it did not prepare; "
                "call prepare_source() of a classic swapper first"
            )
        amount = self.config.shape_transfer * shape.pose_weight(source.landmarks, landmarks)
        if amount <= 0.0:
            return self._paste_face(target, landmarks, source)
        # Bend the target to the source's face shape first (see :mod:`.shape`).
        new_landmarks = shape.blended_shape(source.landmarks, landmarks, amount)
        size = target.shape[0]
        anchors = shape.ring(landmarks, self.config.morph_margin, size)
        # The morph's displacement is small and smooth: a coarser field grid is enough.
        morphed = shape.morph(target, landmarks, new_landmarks, anchors, 2 * _field_step(landmarks))
        pasted = self._paste_face(morphed, new_landmarks, source)
        assert pasted.mask is not None
        # Two layers: the face is feathered onto the morphed target here, and
        # the pipeline feathers the morphed ring onto the original frame.
        face_on_morphed = _alpha_blend(morphed, pasted.image, pasted.mask)
        bent = shape.ring_mask(anchors, size, self._pixels(self.config.feather, landmarks))
        mask = np.asarray(cv2.max(pasted.mask, bent), np.float32)
        cv2.copyTo(target, np.less_equal(mask, 0.0).view(np.uint8), face_on_morphed)
        return SwapOutput(image=face_on_morphed, mask=mask)

    def _face_lab(self, image: Image, landmarks: FloatArray) -> FloatArray:
        """LAB of ``image`` over the box the face region can reach; zero elsewhere (never read).

        The forehead band (:func:`.masks.skin_lift`), the face region and the
        colour statistics all lie inside the outline at the highest forehead.
        """
        size = image.shape[0]
        reach = masks.outline(landmarks, self.config.forehead)
        x0, y0 = (max(int(v) - 1, 0) for v in np.floor(reach.min(axis=0)))
        x1, y1 = (min(int(v) + 2, size) for v in np.ceil(reach.max(axis=0)))
        lab = np.zeros((size, size, 3), np.float32)
        if x1 > x0 and y1 > y0:
            lab[y0:y1, x0:x1] = to_lab(image[y0:y1, x0:x1])
        return lab

    def _face_masks(self, target: Image, landmarks: FloatArray, source: ClassicSource) -> FaceMasks:
        """Where the source face goes on ``target``: regions, soft mask and the target's colour.

        They are worked out on every ``step``-th pixel of a face over
        :data:`ANALYSIS_EYES` px between the eyes: the soft mask is smooth and
        the colour statistics are averages, so they lose nothing, and a large
        face costs what a small one does. The hard face region and the kept
        mouth are then drawn at full size, and the mask is cut to them exactly.
        """
        size = target.shape[0]
        cfg = self.config
        step = max(1, math.ceil(masks.face_scale(landmarks) / ANALYSIS_EYES))
        if step > 1:  # grid pixel i is crop pixel i * step
            image = np.ascontiguousarray(target[::step, ::step])
            points = (landmarks / np.float32(step)).astype(np.float32)
        else:
            image, points = target, landmarks
        small = image.shape[0]
        lab = self._face_lab(image, points)
        lift = min(source.forehead, masks.skin_lift(lab, points, cfg.forehead))
        region = masks.face_region(small, points, lift)
        mask = masks.feathered(
            region,
            masks.inner_region(small, points),
            width=2 * self._pixels(cfg.feather, points),
            least=max(1.0, LEAST_RAMP * masks.face_scale(points)),
        )
        keep: FloatArray | None = None
        if cfg.keep_target_mouth:
            keep, hole = self._mouth_hole(small, points)
            cv2.multiply(mask, cv2.addWeighted(hole, -1.0, hole, 0.0, 1.0), dst=mask)
        goal: ColorStats | None = None
        if cfg.color_transfer:
            x, y, w, h = cv2.boundingRect(region.astype(np.uint8))
            stats = self._stats_region(small, points, lift, region)[y : y + h, x : x + w]
            if stats.any():
                goal = region_stats(lab[y : y + h, x : x + w], stats)
        if step > 1:
            region = masks.face_region(size, landmarks, lift)
            # Crop pixel x reads grid position x / step (linear between grid pixels);
            # only the region's box can be non-zero.
            x, y, w, h = cv2.boundingRect(region.astype(np.uint8))
            enlarge = np.array([[step, 0.0, -x], [0.0, step, -y]], np.float64)
            window = cv2.warpAffine(mask, enlarge, (w, h), flags=cv2.INTER_LINEAR)
            mask = np.zeros((size, size), np.float32)
            mask[y : y + h, x : x + w] = cv2.multiply(window, region[y : y + h, x : x + w])
            if keep is not None:
                keep = self._mouth_hole(size, landmarks, soft=False)[0]
                cv2.multiply(mask, cv2.addWeighted(keep, -1.0, keep, 0.0, 1.0), dst=mask)
        return FaceMasks(region=region, mask=mask, keep=keep, goal=goal)

    def _paste_face(
        self, target: Image, landmarks: FloatArray, source: ClassicSource
    ) -> SwapOutput:
        """Warp, recolour and blend the source texture onto ``target``'s landmarks."""
        size = target.shape[0]
        where = self._face_masks(target, landmarks, source)
        if not where.mask.any():  # the face left the crop: nothing to paste
            return SwapOutput(image=target.copy(), mask=np.zeros((size, size), np.float32))

        # Everything that reads the warped face (mask, colour region, clone
        # region) lies inside the hard face region, so only its box is warped.
        x, y, w, h = (int(v) for v in cv2.boundingRect(where.region.astype(np.uint8)))
        box: Box = (x, y, w, h)
        inside = (slice(y, y + h), slice(x, x + w))
        face_pixels = self._warp_source(source, size, landmarks, box)
        if where.goal is not None:
            detail = max(DETAIL_SIGMA * masks.face_scale(landmarks), 0.5)
            face_pixels = transfer(face_pixels, source.color, where.goal, detail=detail)
        out = target.copy()
        if self.config.blend == "poisson":
            warped = target.copy()
            warped[inside] = face_pixels
            keep = where.keep
            clone = where.region if keep is None else where.region * (1 - keep)
            face_pixels = np.ascontiguousarray(_poisson(warped, target, clone)[inside])
        # The soft mask is applied once, by whoever pastes the crop (the
        # pipeline's paste-back); here the face replaces the crop wherever the
        # mask is above 0 (all inside the box), and everything else stays byte-identical.
        cv2.copyTo(face_pixels, np.greater(where.mask[inside], 0.0).view(np.uint8), out[inside])
        return SwapOutput(image=out, mask=where.mask)


def _alpha_blend(base: Image, top: Image, alpha: FloatArray) -> Image:
    """``top`` over ``base`` with a per-pixel ``alpha`` in [0, 1].

    Only the bounding box of ``alpha > 0`` is computed; elsewhere the result is ``base``.
    """
    out: Image = base.copy()
    x, y, w, h = cv2.boundingRect(np.greater(alpha, 0.0).view(np.uint8))
    if w == 0 or h == 0:
        return out
    weight = np.ascontiguousarray(alpha[y : y + h, x : x + w])
    lower = np.ascontiguousarray(base[y : y + h, x : x + w])
    upper = np.ascontiguousarray(top[y : y + h, x : x + w])
    out[y : y + h, x : x + w] = cv2.blendLinear(upper, lower, weight, 1.0 - weight)
    return out


def _poisson(warped: Image, target: Image, region: FloatArray) -> Image:
    """Seamless-clone ``warped`` into ``target`` over ``region`` at the same place.

    OpenCV pastes the mask's bounding box centred on the given point, so the
    centre of that box keeps the face where it is; the region never touches
    the crop border (see :func:`.masks.face_region`), which seamlessClone needs.
    """
    hard = (region > 0.5).astype(np.uint8) * 255
    if not hard.any():
        return warped
    x, y, w, h = cv2.boundingRect(hard)
    center = (x + w // 2, y + h // 2)
    cloned = cv2.seamlessClone(warped, target, hard, center, cv2.NORMAL_CLONE)
    return np.asarray(cloned, dtype=np.uint8)
