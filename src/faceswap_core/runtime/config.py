"""Config of core's ONNX Runtime runtime (kept apart so hooks import nothing heavy)."""

from __future__ import annotations

import attrs

from faceswap_core.config.ranges import between

MAX_THREADS = 1024


@attrs.frozen
class OnnxRuntimeConfig:
    """ONNX Runtime session options.

    :ivar providers: execution providers in order of preference; unavailable
        ones are skipped with a warning (never silently).
    :ivar threads: intra-op threads; 0 lets ONNX Runtime decide.
    """

    providers: list[str] = attrs.field(factory=lambda: ["CPUExecutionProvider"])
    threads: int = attrs.field(default=0, validator=between(0, MAX_THREADS))
