"""What a component factory gets besides its own config: the build context.

Factories are called as ``factory(config, context)``. The context carries the
plugin manager (to build sub-components), the model locator (to find and
verify model files) and the pipeline's runtime (to turn model files into
sessions), so no component reaches for a process-wide global and a runtime
plugin (TensorRT) serves every ONNX model the pipeline loads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from faceswap_core.interfaces import InferenceSession, ModelLocator, Runtime
from faceswap_core.plugin.kinds import RUNTIME, Kind

T = TypeVar("T")

ComponentRef = Mapping[str, Any] | str
"""A component by name, or ``{type: NAME, **params}``."""

DEFAULT_RUNTIME: Mapping[str, Any] = {"type": "onnxruntime"}


class ComponentBuilder(Protocol):
    """What the context needs of the plugin manager: building a component by reference."""

    def build(
        self, kind: Kind[T], ref: ComponentRef, *, context: BuildContext, path: str | None = None
    ) -> T: ...


class BuildContext:
    """The plugin manager, the model locator and the runtime, shared by one pipeline.

    :param plugins: the manager that builds components.
    :param models: finds and verifies model files (the model store).
    :param runtime: the runtime reference (``{type: NAME, **params}``) of the
        pipeline, built on first use and shared by every component.
    """

    def __init__(
        self,
        plugins: ComponentBuilder,
        models: ModelLocator,
        runtime: ComponentRef = DEFAULT_RUNTIME,
    ) -> None:
        self.plugins = plugins
        self.models = models
        self.runtime_ref: ComponentRef = runtime
        self._runtimes: dict[str, Runtime] = {}
        self._lock = threading.RLock()

    @property
    def runtime(self) -> Runtime:
        """The pipeline's runtime (``pipeline.runtime``), built once."""
        return self.runtime_for(self.runtime_ref, path="$.pipeline.runtime")

    def runtime_for(self, ref: ComponentRef, *, path: str) -> Runtime:
        """A runtime by reference, built once per distinct reference and shared."""
        key = repr(sorted(ref.items())) if isinstance(ref, Mapping) else repr(ref)
        with self._lock:
            runtime = self._runtimes.get(key)
            if runtime is None:
                runtime = self.plugins.build(RUNTIME, ref, context=self, path=path)
                self._runtimes[key] = runtime
            return runtime

    def load_model(self, model: Path | bytes) -> InferenceSession:
        """Load a model file or its bytes with the pipeline's runtime."""
        return self.runtime.load(model)

    def load_named(
        self, model: str, runtime: str | None, *, path: str
    ) -> tuple[InferenceSession, str]:
        """Find ``model`` (a file path or a model-store name, verified) and load it.

        :param runtime: a runtime name for this model only; ``None`` uses the pipeline's.
        :param path: the config path of ``runtime``, for error messages.
        :returns: the session and the file it came from.
        """
        file = self.models.resolve(model)
        loader = self.runtime if runtime is None else self.runtime_for({"type": runtime}, path=path)
        return loader.load(file), str(file)


__all__ = ["DEFAULT_RUNTIME", "BuildContext", "ComponentBuilder", "ComponentRef"]
