"""The ``classic`` swapper: a landmark-driven face transplant with no learned weights.

It is the default every new user sees first, so it aims for a believable
result from geometry and colour alone:

1. the source face is cut into Delaunay triangles over its 68 landmarks (plus
   a lifted brow line for the forehead and fixed crop-border anchors) and each
   triangle is moved affinely onto the target's landmarks (:mod:`.warp`);
2. the warped face takes the target's skin colour: LAB mean and spread over
   the face region (:mod:`.color`);
3. it is blended in with a feathered alpha (default) or Poisson cloning, and
   the returned mask is the jaw-and-forehead hull, eroded and blurred
   (:mod:`.masks`). Feathering is the default because Poisson cloning pulls
   whatever lies on the seam (brows, hair, shadow) into the face as a glare;
   the LAB transfer already matches the skin tone.

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

from typing import Any

import attrs
import cv2
import numpy as np

from faceswap_core.errors import FaceswapError, InvalidImageError
from faceswap_core.interfaces import SwapOutput
from faceswap_core.interfaces.face import Face, FloatArray, Image
from faceswap_core.io.provenance import CAPTURE_COMPOSITE
from faceswap_core.swappers.classic import masks, shape, symmetry
from faceswap_core.swappers.classic.color import ColorStats, region_stats, to_lab, transfer
from faceswap_core.swappers.classic.warp import (
    Box,
    IntArray,
    border_points,
    remap_fields,
    triangulate,
    warp,
)
from faceswap_core.swappers.configs import ClassicConfig

NUM_LANDMARKS = 68

# Mouth hole sizes as fractions of the inter-ocular distance (about 50 px at 256).
MOUTH_GROW = 0.04
MOUTH_SOFTEN = 0.06
# Width of the seam between a turned source's own half and its mirrored half,
# as a fraction of the inter-ocular distance.
MIRROR_SEAM = 0.12
# The mesh always reaches this far up the forehead (fraction of brow-to-chin);
# how much of it is pasted is decided per face pair (see :func:`.masks.skin_lift`).
MESH_FOREHEAD = 0.3


@attrs.frozen(eq=False)
class MirroredSource:
    """The flipped source used for the hidden half of a turned face (see :mod:`.symmetry`).

    :ivar crop: the source crop flipped left-right.
    :ivar points: its mesh vertices, renumbered to keep each landmark's meaning.
    :ivar triangles: Delaunay triangles over ``points``.
    :ivar hidden_side: -1 when the half holding jaw point 0 is hidden, +1 for point 16's.
    :ivar strength: how much of the hidden half the mirror replaces (0 to 1).
    """

    crop: Image
    points: FloatArray
    triangles: IntArray
    hidden_side: int
    strength: float


@attrs.frozen(eq=False)
class ClassicSource:
    """Everything about one source face that does not depend on the target.

    :ivar crop: the aligned source crop.
    :ivar landmarks: its 68 landmarks in crop pixels.
    :ivar points: the mesh vertices (landmarks, lifted brows, border anchors).
    :ivar triangles: Delaunay triangles over ``points`` (indices, ``T x 3``).
    :ivar color: LAB statistics of the source face region (mouth interior excluded).
    :ivar mouth_opening: inner-lip gap over mouth width (see :func:`.masks.mouth_opening`).
    :ivar forehead: how much forehead above the brows is skin, at most ``config.forehead``.
    :ivar mirror: the flipped face for a turned source, ``None`` for a near-frontal one.
    """

    crop: Image
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

    template = "classic"
    recognizer: str | None = None
    needs_landmarks = True
    digital_source_type = CAPTURE_COMPOSITE  # moves source pixels; generates none
    model_path: str | None = None  # no learned weights

    def __init__(self, config: ClassicConfig | None = None) -> None:
        self.config = config if config is not None else ClassicConfig()
        self.crop_size = self.config.crop_size

    # -- validation ----------------------------------------------------------

    def _check_crop(self, crop: Any, role: str) -> Image:
        size = self.crop_size
        if not isinstance(crop, np.ndarray):
            raise InvalidImageError(
                f"classic swapper {role} crop must be a numpy array, got {type(crop).__name__}; "
                f"pass the aligned {size}x{size} RGB uint8 crop"
            )
        if crop.dtype != np.uint8 or crop.shape != (size, size, 3):
            raise InvalidImageError(
                f"classic swapper {role} crop must be uint8 of shape ({size}, {size}, 3), "
                f"got {crop.dtype} {crop.shape}; "
                f"align it with template 'classic' at crop_size {size}"
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

    def _mesh_points(self, landmarks: FloatArray) -> FloatArray:
        lifted = masks.forehead_points(landmarks, MESH_FOREHEAD)
        return np.vstack([landmarks, lifted, border_points(self.crop_size)]).astype(np.float32)

    def _mouth_hole(self, landmarks: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The hard mouth region to keep and its softened version for the mask."""
        scale = masks.face_scale(landmarks)
        hard = masks.mouth_region(self.crop_size, landmarks, max(1, round(MOUTH_GROW * scale)))
        soft = masks.soft_hole(hard, max(1, round(MOUTH_SOFTEN * scale)))
        return hard, soft

    def _stats_region(self, landmarks: FloatArray, lift: float) -> FloatArray:
        region = masks.face_region(self.crop_size, landmarks, lift)
        mouth = masks.mouth_region(self.crop_size, landmarks, 0)
        region[mouth > 0] = 0
        return region

    # -- Swapper protocol ----------------------------------------------------

    def prepare_source(self, crop: Image, face: Face) -> ClassicSource:
        """Triangulate the source mesh and measure its colour once per source."""
        image = self._check_crop(crop, "source")
        landmarks = self._check_landmarks(face, "source")
        points = self._mesh_points(landmarks)
        lab = to_lab(image)
        lift = masks.skin_lift(lab, landmarks, self.config.forehead)
        region = self._stats_region(landmarks, lift)
        if not region.any():
            raise FaceswapError(
                "classic swapper: the source face lies outside its crop; "
                "align the source with template 'classic' before preparing it"
            )
        return ClassicSource(
            crop=image.copy(),
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
        points = self._mesh_points(flipped_landmarks)
        return MirroredSource(
            crop=flipped,
            points=points,
            triangles=triangulate(points),
            hidden_side=-1 if turn < 0 else 1,
            strength=amount,
        )

    def _warp_source(self, source: ClassicSource, landmarks: FloatArray, box: Box) -> Image:
        """The source face on the target geometry inside ``box``, mirror-filled when turned."""
        target_points = self._mesh_points(landmarks)
        warped = warp(
            source.crop, remap_fields(source.points, target_points, source.triangles, box)
        )
        mirrored = source.mirror
        if mirrored is None:
            return warped
        fields = remap_fields(mirrored.points, target_points, mirrored.triangles, box)
        flipped = warp(mirrored.crop, fields)
        seam = max(1.0, MIRROR_SEAM * masks.face_scale(landmarks))
        x, y, w, h = box
        weight = symmetry.hidden_weight(self.crop_size, landmarks, mirrored.hidden_side, seam)
        alpha = (weight[y : y + h, x : x + w] * np.float32(mirrored.strength))[..., None]
        mixed = warped.astype(np.float32) * (1.0 - alpha) + flipped.astype(np.float32) * alpha
        out: Image = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
        return out

    def swap(self, crop: Image, face: Face, source: Any) -> SwapOutput:
        """Swap the prepared source face into ``crop``; only pixels under the mask change."""
        target = self._check_crop(crop, "target")
        landmarks = self._check_landmarks(face, "target")
        if not isinstance(source, ClassicSource) or source.crop.shape != target.shape:
            raise FaceswapError(
                "classic swapper got a source it did not prepare; "
                "call prepare_source() of a swapper with the same crop_size first"
            )
        amount = self.config.shape_transfer * shape.pose_weight(source.landmarks, landmarks)
        if amount <= 0.0:
            return self._paste_face(target, landmarks, source)
        # Bend the target to the source's face shape first (see :mod:`.shape`).
        new_landmarks = shape.blended_shape(source.landmarks, landmarks, amount)
        anchors = shape.ring(landmarks, self.config.morph_margin, self.crop_size)
        morphed = shape.morph(target, landmarks, new_landmarks, anchors)
        pasted = self._paste_face(morphed, new_landmarks, source)
        assert pasted.mask is not None
        # Two layers: the face is feathered onto the morphed target here, and
        # the pipeline feathers the morphed ring onto the original frame.
        face_on_morphed = _alpha_blend(morphed, pasted.image, pasted.mask)
        bent = shape.ring_mask(anchors, self.crop_size, self.config.feather)
        mask = np.maximum(pasted.mask, bent)
        cv2.copyTo(target, (mask <= 0.0).astype(np.uint8), face_on_morphed)
        return SwapOutput(image=face_on_morphed, mask=mask)

    def _paste_face(
        self, target: Image, landmarks: FloatArray, source: ClassicSource
    ) -> SwapOutput:
        """Warp, recolour and blend the source texture onto ``target``'s landmarks."""
        size = self.crop_size
        cfg = self.config
        empty = SwapOutput(image=target.copy(), mask=np.zeros((size, size), np.float32))

        target_lab = to_lab(target)
        lift = min(source.forehead, masks.skin_lift(target_lab, landmarks, cfg.forehead))
        region = masks.face_region(size, landmarks, lift)
        mask = masks.soften(region, cfg.feather)
        keep: FloatArray | None = None
        if cfg.keep_target_mouth:
            keep, hole = self._mouth_hole(landmarks)
            mask *= 1.0 - hole
        if not mask.any():  # the face left the crop: nothing to paste
            return empty

        # Everything that reads the warped face (mask, colour region, clone
        # region) lies inside the hard face region, so only its box is warped.
        x, y, w, h = (int(v) for v in cv2.boundingRect((region > 0).astype(np.uint8)))
        box: Box = (x, y, w, h)
        face_pixels = self._warp_source(source, landmarks, box)
        if cfg.color_transfer:
            stats_region = self._stats_region(landmarks, lift)
            if stats_region.any():
                goal = region_stats(target_lab, stats_region)
                face_pixels = transfer(face_pixels, source.color, goal)
        warped = target.copy()
        warped[y : y + h, x : x + w] = face_pixels

        composite = warped
        if cfg.blend == "poisson":
            composite = _poisson(warped, target, region if keep is None else region * (1 - keep))

        # The soft mask is applied once, by whoever pastes the crop (the
        # pipeline's paste-back); here the face replaces the crop wherever the
        # mask is above 0, and everything else stays byte-identical.
        out = target.copy()
        cv2.copyTo(composite, (mask > 0.0).astype(np.uint8), out)
        return SwapOutput(image=out, mask=mask)


def _alpha_blend(base: Image, top: Image, alpha: FloatArray) -> Image:
    """``top`` over ``base`` with a per-pixel ``alpha`` in [0, 1].

    Only the bounding box of ``alpha > 0`` is computed; elsewhere the result is ``base``.
    """
    out: Image = base.copy()
    x, y, w, h = cv2.boundingRect((alpha > 0).astype(np.uint8))
    if w == 0 or h == 0:
        return out
    weight = alpha[y : y + h, x : x + w, None]
    lower = base[y : y + h, x : x + w].astype(np.float32)
    upper = top[y : y + h, x : x + w].astype(np.float32)
    mixed = lower * (1.0 - weight) + upper * weight
    out[y : y + h, x : x + w] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
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
