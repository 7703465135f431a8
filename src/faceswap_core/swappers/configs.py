"""Config classes of core's swappers; light to import (no cv2, no onnxruntime)."""

from __future__ import annotations

from typing import Literal

import attrs


@attrs.frozen
class ClassicConfig:
    """The landmark-warp swapper: no learned weights, always available.

    :ivar crop_size: side of the aligned working crop in pixels.
    :ivar blend: ``feather`` (soft alpha, default) or ``poisson`` (seamless clone,
        which can bleed brows or hair on the seam into the face).
    :ivar color_transfer: match the source skin colour to the target's (LAB statistics).
    :ivar keep_target_mouth: keep the target's mouth interior so an open source
        mouth does not smear over a closed target mouth.
    :ivar feather: blur radius in crop pixels of the face mask edge.
    :ivar forehead: at most how far the brow line of the mask is raised, as a
        fraction of the brow-to-chin distance (0 stops the mask at the brows);
        less is used where either face has hair above the brows.
    """

    crop_size: int = attrs.field(default=256, validator=attrs.validators.ge(64))
    blend: Literal["poisson", "feather"] = attrs.field(
        default="feather", validator=attrs.validators.in_(("poisson", "feather"))
    )
    color_transfer: bool = True
    keep_target_mouth: bool = True
    feather: int = attrs.field(
        default=11, validator=[attrs.validators.ge(0), attrs.validators.le(64)]
    )
    forehead: float = attrs.field(
        default=0.12, validator=[attrs.validators.ge(0.0), attrs.validators.le(0.5)]
    )


@attrs.frozen
class InswapperConfig:
    """An inswapper_128-compatible ONNX the user provides.

    :ivar model: a model-store name (``inswapper_128``) or a path to the ``.onnx`` file.
    :ivar recognizer: the recognizer whose 512-d embeddings the graph expects.
    :ivar runtime: inference runtime name (``onnxruntime``, ``tensorrt``).
    """

    model: str = "inswapper_128"
    recognizer: str = "arcface"
    runtime: str = "onnxruntime"


@attrs.frozen
class OnnxSwapperConfig:
    """Any swapper exported by this project (``target``/``source`` -> ``output`` [+ ``mask``]).

    :ivar model: path to the exported ``.onnx`` file (or a model-store name).
    :ivar runtime: inference runtime name.
    """

    model: str
    runtime: str = "onnxruntime"
