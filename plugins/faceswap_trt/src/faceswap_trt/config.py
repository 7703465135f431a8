"""Config classes of faceswap-trt's runtime and exporter (light: no TensorRT import).

Shapes are written the way ``trtexec`` writes them, ``NAME:1x3x112x112``, so
a command that works with one works with the other.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

from faceswap_core.config.convert import FieldValueError
from faceswap_core.operations import fields

Precision = Literal["fp16", "fp32"]

DEFAULT_WORKSPACE_MB = 1024
"""Builder workspace (tactic scratch memory) in MiB: trtexec's ``--memPoolSize=workspace:``."""

MAX_WORKSPACE_MB = 1 << 20


def _workspace(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 16 <= value <= MAX_WORKSPACE_MB:
        raise FieldValueError(attribute.name, f"expected 16..{MAX_WORKSPACE_MB} MiB, got {value}")


def _max_batch(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 1 <= value <= 1024:
        raise FieldValueError(attribute.name, f"expected 1..1024, got {value}")


def _fallback(_: object, attribute: attrs.Attribute[dict[str, Any]], value: dict[str, Any]) -> None:
    if value.get("type") in (None, "tensorrt"):
        raise FieldValueError(
            attribute.name,
            "expected another runtime, e.g. {type: onnxruntime, providers: [cuda, cpu]}",
        )


@attrs.frozen
class TensorRTConfig:
    """TensorRT runtime: builds (or reuses) an engine per ONNX model and runs it on the GPU.

    :ivar precision: ``fp16`` (where the GPU has fast FP16, else FP32 with a warning)
        or ``fp32``.
    :ivar workspace: builder workspace in MiB.
    :ivar max_batch: largest batch of the optimisation profile for graphs with a dynamic batch;
        larger batches run in chunks.
    :ivar min_shape: per-input minimum shapes of the optimisation profile (``NAME:DIMS``);
        inputs a model does not have are ignored for it.
    :ivar opt_shape: per-input shapes TensorRT tunes for.
    :ivar max_shape: per-input maximum shapes.
    :ivar cache_dir: where engines are cached (default: ``engines/`` in the model store).
    :ivar strict: raise instead of falling back when TensorRT, a CUDA GPU or an engine build is
        not available.
    :ivar fallback: the runtime models run on when TensorRT cannot run them.
    """

    precision: Precision = "fp16"
    workspace: int = attrs.field(default=DEFAULT_WORKSPACE_MB, validator=_workspace)
    max_batch: int = attrs.field(default=1, validator=_max_batch)
    min_shape: list[str] = attrs.field(factory=list)
    opt_shape: list[str] = attrs.field(factory=list)
    max_shape: list[str] = attrs.field(factory=list)
    cache_dir: str | None = None
    strict: bool = False
    fallback: dict[str, Any] = attrs.field(
        factory=lambda: {"type": "onnxruntime"}, validator=_fallback
    )


@attrs.frozen
class TensorRTExportConfig:
    """Build a TensorRT engine from an ONNX graph (FP16 where the GPU supports it).

    :ivar onnx: the ONNX graph to build from.
    :ivar output: the engine file to write (a ``.json`` with the graph's metadata goes beside
        it); without it the engine is only cached in the model store.
    :ivar fp16: build an FP16 engine when the GPU has fast FP16 (``--no-fp16``: FP32).
    :ivar workspace: builder workspace in MiB.
    :ivar min_shape: minimum shape per dynamic input, e.g. ``target:1x3x112x112``.
    :ivar opt_shape: the shape TensorRT tunes for (min and max default to it).
    :ivar max_shape: maximum shape per dynamic input.
    :ivar max_batch: largest batch for inputs with only a dynamic batch and no shapes given.
    :ivar timing_cache: timing cache file reused across builds (default: one per TensorRT
        version and GPU in the engine cache).
    :ivar cache_dir: engine cache folder (default: ``engines/`` in the model store).
    :ivar overwrite: replace the output when it exists.
    """

    onnx: str
    output: str | None = fields.option(
        "The engine file to write (a .json with the graph's metadata goes beside it); without "
        "it the engine is only cached in the model store.",
        default=None,
        short="-o",
        aliases=("--out",),
        api_aliases=("out",),
    )
    fp16: bool = True
    workspace: int = attrs.field(default=DEFAULT_WORKSPACE_MB, validator=_workspace)
    min_shape: list[str] = attrs.field(factory=list)
    opt_shape: list[str] = attrs.field(factory=list)
    max_shape: list[str] = attrs.field(factory=list)
    max_batch: int = attrs.field(default=1, validator=_max_batch)
    timing_cache: str | None = None
    cache_dir: str | None = None
    overwrite: bool = fields.overwrite(
        "Replace the output when it exists.", aliases=("--force",), api_aliases=("force",)
    )

    @property
    def precision(self) -> Precision:
        return "fp16" if self.fp16 else "fp32"


__all__ = ["DEFAULT_WORKSPACE_MB", "Precision", "TensorRTConfig", "TensorRTExportConfig"]
