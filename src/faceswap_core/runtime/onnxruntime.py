"""ONNX Runtime as a :class:`~faceswap_core.interfaces.Runtime`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from faceswap_core.errors import ModelFileError
from faceswap_core.runtime.config import OnnxRuntimeConfig


class OnnxSession:
    """One loaded ONNX model with named inputs and outputs and its metadata."""

    def __init__(self, session: Any, origin: str) -> None:
        self._session = session
        self.origin = origin
        self.input_names = tuple(i.name for i in session.get_inputs())
        self.output_names = tuple(o.name for o in session.get_outputs())
        self.input_shapes = {i.name: tuple(i.shape) for i in session.get_inputs()}
        self.output_shapes = {o.name: tuple(o.shape) for o in session.get_outputs()}
        meta = session.get_modelmeta()
        self.metadata: Mapping[str, str] = dict(meta.custom_metadata_map or {})
        self.providers = tuple(session.get_providers())

    @property
    def options(self) -> Any:
        """The ONNX Runtime ``SessionOptions`` the session was created with."""
        return self._session.get_session_options()

    def run(self, feeds: Mapping[str, np.ndarray[Any, Any]]) -> dict[str, np.ndarray[Any, Any]]:
        outputs = self._session.run(None, dict(feeds))
        return dict(zip(self.output_names, outputs, strict=True))


class OnnxRuntime:
    """Creates :class:`OnnxSession` objects with the configured providers and threads."""

    name = "onnxruntime"

    def __init__(self, config: OnnxRuntimeConfig | None = None) -> None:
        self.config = config or OnnxRuntimeConfig()

    def providers(self) -> list[str]:
        import onnxruntime as ort

        available = set(ort.get_available_providers())
        chosen = [p for p in self.config.providers if p in available]
        missing = [p for p in self.config.providers if p not in available]
        if missing:
            warnings.warn(
                f"ONNX Runtime providers not available here: {', '.join(missing)}; "
                f"using {', '.join(chosen) or 'CPUExecutionProvider'}",
                RuntimeWarning,
                stacklevel=3,
            )
        return chosen or ["CPUExecutionProvider"]

    def load(self, model: Path | bytes) -> OnnxSession:
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.config.threads > 0:
            options.intra_op_num_threads = self.config.threads
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if self.config.spin else "0"
        )
        options.log_severity_level = 3
        origin = str(model) if isinstance(model, Path) else "<bytes>"
        if isinstance(model, Path) and not model.is_file():
            raise ModelFileError(f"model file missing: {model}")
        try:
            source: str | bytes = str(model) if isinstance(model, Path) else model
            session = ort.InferenceSession(source, options, providers=self.providers())
        except Exception as exc:
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelFileError(f"invalid ONNX model {origin}: {detail}") from None
        return OnnxSession(session, origin)
