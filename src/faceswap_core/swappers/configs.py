"""Config classes of core's swappers; light to import (no cv2, no onnxruntime)."""

from __future__ import annotations

from typing import Literal

import attrs

from faceswap_core.config.ranges import between

CROP_SIZE_MIN = 64
CROP_SIZE_MAX = 1024
"""The range of every swap crop side, from a config or from a model's metadata."""


@attrs.frozen
class ClassicConfig:
    """The landmark-warp swapper: no learned weights, always available.

    Each face is worked on at its own resolution: its crop is cut out of the
    image as it is (``native`` alignment) and sized to the face, so the only
    resampling of the source face is the one warp onto the target.

    :ivar crop_size: the largest side of a working crop in pixels; a face
        whose crop would be larger is scaled down to it (and loses detail).
    :ivar blend: ``feather`` (soft alpha, default) or ``poisson`` (seamless clone,
        which can bleed brows or hair on the seam into the face).
    :ivar color_transfer: match the source skin colour to the target's (LAB statistics).
    :ivar keep_target_mouth: keep the target's mouth interior so an open source
        mouth does not smear over a closed target mouth.
    :ivar feather: half the width of the face mask's soft edge, in pixels of a face
        whose eyes are 50 px apart (scaled with each face); the edge narrows where
        the brows, eyes, nose and mouth come closer to it, which are pasted whole.
    :ivar forehead: at most how far the brow line of the mask is raised, as a
        fraction of the brow-to-chin distance (0 stops the mask at the brows);
        less is used where either face has hair above the brows.
    :ivar shape_transfer: how far the target's face shape (jaw line, brows,
        eyes, nose, mouth position) moves to the source's: 0 keeps the target's
        outline and only transfers texture, 1 takes the source's proportions.
        Face shape carries much of a person's identity; the target's mouth
        keeps its own expression either way.
    :ivar morph_margin: how far around the face the surrounding pixels are
        allowed to bend to the new outline, as a scale of the face outline.
    """

    crop_size: int = attrs.field(default=1024, validator=between(CROP_SIZE_MIN, CROP_SIZE_MAX))
    blend: Literal["poisson", "feather"] = attrs.field(
        default="feather", validator=attrs.validators.in_(("poisson", "feather"))
    )
    color_transfer: bool = True
    keep_target_mouth: bool = True
    feather: int = attrs.field(default=11, validator=between(0, 64))
    forehead: float = attrs.field(default=0.12, validator=between(0.0, 0.5))
    shape_transfer: float = attrs.field(default=1.0, validator=between(0.0, 1.0))
    morph_margin: float = attrs.field(default=1.3, validator=between(1.05, 2.0))


@attrs.frozen
class InswapperConfig:
    """An inswapper_128-compatible ONNX the user provides.

    :ivar model: a model-store name (``inswapper_128``) or a path to the ``.onnx`` file.
    :ivar recognizer: the recognizer whose 512-d embeddings the graph expects.
    :ivar runtime: a runtime name for this model only (``onnxruntime``,
        ``tensorrt``); by default the pipeline's runtime (``pipeline.runtime``).
    """

    model: str = "inswapper_128"
    recognizer: str = "arcface"
    runtime: str | None = None


@attrs.frozen
class OnnxSwapperConfig:
    """Any swapper exported by this project (``target``/``source`` -> ``output`` [+ ``mask``]).

    :ivar model: path to the exported ``.onnx`` file (or a model-store name).
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    :ivar recognizer: embed the source with this pipeline recognizer instead of the
        export's own (``NAME.recognizer.onnx``); it must agree with the export's
        recognizer on the probe faces stored with it (cosine >= 0.99), or the model
        is refused. For graphs without a recognizer of their own, it replaces the
        one their ``faceswap.recognizer`` metadata names.
    """

    model: str
    runtime: str | None = None
    recognizer: str | None = None
