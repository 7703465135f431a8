"""Export slot: writers of deployable artifacts (ONNX graphs, TensorRT engines).

An exporter is a component like any other: registered by name through
``register_exporters`` with its own attrs config class, and built with
``factory(config, context)``. The config class *is* its option set:
``faceswap export NAME`` turns each field into a command-line option
(``min_shape`` -> ``--min-shape``, help from the class's ``:ivar:`` lines) and
``faceswap.export(NAME, **options)`` structures the same keywords into it,
so the CLI and the Python API cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs


@attrs.frozen
class ExportReport:
    """What an exporter wrote and how it checked it.

    :ivar out: the artifact written.
    :ivar summary: JSON-friendly facts for ``--json`` (``max_abs_diff``,
        ``mean_abs_diff``, ``opset``, ``cache_key``...); ``out`` is added by
        :meth:`to_dict`.
    :ivar notes: lines for people (the equivalent ``trtexec`` command, where an
        engine was cached), printed before the JSON line.
    """

    out: Path
    summary: Mapping[str, Any] = attrs.field(factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"out": ..., **summary}``: the JSON object ``--json`` prints as its last line."""
        return {"out": str(self.out), **self.summary}


@runtime_checkable
class Exporter(Protocol):
    """Writes a trained or embedded model to a deployable artifact.

    Everything it needs (input model, output path, precision, shapes) is in
    the config it was built with; ``export()`` writes the artifact atomically,
    validates it, and reports.
    """

    def export(self) -> ExportReport: ...


__all__ = ["ExportReport", "Exporter"]
