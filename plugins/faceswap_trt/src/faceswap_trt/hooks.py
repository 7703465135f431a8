"""Entry point of faceswap-trt: the ``tensorrt`` runtime and exporter; imports nothing heavy.

TensorRT and the CUDA bindings are an optional extra (``faceswap-trt[tensorrt]``):
this module and the factories' first steps work without them, so the plugin
installs everywhere and falls back to ONNX Runtime where TensorRT is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from faceswap_core import hookimpl
from faceswap_trt.config import TensorRTConfig, TensorRTExportConfig

if TYPE_CHECKING:
    from faceswap_core import BuildContext, Exporter, Register, Runtime

ENGINE_FOLDER = "engines"
"""Engines are cached in this folder of the model store."""


def _engine_root(context: BuildContext) -> Path:
    return Path(context.models.root) / ENGINE_FOLDER


def _tensorrt_runtime(config: TensorRTConfig, context: BuildContext) -> Runtime:
    from faceswap_trt.runtime import TensorRTRuntime

    def fallback() -> Runtime:
        return context.runtime_for(config.fallback, path="$.pipeline.runtime.fallback")

    return TensorRTRuntime(config, _engine_root(context), fallback)


def _tensorrt_exporter(config: TensorRTExportConfig, context: BuildContext) -> Exporter:
    from faceswap_trt.exporter import TensorRTExporter

    return TensorRTExporter(config, _engine_root(context))


@hookimpl
def register_runtimes(register: Register[Runtime]) -> None:
    register("tensorrt", _tensorrt_runtime, config=TensorRTConfig)


@hookimpl
def register_exporters(register: Register[Exporter]) -> None:
    register("tensorrt", _tensorrt_exporter, config=TensorRTExportConfig)
