"""Core's ONNX Runtime, registered through ``register_runtimes`` like any plugin's runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceswap_core.plugin.hookspecs import hookimpl
from faceswap_core.runtime.config import OnnxRuntimeConfig

if TYPE_CHECKING:
    from faceswap_core.interfaces import Runtime
    from faceswap_core.plugin.context import BuildContext
    from faceswap_core.plugin.hookspecs import Register


def _onnxruntime(config: OnnxRuntimeConfig, context: BuildContext) -> Runtime:
    from faceswap_core.runtime.onnxruntime import OnnxRuntime

    return OnnxRuntime(config)


@hookimpl
def register_runtimes(register: Register[Runtime]) -> None:
    register("onnxruntime", _onnxruntime, config=OnnxRuntimeConfig)
