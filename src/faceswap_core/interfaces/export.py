"""Export slot: writers of deployable artifacts (ONNX graphs, TensorRT engines)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class Exporter(Protocol):
    """Writes a trained model to a deployable artifact (ONNX, TensorRT engine)."""

    def export(self, source: Path, destination: Path) -> Path: ...


__all__ = ["Exporter"]
