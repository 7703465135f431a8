"""Config classes of core's swappers; light to import (no cv2, no onnxruntime)."""

from __future__ import annotations

from typing import Literal

import attrs


@attrs.frozen
class ClassicConfig:
    """The landmark-warp swapper: no learned weights, always available.

    :ivar crop_size: side of the aligned working crop in pixels.
    :ivar blend: ``poisson`` (seamless clone) or ``feather`` (soft alpha).
    :ivar color_transfer: match the source skin colour to the target's (LAB statistics).
    :ivar keep_target_mouth: keep the target's mouth interior so an open source
        mouth does not smear over a closed target mouth.
    :ivar feather: blur radius in crop pixels of the face mask edge.
    """

    crop_size: int = 256
    blend: Literal["poisson", "feather"] = "poisson"
    color_transfer: bool = True
    keep_target_mouth: bool = True
    feather: int = 11


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
