"""Check a model file against the component that will use it, before it enters the store.

``faceswap models add NAME FILE`` must not store a file the pipeline would
later reject (or worse, run). The component that will load a catalog model is
found through the registry, never named here: it is every component of the
catalog entry's kind whose config's ``model`` field defaults to that name
(``inswapper_128`` for the ``inswapper`` swapper, and a plugin's recognizer
for ``w600k_r50``). Each is built from FILE exactly as the pipeline builds it,
so the file passes the same load-time contract checks. When no installed
component loads the name, the file must at least load in the runtime. Your
own models (``faceswap models add NAME FILE --type onnx``) name the component
that loads them, and are checked by it. A swap model that needs a pipeline
recognizer to embed its source (one without a recognizer graph of its own)
is refused when no installed plugin provides that recognizer: it could
never be served.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from faceswap_core.errors import ModelFileError
from faceswap_core.interfaces import ModelLocator
from faceswap_core.models.catalog import ModelSpec
from faceswap_core.pipeline.context import build_context
from faceswap_core.plugin.kinds import RECOGNIZER, SWAPPER, kind_named
from faceswap_core.plugin.manager import FaceswapPlugins
from faceswap_core.plugin.registry import Component

MODEL_FIELD = "model"


def consumers(spec: ModelSpec, plugins: FaceswapPlugins) -> list[Component[Any]]:
    """Registered components of ``spec.kind`` that load ``spec.name`` by default.

    Your own models name their loader (``spec.loader``): that one component,
    which must be installed.
    """
    registry = plugins.registry(kind_named(spec.kind))
    if spec.loader is not None:
        return [registry.get(spec.loader)]
    found = []
    for component in registry:
        config = component.config
        if config is None or not attrs.has(config):
            continue
        fields = {field.name: field for field in attrs.fields(config)}
        field = fields.get(MODEL_FIELD)
        if field is not None and field.default == spec.name:
            found.append(component)
    return found


def check_model_file(
    spec: ModelSpec, path: Path, plugins: FaceswapPlugins, *, models: ModelLocator | None = None
) -> list[str]:
    """Build each consumer of ``spec`` from ``path``; return the component names checked.

    An empty list means no installed component loads this model, and only
    that the file loads in the default runtime was checked.

    :raises ModelFileError: the file does not parse or breaks a component's contract.
    """
    context = build_context(plugins, models=models)
    checked = []
    for component in consumers(spec, plugins):
        built = plugins.build(
            kind_named(spec.kind),
            {"type": component.name, MODEL_FIELD: str(path)},
            context=context,
            path=f"$.{spec.kind}",
        )
        if spec.kind == SWAPPER.name:
            check_recognizer_served(built, path, plugins)
        checked.append(component.name)
    if not checked:
        context.runtime.load(path)
    return checked


def check_recognizer_served(swapper: Any, path: Path, plugins: FaceswapPlugins) -> None:
    """Refuse a swap model whose source embedding names a recognizer nobody provides."""
    name = getattr(swapper, "recognizer", None)
    if name is None:  # it embeds the source itself (a faceswap export with its recognizer)
        return
    available = [component.name for component in plugins.registry(RECOGNIZER)]
    if name not in available:
        raise ModelFileError(
            f"{path} cannot be served: it embeds sources with recognizer {name!r}, which is "
            f"not installed (available: {', '.join(available) or 'none'}), and carries no "
            "recognizer graph of its own; re-export it with faceswap export onnx, which "
            "writes the recognizer it was trained with beside it"
        )


__all__ = ["check_model_file", "check_recognizer_served", "consumers"]
