"""Run an exporter by name: the one path behind ``faceswap export NAME`` and ``faceswap.export``.

The name is looked up in the exporter registry (an unknown one says what is
available and which distribution to install), the options are structured
into the exporter's own config class (unknown keys and wrong types are
errors with their path), and the exporter runs with a build context so it
can load models through the model store and the runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faceswap_core.interfaces import ExportReport, ModelLocator
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.kinds import EXPORTER
from faceswap_core.plugin.manager import FaceswapPlugins, get_plugins


def run_export(
    name: str,
    options: Mapping[str, Any],
    *,
    plugins: FaceswapPlugins | None = None,
    models: ModelLocator | None = None,
) -> ExportReport:
    """Build exporter ``name`` from ``options`` and run it.

    :param options: the fields of the exporter's config class (what
        ``faceswap export NAME --help`` lists, with ``_`` for ``-``).
    :param models: where model files are found (default: the model store).
    """
    manager = plugins if plugins is not None else get_plugins()
    context = build_context(manager, models=models)
    # Python callers may pass tuples for repeatable options; the converter wants lists.
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}
    exporter = manager.build(
        EXPORTER, {"type": name, **params}, context=context, path=f"$.export.{name}"
    )
    return exporter.export()


__all__ = ["run_export"]
