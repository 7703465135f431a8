"""Config of core's ONNX Runtime runtime (kept apart so hooks import nothing heavy)."""

from __future__ import annotations

import attrs


@attrs.frozen
class OnnxRuntimeConfig:
    """ONNX Runtime session options.

    :ivar providers: execution providers in order of preference; unavailable
        ones are skipped with a warning (never silently).
    :ivar threads: intra-op threads; 0 lets ONNX Runtime decide.
    :ivar spin: let idle intra-op threads busy-wait for the next operator. Off by
        default: spinning threads take the cores that video's decode, track, swap
        and encode threads (or other processes) need; measured on 2 shared cores,
        turning it off raised ``faceswap bench`` from 12 to 24 FPS and the video
        stream from 29-37 to 36-44 FPS.
    """

    providers: list[str] = attrs.field(factory=lambda: ["CPUExecutionProvider"])
    threads: int = 0
    spin: bool = False
