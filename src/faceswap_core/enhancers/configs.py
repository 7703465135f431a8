"""Config classes of core's enhancers; light to import (no cv2, no onnxruntime)."""

from __future__ import annotations

import attrs

from faceswap_core.config.ranges import unit_interval


@attrs.frozen
class GfpganConfig:
    """GFPGAN 1.4 (TencentARC), or any graph with its contract (NCHW RGB in [-1, 1] at 512).

    :ivar model: a model-store name (``gfpgan_1.4``) or a path to the ``.onnx`` file.
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    """

    model: str = "gfpgan_1.4"
    runtime: str | None = None


@attrs.frozen
class CodeFormerConfig:
    """CodeFormer (sczhou): GFPGAN's contract plus a fidelity ``weight`` input.

    :ivar model: a model-store name (``codeformer``) or a path to the ``.onnx`` file.
    :ivar weight: the fidelity weight fed to the graph: 0 favours restoration
        quality, 1 fidelity to the input face (the pipeline passes
        ``pipeline.enhance_weight``).
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    """

    model: str = "codeformer"
    weight: float = attrs.field(default=0.5, validator=unit_interval)
    runtime: str | None = None


@attrs.frozen
class Gpen256Config:
    """GPEN-BFR 256 (yangxy): GFPGAN's normalisation at 256 px on the 128 px swap template.

    :ivar model: a model-store name (``gpen_bfr_256``) or a path to the ``.onnx`` file.
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    """

    model: str = "gpen_bfr_256"
    runtime: str | None = None


@attrs.frozen
class Gpen512Config:
    """GPEN-BFR 512 (yangxy): GFPGAN's normalisation at 512 px on the FFHQ template.

    :ivar model: a model-store name (``gpen_bfr_512``) or a path to the ``.onnx`` file.
    :ivar runtime: a runtime name for this model only; by default the pipeline's.
    """

    model: str = "gpen_bfr_512"
    runtime: str | None = None


__all__ = ["CodeFormerConfig", "GfpganConfig", "Gpen256Config", "Gpen512Config"]
